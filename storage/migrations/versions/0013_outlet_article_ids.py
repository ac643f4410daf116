"""DW, CNA and Reuters articles are keyed by the outlet's own article id instead of their URL. DW's and Reuters'
URLs carry a slug made from the title, and CNA lists one article under its section and again under firstnews, so one
article came back under a new URL and was stored as a second article (in the archive corpus: 237 of 3,612 DW article
ids, 103 of 12,638 CNA and 3 of 6,775 Reuters ids under two or more URLs). Stored articles of these outlets get the
outlet's id (outlet_article_id), and in each group of one id the one with the newest text gets the key new ones get,
so that a copy arriving again is a duplicate of it, or an older text of it.

The other rows of a group stay as they were (second articles under their URL keys, findable as before): merging them
would have to move their alerts, stories and revisions, and they are only the duplicates that were already there.

Revision ID: 0013
Revises: 0012
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# parsers/outlets.py's article ids as this migration was written (those may change; these must not)
_ARTICLE_IDS = {
    "dw": re.compile(r"(?:/|%2[Ff])a-(?P<id>\d{6,})(?=$|[=&?#])"),
    "cna": re.compile(r"/news/[a-z]+/(?P<id>\d{12})\.aspx"),
    "reuters": re.compile(r"[-/]id(?P<id>[A-Z]{2}[A-Z0-9]{8,})\b"),
}


def upgrade() -> None:
    connection = op.get_bind()
    outlets = list(_ARTICLE_IDS)
    taken = {(outlet, key) for outlet, key in connection.execute(
        sa.text("SELECT outlet, dedup_key FROM articles WHERE outlet = ANY(:outlets)"), {"outlets": outlets})}
    ids, keys = [], []
    # newest text first: it takes the id key; equal times, the first stored
    for row in connection.execute(sa.text(
            "SELECT id, outlet, url, dedup_key FROM articles WHERE outlet = ANY(:outlets)"
            " ORDER BY updated_at DESC, id"), {"outlets": outlets}):
        match = _ARTICLE_IDS[row.outlet].search(row.url or "")
        if not match:
            continue
        ids.append({"outlet_id": match.group("id"), "id": row.id})
        key = f"id:{match.group('id')}"
        if row.dedup_key.startswith("url:") and (row.outlet, key) not in taken:
            taken.add((row.outlet, key))
            keys.append({"key": key, "id": row.id})
    if ids:
        connection.execute(sa.text("UPDATE articles SET outlet_article_id = :outlet_id WHERE id = :id"
                                   " AND outlet_article_id IS DISTINCT FROM :outlet_id"), ids)
    if keys:
        connection.execute(sa.text("UPDATE articles SET dedup_key = :key WHERE id = :id"), keys)


def downgrade() -> None:
    # back to URL keys where no other row holds that key, so the old code finds these articles again
    op.execute(
        "UPDATE articles AS a SET dedup_key = 'url:' || a.url WHERE a.outlet IN ('dw', 'cna', 'reuters')"
        " AND a.dedup_key LIKE 'id:%' AND a.url IS NOT NULL AND NOT EXISTS (SELECT 1 FROM articles AS b"
        " WHERE b.outlet = a.outlet AND b.dedup_key = 'url:' || a.url)")
