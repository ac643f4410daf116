"""Item failures: what did not become an article, kept with its raw input to be retried.
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon.model import RawInput, Reason, Stage
from newsmon.storage.models import ItemFailure
from newsmon.storage.rows import PackedRaw, packed, strip_nul, unpack


def record_item_failure(
    session: Session,
    outlet: str,
    item_key: str,
    url: str | None,
    stage: Stage,
    error: str,
    raw: RawInput | PackedRaw | None,
    reason: Reason | None = None,
) -> ItemFailure:
    """Remember a failed item (and what it was made from), counting attempts; reopens a resolved one."""
    values = strip_nul({"url": url, "stage": str(stage), "reason": reason and str(reason), "error": error})
    values |= {"last_failed_at": sa.func.now(), "resolved_at": None}
    if (raw_packed := packed(raw)) is not None:
        values |= {
            "raw": raw_packed.compressed,
            "raw_kind": raw_packed.kind,
            "raw_url": raw_packed.url,
            "raw_content_type": raw_packed.content_type,
        }
    statement = insert(ItemFailure).values(
        outlet=outlet, item_key=strip_nul(item_key), attempts=1, first_failed_at=sa.func.now(), **values
    )
    failure_id = session.exec(
        # a retry without the raw keeps the raw from before
        statement.on_conflict_do_update(
            index_elements=["outlet", "item_key"], set_={**values, "attempts": ItemFailure.attempts + 1}
        ).returning(col(ItemFailure.id))
    ).scalar_one()
    failure = session.get(ItemFailure, failure_id, populate_existing=True)
    assert failure is not None  # upserted just above
    return failure


def resolve_item_failures(session: Session, item_keys: list[str]) -> int:
    """Mark the open import failures of these posts resolved (a batch of posts that now stored)."""
    if not item_keys:
        return 0
    result = session.exec(
        sa.update(ItemFailure)
        .where(col(ItemFailure.stage) == Stage.IMPORT, col(ItemFailure.resolved_at).is_(None))
        .where(col(ItemFailure.item_key).in_([strip_nul(key) for key in item_keys]))
        .values(resolved_at=sa.func.now())
    )
    return result.rowcount


def resolve_item_failure(session: Session, outlet: str, item_key: str) -> bool:
    """Mark an item's failure resolved; False if it had none open."""
    result = session.exec(
        sa.update(ItemFailure)
        .where(col(ItemFailure.outlet) == outlet, col(ItemFailure.item_key) == strip_nul(item_key))
        .where(col(ItemFailure.resolved_at).is_(None))
        .values(resolved_at=sa.func.now())
    )
    return result.rowcount > 0


def pending_item_failures(session: Session, outlet: str | None = None, *, imports: bool = False) -> list[ItemFailure]:
    """Unresolved failures of live ingestion (of one outlet), or of archive imports, oldest first."""
    statement = select(ItemFailure).where(
        col(ItemFailure.resolved_at).is_(None),
        ItemFailure.stage == Stage.IMPORT if imports else ItemFailure.stage != Stage.IMPORT,
    )
    if outlet is not None:
        statement = statement.where(ItemFailure.outlet == outlet)
    return list(session.exec(statement.order_by(col(ItemFailure.first_failed_at), col(ItemFailure.id))))


def failure_raw_input(failure: ItemFailure) -> RawInput | None:
    """The RawInput a failed item was recorded with, decompressed, to retry without the feed."""
    if failure.raw is None:
        return None
    return RawInput(
        kind=failure.raw_kind or "",
        content=unpack(failure.raw),
        url=failure.raw_url,
        content_type=failure.raw_content_type,
    )
