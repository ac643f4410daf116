"""Failures an operator can act on: item failures retried with a growing interval (next_attempt_at), given up
after a number of attempts or an age (given_up_at, the row kept with its raw input), dismissed by hand
(dismissed_at, kept but hidden); feeds polled again only when their back-off is over (next_poll_at).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("next_attempt_at", "given_up_at", "dismissed_at"):
        op.add_column("item_failures", sa.Column(column, sa.DateTime(timezone=True)))
    op.add_column("feeds", sa.Column("next_poll_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("feeds", "next_poll_at")
    for column in ("dismissed_at", "given_up_at", "next_attempt_at"):
        op.drop_column("item_failures", column)
