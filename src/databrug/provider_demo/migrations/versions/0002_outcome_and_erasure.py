"""outcome-only delivery and erasure on request: cases.delivery, cases.outcome, packages.erasure_token_sha256

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery", sa.String(length=8), nullable=False, server_default="data"))
        batch_op.add_column(sa.Column("outcome", sa.JSON(), nullable=True))
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_token_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_packages_erasure_token_sha256"), ["erasure_token_sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_packages_erasure_token_sha256"))
        batch_op.drop_column("erasure_token_sha256")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("delivery")
