"""Store raw inputs and article bodies out of line without PostgreSQL's compression: raw inputs are zlib already
(pglz only burns CPU failing to shrink them), and bodies are read whole by the trigram index and search, which
then skip decompressing them. Costs about a quarter more disk for the body column; applies to rows written from now.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE raw_inputs ALTER COLUMN content SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE articles ALTER COLUMN body SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("ALTER TABLE raw_inputs ALTER COLUMN content SET STORAGE EXTENDED")
    op.execute("ALTER TABLE articles ALTER COLUMN body SET STORAGE EXTENDED")
