"""audit head

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

The newest audit event's seq and hashes in a one-row table (`tables.AuditHead`): appenders
take the chain's end from it, and on PostgreSQL its row lock serialises them, held only until
the appending statement commits (engine/store/audit.py). Filled from the newest event, if any.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", AutoString(length=64), nullable=False),
        sa.Column("hash", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO audit_head (id, seq, prev_hash, hash) "
               "SELECT 1, seq, prev_hash, hash FROM audit_event ORDER BY seq DESC LIMIT 1")


def downgrade() -> None:
    op.drop_table("audit_head")
