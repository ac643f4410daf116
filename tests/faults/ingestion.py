"""Real ingestion runs for the fault tests: a registry written to tmp with a hostile outlet and a calm one, polled by
ingest_all in that order through the replay layout against the hostile server (tests/faults/server.py), and what
the database holds afterwards. Every run checks that each outlet's accounting adds up and that the calm outlet,
polled after the hostile one, got its feed and its article as ever."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from newsmon.ingest import OutletReport, RunReport, ingest_all, ingest_outlet
from newsmon.storage import models
from newsmon.storage.engine import session
from tests.faults.server import HostileServer

HEAD = """
user_agent = "newsmon-test"
[alerts]
prefect_events = false
[failures]
retry_minutes = 0  # a failed feed or item is due again at the next run: a test runs again at once
"""
CALM_FEED = "https://calm.test/feeds/news"
PUBLISHED = "Mon, 30 Nov 2026 08:00:00 +0800"
TWO_PARAGRAPHS = "<p>第一段：{title}。</p><p>第二段，完。</p>"  # the full text: no page is fetched


def rss_item(n: int, title: str = "", *, host: str = "hostile.test", link: bool = True, published: str | None =
             PUBLISHED, body: str | None = None) -> str:
    """An RSS item of a zaobao-like outlet; with a body of two paragraphs unless told (one line: the page is
    fetched)."""
    url = f"https://{host}/news/china/story20261130-{n:07d}"
    return (
        "<item>" + (f"<title>{title}</title>" if title else "")
        + (f"<link>{url}</link>" if link else "")
        + (f"<pubDate>{published}</pubDate>" if published else "")
        + f"<description><![CDATA[{body if body is not None else TWO_PARAGRAPHS.format(title=title or n)}]]>"
        + "</description></item>"
    )


def rss(*items: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return f'{declaration}<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'


@dataclass
class Outcome:
    run: RunReport
    hostile: OutletReport
    calm: OutletReport
    articles: list[models.Article]  # the hostile outlet's, by URL
    failures: list[models.ItemFailure]  # the hostile outlet's open ones, by item key
    feeds: dict[str, models.Feed]  # the hostile outlet's feeds by URL, with their health
    fetches: list[models.FetchLog]  # the hostile outlet's fetch log of this run, in order


class Ingestion:
    """run(hostile source's TOML lines) polls the hostile outlet, then the calm one, against the server."""

    def __init__(self, server: HostileServer, db: Engine, tmp_path: Path, use_settings: Callable[..., None]):
        self.server, self.db = server, db
        self.replay_base = f"http://127.0.0.1:{server.port}"
        server.routes["/calm.test/feeds/news"] = rss(rss_item(1, "平静新闻", host="calm.test")).encode()
        self.registry = tmp_path / "sources.toml"
        use_settings(sources_path=self.registry, trial=True)

    def run(self, hostile: str, *, hostile_replay_base: str | bool | None = True) -> Outcome:
        """`hostile`: the [sources.hostile] lines; `hostile_replay_base`: the hostile outlet's own replay site (None:
        no replay site, the live fetcher; True: the server's)."""
        self.registry.write_text(f'{HEAD}\n[sources.hostile]\nparser = "zaobao"\n{hostile}\n'
                                 f'[sources.calm]\nparser = "zaobao"\nfeeds = ["{CALM_FEED}"]\n', encoding="utf-8")
        started = datetime.now(UTC)
        calm_requests = len([p for p in self.server.paths if p.startswith("/calm.test/")])

        def run_outlet(outlet: str, replay_base: str | None) -> OutletReport:
            own = hostile_replay_base if outlet == "hostile" and hostile_replay_base is not True else replay_base
            return ingest_outlet(outlet, own)

        report = ingest_all(None, self.replay_base, run_outlet=run_outlet)
        reports = {r.outlet: r for r in report.outlets}
        hostile_report, calm = reports["hostile"], reports["calm"]
        assert hostile_report.accounted and calm.accounted
        assert (calm.feeds_fetched, calm.feeds_failed, calm.errors) == (1, 0, [])  # polled after it, as ever
        assert calm.new + calm.duplicates == 1
        assert len([p for p in self.server.paths if p.startswith("/calm.test/")]) == calm_requests + 1
        with session(self.db) as s:
            articles = s.exec(select(models.Article).where(models.Article.outlet == "hostile")
                              .order_by(col(models.Article.url))).all()
            failures = s.exec(select(models.ItemFailure).where(models.ItemFailure.outlet == "hostile",
                                                               col(models.ItemFailure.resolved_at).is_(None))
                              .order_by(col(models.ItemFailure.item_key))).all()
            feeds = s.exec(select(models.Feed).where(models.Feed.outlet == "hostile")).all()
            fetches = s.exec(select(models.FetchLog).where(models.FetchLog.outlet == "hostile",
                                                           col(models.FetchLog.started_at) >= started)
                             .order_by(col(models.FetchLog.id))).all()
        return Outcome(report, hostile_report, calm, list(articles), list(failures),
                       {feed.url: feed for feed in feeds}, list(fetches))
