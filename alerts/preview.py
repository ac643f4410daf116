"""`newsmon alerts preview`: what a channel would have received from the stored articles, under its rules as
configured now, so a team can tune them before it subscribes. The same rules as the outbox (Channel.wants, one
alert per story and channel); nothing is queued or sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from newsmon.storage.search import ScoredArticle, StoryArticle

from .settings import AlertSettings, Channel


@dataclass
class PreviewAlert:
    article: StoryArticle  # the story's first article on the channel: the one alerted
    bodies: list[str]
    held: bool  # stored during the channel's quiet hours: sent when they end
    also: list[StoryArticle] = field(default_factory=list)  # later articles of its story: named in the message


def preview(channel: Channel, settings: AlertSettings, articles: Sequence[ScoredArticle]) -> list[PreviewAlert]:
    """The alerts the channel would have got from these articles (un_related_since: in the order stored); a story
    whose first wanted article came before the window had its alert then, and gets none in it."""
    alerts: dict[tuple[str, int], PreviewAlert] = {}
    alerted_before: set[tuple[str, int]] = set()
    zone = settings.zone_of(channel)
    for scored in articles:
        article = scored.article
        if not channel.wants(article.un_level or "none", article.outlet, scored.bodies, settings.threshold):
            continue
        key = ("story", scored.story_id) if scored.story_id is not None else ("article", article.id)
        if key in alerted_before:
            continue
        if not scored.in_window:
            if key not in alerts:  # the story's first wanted article: its alert went before the window
                alerted_before.add(key)
            continue  # else stored after the window's article, though published before the window: not in it
        if key in alerts:
            alerts[key].also.append(article)
        else:
            alerts[key] = PreviewAlert(article, scored.bodies, channel.quiet_at(article.fetched_at, zone))
    return list(alerts.values())
