"""Search by tokens instead of substrings: articles.search_vector (title and body normalised to simplified script
and cut into character pairs and words, newsmon/search_text.py) with a GIN index, computed here for the stored
rows; the trigram indexes go (the new index serves every search, two-character queries included).

Revision ID: 0008
Revises: 0007
"""

import re
import unicodedata

import opencc
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1_000

# newsmon/search_text.py's search_vector as it was when this migration was written (it may change; this must not)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# a run of Han characters | a run of other letters or digits | one character that breaks a phrase
_TOKEN = re.compile(f"([{_HAN}]+)|([^\\W_]+?(?=[{_HAN}]|[\\W_]|$))|([^\\w \t]|_)")
MAX_POSITION = 16_383
LONGEST_WORD = 100
TITLE_GAP = 2
_T2S = opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    return _T2S.convert(unicodedata.normalize("NFKC", text)).lower()


def tokens(normalised: str, start: int = 1) -> list[tuple[str, int]]:
    found = []
    position = start
    broken = False
    for han, word, _ in _TOKEN.findall(normalised):
        if not (han or word):
            broken = True
            continue
        if broken:
            position += 1
            broken = False
        if len(han) == 1 or word:
            if len(han or word) <= LONGEST_WORD:
                found.append((han or word, position))
            position += 1
        else:
            found.extend([(han[i:i + 2], position + i) for i in range(len(han) - 1)])
            position += len(han) - 1
        if position > MAX_POSITION:
            return [(token, at) for token, at in found if at <= MAX_POSITION]
    return found


def search_vector(title: str, body: str) -> str:
    parts = []
    last = 0
    for token, position in tokens(normalise(title)):
        parts.append(f"{token}:{position}A")
        last = position
    for token, position in tokens(normalise(body), last + TITLE_GAP):
        parts.append(f"{token}:{position}B")
    return " ".join(parts)


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_articles_title_trgm")
    op.execute("DROP INDEX IF EXISTS ix_articles_body_trgm")
    op.add_column("articles", sa.Column("search_vector", TSVECTOR()))
    connection = op.get_bind()
    rows = connection.execute(  # a server-side cursor: BATCH rows in memory at a time
        sa.text("SELECT id, title, body FROM articles").execution_options(stream_results=True, yield_per=BATCH)
    )
    update = sa.text(
        "UPDATE articles AS a SET search_vector = b.vector::tsvector"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:vectors AS text[])) AS b(id, vector) WHERE a.id = b.id"
    )
    for batch in rows.partitions():
        connection.execute(update, {"ids": [row.id for row in batch],
                                    "vectors": [search_vector(row.title, row.body) for row in batch]})
    op.create_index("ix_articles_search", "articles", ["search_vector"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_articles_search", table_name="articles")
    op.drop_column("articles", "search_vector")
    for name, column in (("ix_articles_title_trgm", "title"), ("ix_articles_body_trgm", "body")):
        op.execute(f"CREATE INDEX {name} ON articles USING gin ({column} gin_trgm_ops)")
