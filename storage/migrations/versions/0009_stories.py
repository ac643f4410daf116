"""Stories: every article belongs to one (articles.story_id, the id of the story's first stored article), found
through its MinHash band keys (story_keys, newsmon/stories.py); and one alert per story and channel
(alert_outbox.story_id, unique with the channel).

Articles stored before this revision have no story until the nightly maintenance (or `newsmon maintenance`) gives
them one; their alerts keep no story.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("story_id", sa.BigInteger()))
    op.create_index("ix_articles_story_id", "articles", ["story_id"])
    op.create_table(
        "story_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("key", "article_id", name="pk_story_keys"),
    )
    op.create_index("ix_story_keys_article_id", "story_keys", ["article_id"])
    op.add_column("alert_outbox", sa.Column("story_id", sa.BigInteger()))
    op.create_index("uq_alert_outbox_story_channel", "alert_outbox", ["story_id", "channel"], unique=True,
                    postgresql_where=sa.text("story_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("uq_alert_outbox_story_channel", table_name="alert_outbox")
    op.drop_column("alert_outbox", "story_id")
    op.drop_table("story_keys")
    op.drop_index("ix_articles_story_id", table_name="articles")
    op.drop_column("articles", "story_id")
