"""household draft number

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

`household.draft_number`: the number of the household's newest draft revision, the working
copy that every page shows, so that it is found by key rather than by searching backwards
through revisions that grow by one per autosave (with statistics older than those revisions,
PostgreSQL read them all and sorted them). Filled from the revisions already there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("household", sa.Column("draft_number", sa.Integer(), nullable=True))
    op.execute("UPDATE household SET draft_number = (SELECT max(r.number) FROM revision AS r "
               "WHERE r.household_id = household.id AND r.kind = 'draft')")


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35 and later): a batch operation would copy
    # the table, and SQLite refuses to drop the original while revisions refer to it.
    op.execute("ALTER TABLE household DROP COLUMN draft_number")
