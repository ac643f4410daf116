"""Initial schema: sources, feeds, fetch_log, articles (+ revisions, raw inputs), item_failures.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def timestamptz(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def jsonb_list(name: str) -> sa.Column:
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))


def article_fk() -> sa.Column:
    return sa.Column("article_id", sa.BigInteger, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "sources",
        sa.Column("outlet", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("parser", sa.String, nullable=False),
        sa.Column("time_zone", sa.String, nullable=False),
        timestamptz("updated_at"),
    )

    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outlet", sa.String, sa.ForeignKey("sources.outlet"), nullable=False),
        sa.Column("url", sa.String, nullable=False, unique=True),
        sa.Column("etag", sa.String),
        sa.Column("last_modified", sa.String),
        sa.Column("last_status", sa.Integer),
        timestamptz("last_fetched_at", nullable=True),
        timestamptz("last_success_at", nullable=True),
        sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text),
        sa.Column("items_seen_total", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_feeds_outlet", "feeds", ["outlet"])

    op.create_table(
        "fetch_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("outlet", sa.String, nullable=False),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        timestamptz("started_at"),
        sa.Column("status_code", sa.Integer),
        sa.Column("not_modified", sa.Boolean, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("elapsed_ms", sa.Integer),
        sa.Column("bytes", sa.Integer),
        sa.Column("run_id", sa.String),
    )
    op.create_index("ix_fetch_log_outlet_started_at", "fetch_log", ["outlet", "started_at"])

    op.create_table(
        "articles",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("outlet", sa.String, nullable=False),
        sa.Column("outlet_article_id", sa.String),
        sa.Column("dedup_key", sa.String, nullable=False),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("guid", sa.String),
        sa.Column("title", sa.Text, nullable=False),
        jsonb_list("paragraphs"),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("summary", sa.Text),
        jsonb_list("authors"),
        jsonb_list("images"),
        timestamptz("published_at", nullable=True),
        sa.Column("published_raw", sa.String),
        timestamptz("fetched_at"),
        timestamptz("updated_at"),
        sa.Column("language", sa.String, nullable=False),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("parser", sa.String, nullable=False),
        sa.Column("parser_version", sa.String, nullable=False),
        sa.Column("revision_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.UniqueConstraint("outlet", "dedup_key", name="uq_articles_outlet_dedup_key"),
    )
    op.create_index("ix_articles_outlet_published_at", "articles", ["outlet", sa.text("published_at DESC")])
    op.create_index("ix_articles_url", "articles", ["url"])
    for column in ("title", "body"):
        op.create_index(
            f"ix_articles_{column}_trgm",
            "articles",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )

    op.create_table(
        "article_revisions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        article_fk(),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        jsonb_list("paragraphs"),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("parser", sa.String, nullable=False),
        timestamptz("replaced_at"),
        sa.UniqueConstraint("article_id", "revision", name="uq_article_revisions_article_revision"),
    )

    op.create_table(
        "raw_inputs",
        sa.Column("id", sa.BigInteger, primary_key=True),
        article_fk(),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("url", sa.String),
        sa.Column("content_type", sa.String),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("content_sha256", sa.String, nullable=False),
        timestamptz("fetched_at"),
        sa.UniqueConstraint("article_id", "content_sha256", name="uq_raw_inputs_article_sha256"),
    )

    op.create_table(
        "item_failures",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("outlet", sa.String, nullable=False),
        sa.Column("item_key", sa.String, nullable=False),
        sa.Column("url", sa.String),
        sa.Column("stage", sa.String, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("raw_kind", sa.String),
        sa.Column("raw_url", sa.String),
        sa.Column("raw_content_type", sa.String),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("1")),
        timestamptz("first_failed_at"),
        timestamptz("last_failed_at"),
        timestamptz("resolved_at", nullable=True),
        sa.UniqueConstraint("outlet", "item_key", name="uq_item_failures_outlet_item_key"),
    )


def downgrade() -> None:
    for table in ("item_failures", "raw_inputs", "article_revisions", "articles", "fetch_log", "feeds", "sources"):
        op.drop_table(table)
