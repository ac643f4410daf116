"""Alerts record an attempt before sending: sending_since, set when delivery is about to call the channel and cleared
with the outcome, so an alert whose sender died mid-send is known, and sent again marked as a possible repeat.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alert_outbox", sa.Column("sending_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("alert_outbox", "sending_since")
