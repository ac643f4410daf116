"""Canonical URLs now use https, single slashes and one percent-encoding: rewrite stored URLs (and the url: dedup
keys built from them) so that articles stored before match the same articles arriving now.

An article whose new key is already taken by another row keeps its old URL and key (both stay findable).

Revision ID: 0003
Revises: 0002
"""

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# Rewriting a row re-indexes its whole body in the trigram indexes; past this many rows, building them again is
# cheaper than updating them row by row.
REBUILD_INDEXES_FROM = 2_000
TRIGRAM_INDEXES = {"ix_articles_title_trgm": "title", "ix_articles_body_trgm": "body"}


# canonical_url as it was when this migration was written (parsers/urls.py may change; this migration must not)
_TRACKING_PREFIXES = ("utm_", "at_", "mc_")
_TRACKING_NAMES = frozenset({"ref", "fbclid", "gclid", "ocid", "cmpid", "xtor", "spm", "from", "share"})
_SLASHES = re.compile(r"/{2,}")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_NAMES and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port and parts.port not in (80, 443) else "")
    path = quote(unquote(_SLASHES.sub("/", parts.path or "/")), safe=_PATH_SAFE)
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, outlet, url, dedup_key FROM articles")).fetchall()
    taken = {(row.outlet, row.dedup_key) for row in rows}
    changes = []
    for row in rows:
        url = canonical_url(row.url) if row.url else row.url
        if url == row.url:
            continue
        key = f"url:{url}" if row.dedup_key.startswith("url:") else row.dedup_key
        if key != row.dedup_key and (row.outlet, key) in taken:
            continue
        taken.add((row.outlet, key))
        changes.append({"url": url, "key": key, "id": row.id})
    if not changes:
        return
    rebuild = len(changes) >= REBUILD_INDEXES_FROM
    if rebuild:
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    connection.execute(sa.text("UPDATE articles SET url = :url, dedup_key = :key WHERE id = :id"), changes)
    if rebuild:
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON articles USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    pass  # the old spellings are not kept; the rewritten ones work with the old code too
