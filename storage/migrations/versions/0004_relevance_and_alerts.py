"""UN relevance per article, and the alert outbox (one row per article and channel).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def jsonb_list(name: str) -> sa.Column:
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))


def upgrade() -> None:
    op.create_table(
        "article_relevance",
        sa.Column("article_id", sa.BigInteger, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("level", sa.String, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        jsonb_list("bodies"),
        jsonb_list("evidence"),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_article_relevance_level", "article_relevance", ["level"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("article_id", sa.BigInteger, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("level", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("article_id", "channel", name="uq_alert_outbox_article_channel"),
    )
    op.create_index(
        "ix_alert_outbox_pending", "alert_outbox", ["channel", "created_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("alert_outbox")
    op.drop_table("article_relevance")
