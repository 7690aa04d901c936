"""household row version

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

`household.row_version`: bumped by every write to the household's row (a save of its answers,
a change of state, reasons or flags), so that each write is a compare-and-set on exactly the row
it read. `version` stays the answers' counter, which numbers revisions and which a page carries:
a take-over or a help request changes the row, not the answers, and must neither be undone by a
save that read the row before it nor make that save a conflict for the person typing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("household", sa.Column("row_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    # In place, as 0004's downgrade: see there.
    op.execute("ALTER TABLE household DROP COLUMN row_version")
