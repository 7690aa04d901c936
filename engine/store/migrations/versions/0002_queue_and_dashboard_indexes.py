"""queue and dashboard indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

An enumerator's queue (newest activity first in an area) and the office's counts per area,
state and reason must stay fast at 20,000 households per area (bench/office_pages.py).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(
            "ix_household_area_counts", ["area_id", "state", "reasons", "long_form", "visit_outcome"], unique=False
        )
        batch_op.create_index("ix_household_area_updated", ["area_id", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_area_updated")
        batch_op.drop_index("ix_household_area_counts")
