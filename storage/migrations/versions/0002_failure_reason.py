"""item_failures.reason: one word naming the kind of failure (no-link, invalid-utf8, too-large, ...), for counts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("item_failures", sa.Column("reason", sa.String))
    op.create_index(
        "ix_item_failures_stage_open", "item_failures", ["stage"], postgresql_where=sa.text("resolved_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_item_failures_stage_open", "item_failures")
    op.drop_column("item_failures", "reason")
