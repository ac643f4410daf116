"""UN relevance of stored articles: explain one, rescore all after the lexicon changed (no alerts: old news)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from newsmon.relevance.classify import Lexicon, classify, load_lexicon
from newsmon.storage.engine import session
from newsmon.storage.models import Article, ArticleRelevance
from newsmon.storage.relevance import save_relevances

BATCH = 500


def rescore(engine: Engine, lexicon: Lexicon) -> dict:
    """Score every article without a relevance of this lexicon; returns counts by level, and per outlet the
    articles whose level changed ({outlet: {"none -> mention": n, ...}}; an article not scored before is not a
    change). Never alerts: the articles are old news, whatever their new level."""
    levels: Counter = Counter()
    changed: dict[str, Counter] = {}
    scored = 0
    last_id = 0
    while True:
        with session(engine) as s:
            rows = s.execute(
                _scored_by_another(sa.select(col(Article.id), col(Article.outlet), col(Article.title),
                                          col(Article.paragraphs), col(ArticleRelevance.level)), lexicon)
                .where(col(Article.id) > last_id)
                .order_by(col(Article.id))
                .limit(BATCH)
            ).all()
            if not rows:
                return {"scored": scored, "levels": dict(levels),
                        "changed": {outlet: dict(changed[outlet]) for outlet in sorted(changed)}}
            now = datetime.now(UTC)
            batch = []
            for article_id, outlet, title, paragraphs, before in rows:
                assert article_id is not None  # a primary key
                relevance = classify(title, paragraphs, lexicon)
                batch.append((article_id, relevance))
                if before is not None and before != relevance.level:
                    changed.setdefault(outlet, Counter())[f"{before} -> {relevance.level}"] += 1
            save_relevances(s, [(id, r.to_json(), r.model, now) for id, r in batch])
            levels.update(r.level for _, r in batch)
            scored += len(rows)
            last_id = batch[-1][0]


def count_unscored(engine: Engine, lexicon: Lexicon) -> int:
    """How many articles rescore() would score: none when the lexicon has not changed since they were scored."""
    with session(engine) as s:
        return s.exec(_scored_by_another(select(sa.func.count()).select_from(Article), lexicon)).one()


def _scored_by_another(query, lexicon: Lexicon):
    """The query over articles without a relevance of this lexicon."""
    return query.join(ArticleRelevance, col(ArticleRelevance.article_id) == col(Article.id), isouter=True).where(
        sa.or_(col(ArticleRelevance.model).is_(None), col(ArticleRelevance.model) != lexicon.fingerprint)
    )


def explain(engine: Engine, article_id: int) -> str | None:
    with session(engine) as s:
        article = s.get(Article, article_id)
        if article is None:
            return None
        stored = s.get(ArticleRelevance, article_id)
    lexicon = load_lexicon()
    relevance = classify(article.title, article.paragraphs, lexicon)
    lines = [
        f"{article.id}  {article.outlet}: {article.title}",
        f"level {relevance.level} (score {relevance.score:.1f}) by lexicon {relevance.model}"
        + (f"; stored: {stored.level} by lexicon {stored.model}" if stored else "; not scored yet"),
        "why: " + "; ".join(relevance.reasons),
        "bodies: " + (", ".join(relevance.bodies) or "-"),
    ]
    for evidence in relevance.evidence[:12]:
        where = "title" if evidence.paragraph < 0 else f"paragraph {evidence.paragraph + 1}"
        counted = "not counted" if evidence.role == "cv" else evidence.role
        lines.append(f"  [{counted}] {where}, {evidence.body} ({evidence.match}): {evidence.sentence}")
    return "\n".join(lines)


def change_lines(changed: dict[str, dict[str, int]]) -> list[str]:
    """rescore()'s changes of level, a line per outlet: `newsmon un rescore` and the maintenance print them."""
    if not changed:
        return ["no article changed level"]
    return [f"{outlet}: {sum(moves.values()):,} changed level ("
            + ", ".join(f"{move} {count:,}" for move, count in sorted(moves.items())) + ")"
            for outlet, moves in changed.items()]
