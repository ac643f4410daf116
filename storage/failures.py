"""Item failures: what did not become an article, kept with its raw input to be retried (live ones on a back-off,
newsmon.failure_policy), given up, dismissed, listed. Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon.failure_policy import DUE_EARLY, FailurePolicy
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
    policy: FailurePolicy | None = None,
) -> ItemFailure:
    """Remember a failed item (and what it was made from), counting attempts. A resolved one is reopened as a new
    failure (attempts from 1, no longer dismissed). With a policy (live polling), the next attempt is scheduled or
    the item given up; without one (imports), it waits for a retry by hand."""
    if stage == Stage.IMPORT:
        # an import failure is its post's, whatever outlet it was counted under before (an unreadable post was
        # 'unknown' until its folder named the outlet): it moves here rather than become a second failure of the post
        session.connection().execute(sa.text(
            "UPDATE item_failures SET outlet = :outlet WHERE id = (SELECT min(id) FROM item_failures"
            " WHERE stage = 'import' AND item_key = :key AND outlet <> :outlet) AND NOT EXISTS"
            " (SELECT FROM item_failures WHERE outlet = :outlet AND item_key = :key)"
        ), {"outlet": outlet, "key": strip_nul(item_key)})
    values = strip_nul({"url": url, "stage": str(stage), "reason": reason and str(reason), "error": error})
    values |= {"last_failed_at": sa.func.now(), "resolved_at": None}
    if (raw_packed := packed(raw)) is not None:
        values |= {
            "raw": raw_packed.compressed,
            "raw_kind": raw_packed.kind,
            "raw_url": raw_packed.url,
            "raw_content_type": raw_packed.content_type,
        }
    was_open = col(ItemFailure.resolved_at).is_(None)  # of the row before this update
    statement = insert(ItemFailure).values(
        outlet=outlet, item_key=strip_nul(item_key), attempts=1, first_failed_at=sa.func.now(), **values
    )
    failure_id = session.exec(
        # a retry without the raw keeps the raw from before
        statement.on_conflict_do_update(
            index_elements=["outlet", "item_key"],
            set_={
                **values,
                "attempts": sa.case((was_open, ItemFailure.attempts + 1), else_=1),
                "first_failed_at": sa.case((was_open, ItemFailure.first_failed_at), else_=sa.func.now()),
                "dismissed_at": sa.case((was_open, ItemFailure.dismissed_at), else_=None),
                "given_up_at": sa.case((was_open, ItemFailure.given_up_at), else_=None),
            },
        ).returning(col(ItemFailure.id))
    ).scalar_one()
    failure = session.get(ItemFailure, failure_id, populate_existing=True)
    assert failure is not None  # upserted just above
    if policy is not None:
        if policy.gives_up(failure.attempts, failure.first_failed_at, failure.last_failed_at):
            failure.given_up_at = failure.given_up_at or failure.last_failed_at
            failure.next_attempt_at = None
        else:
            failure.given_up_at = None  # a policy relaxed since, and a retry by hand, give it another chance
            failure.next_attempt_at = failure.last_failed_at + policy.backoff(failure.attempts)
        session.flush()
    return failure


def gave_up_now(failure: ItemFailure) -> bool:
    """Whether the failure just recorded is the one that gave the item up (logged once, not at every retry)."""
    return failure.given_up_at is not None and failure.given_up_at == failure.last_failed_at


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


def pending_item_failures(
    session: Session, outlet: str | None = None, *, imports: bool = False, ids: list[int] | None = None
) -> list[ItemFailure]:
    """Open failures of live ingestion (of one outlet), or of archive imports, oldest first: unresolved and not
    dismissed; with ids, the unresolved ones among them, dismissed or not (an operator's retry by hand)."""
    statement = select(ItemFailure).where(
        col(ItemFailure.resolved_at).is_(None),
        ItemFailure.stage == Stage.IMPORT if imports else ItemFailure.stage != Stage.IMPORT,
    )
    if ids is None:
        statement = statement.where(col(ItemFailure.dismissed_at).is_(None))
    else:
        statement = statement.where(col(ItemFailure.id).in_(ids))
    if outlet is not None:
        statement = statement.where(ItemFailure.outlet == outlet)
    return list(session.exec(statement.order_by(col(ItemFailure.first_failed_at), col(ItemFailure.id))))


class LiveFailures(NamedTuple):
    due: list[ItemFailure]  # to try again this run, oldest first
    waiting: set[str]  # item keys a run leaves alone: not due yet, given up or dismissed


def live_failures(session: Session, outlet: str) -> LiveFailures:
    """An outlet's unresolved live failures, split by whether a run tries them again now."""
    due = sa.and_(
        col(ItemFailure.given_up_at).is_(None),
        col(ItemFailure.dismissed_at).is_(None),
        sa.or_(
            col(ItemFailure.next_attempt_at).is_(None),
            col(ItemFailure.next_attempt_at) <= sa.func.now() + DUE_EARLY,
        ),
    )
    rows = session.exec(
        select(ItemFailure, due)
        .where(col(ItemFailure.resolved_at).is_(None), ItemFailure.stage != Stage.IMPORT, ItemFailure.outlet == outlet)
        .order_by(col(ItemFailure.first_failed_at), col(ItemFailure.id))
    ).all()
    return LiveFailures([f for f, is_due in rows if is_due], {f.item_key for f, is_due in rows if not is_due})


def list_item_failures(
    session: Session,
    *,
    outlet: str | None = None,
    stage: str | None = None,
    given_up: bool = False,
    dismissed: bool = False,
    limit: int = 50,
) -> list[ItemFailure]:
    """Unresolved failures, the latest failed first: of live polling (stage "live"), of imports ("import") or both
    (None), of one outlet or all, only the given-up ones if asked, the dismissed ones too if asked."""
    statement = select(ItemFailure).where(col(ItemFailure.resolved_at).is_(None))
    if stage == "import":
        statement = statement.where(ItemFailure.stage == Stage.IMPORT)
    elif stage == "live":
        statement = statement.where(ItemFailure.stage != Stage.IMPORT)
    if outlet is not None:
        statement = statement.where(ItemFailure.outlet == outlet)
    if given_up:
        statement = statement.where(col(ItemFailure.given_up_at).is_not(None))
    if not dismissed:
        statement = statement.where(col(ItemFailure.dismissed_at).is_(None))
    statement = statement.order_by(col(ItemFailure.last_failed_at).desc(), col(ItemFailure.id).desc()).limit(limit)
    return list(session.exec(statement))


def dismiss_item_failures(session: Session, ids: list[int]) -> list[int]:
    """Dismiss these unresolved failures (kept, no longer retried by runs, hidden from the list); the ids dismissed
    now, in order."""
    result = session.exec(
        sa.update(ItemFailure)
        .where(col(ItemFailure.id).in_(ids), col(ItemFailure.resolved_at).is_(None))
        .where(col(ItemFailure.dismissed_at).is_(None))
        .values(dismissed_at=sa.func.now())
        .returning(col(ItemFailure.id))
    )
    return sorted(result.scalars())


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
