"""credential slip

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12

`credential_slip`: each issue of credentials made by a form (registering a household, issuing
new credentials), under the digest of the form's one-time token, so that the same form sent
twice issues once; and the slip it made, sealed and short-lived, so that the slip's page can be
shown again (a reload, a language switch) for a few minutes (engine/store/slips.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_slip",
        sa.Column("request_digest", AutoString(length=64), nullable=False),
        sa.Column("household_id", AutoString(length=32), nullable=False),
        sa.Column("actor", AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("request_digest"),
    )
    with op.batch_alter_table("credential_slip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_slip_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_slip_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_slip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_slip_created_at"))
        batch_op.drop_index(batch_op.f("ix_credential_slip_household_id"))
    op.drop_table("credential_slip")
