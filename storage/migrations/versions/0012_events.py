"""Events: the same happening told in different words (newsmon/events.py), the level above stories. Every article
belongs to one once the maintenance has assigned it (articles.event_id, the id of the event's first assigned
article), found through its key terms' hashes in a time window (event_keys). v_articles gains event_id.

Articles have no event until the maintenance step assign-events (nightly, or `newsmon maintenance`) gives them one:
the import and live polling do not pay for the event level.

Revision ID: 0012
Revises: 0011
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_EVENT_ID = ("The event the article tells, in its own words or another outlet's (newsmon/events.py): the id of the"
             " event's first assigned article; NULL until the maintenance assigns it.")

# v_articles as migration 0010 made it, event_id added last (CREATE OR REPLACE VIEW can only add columns at the end)
V_ARTICLES_WITH_EVENT = """
    SELECT a.id, a.outlet, coalesce(s.name, a.outlet) AS outlet_name, a.title, a.url,
           a.published_at, a.fetched_at, a.updated_at, coalesce(a.published_at, a.fetched_at) AS dated_at,
           a.language, ARRAY(SELECT jsonb_array_elements_text(a.authors)) AS authors,
           r.level AS un_level, r.score AS un_score,
           ARRAY(SELECT jsonb_array_elements_text(r.bodies)) AS un_bodies,
           a.story_id, a.revision_count, a.body, a.event_id
    FROM articles AS a
    LEFT JOIN sources AS s ON s.outlet = a.outlet
    LEFT JOIN article_relevance AS r ON r.article_id = a.id
    """


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.add_column("articles", sa.Column("event_id", sa.BigInteger()))
    op.create_index("ix_articles_event_id", "articles", ["event_id"])
    op.create_table(
        "event_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        # a candidate lookup is a range scan of one key's rows within the window
        sa.PrimaryKeyConstraint("key", "published_at", "article_id", name="pk_event_keys"),
    )
    op.create_index("ix_event_keys_article_id", "event_keys", ["article_id"])
    op.execute(f"COMMENT ON COLUMN articles.event_id IS {_literal(_EVENT_ID)}")
    op.execute(f"CREATE OR REPLACE VIEW v_articles AS {V_ARTICLES_WITH_EVENT.strip()}")
    op.execute(f"COMMENT ON COLUMN v_articles.event_id IS {_literal(_EVENT_ID)}")


def downgrade() -> None:
    # a view cannot lose a column in place: the views are made again as migration 0010 makes them, comments and all
    op.execute("DROP VIEW v_source_health, v_stories, v_un_items, v_articles")
    spec = importlib.util.spec_from_file_location("migration_0010", Path(__file__).with_name("0010_views.py"))
    assert spec is not None and spec.loader is not None
    views = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(views)
    views.upgrade()
    op.drop_table("event_keys")
    op.drop_index("ix_articles_event_id", table_name="articles")
    op.drop_column("articles", "event_id")
