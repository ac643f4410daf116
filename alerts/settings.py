"""The [alerts] section of the registry file (sources.toml): threshold, zone, channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

PREFECT_EVENT = "prefect-event"  # a channel kind only a Prefect flow can send: the event newsmon.article.un-related
FORMATS = ("markdown", "html", "text")


@dataclass(frozen=True)
class Channel:
    name: str  # the outbox key: renaming a channel makes every article new to it
    url: str = ""  # an Apprise URL (slack://, tgram://, mailto://, discord://, json://, ...)
    format: str = "markdown"
    digest_minutes: int = 0  # 0: one message per alert; N: one message with everything pending, every N minutes
    kind: str = "apprise"

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"alert channel {self.name}: format {self.format!r} is not one of {', '.join(FORMATS)}")
        if self.kind == "apprise" and not self.url:
            raise ValueError(f"alert channel {self.name}: an Apprise url is needed")


@dataclass(frozen=True)
class AlertSettings:
    threshold: str = "mention"  # alert for articles at this level or above (mention or core)
    time_zone: str = "Asia/Singapore"  # published times in messages are shown in this zone
    channels: tuple[Channel, ...] = field(default_factory=tuple)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def channel(self, name: str) -> Channel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(f"no alert channel {name!r}; configured: {', '.join(c.name for c in self.channels) or 'none'}")


def alert_settings(data: dict) -> AlertSettings:
    section = data.get("alerts", {})
    channels = [Channel(**entry) for entry in section.get("channels", [])]
    if section.get("prefect_events", True):
        channels.append(Channel(PREFECT_EVENT, kind=PREFECT_EVENT, format="text"))
    threshold = section.get("threshold", "mention")
    if threshold not in ("mention", "core"):
        raise ValueError(f"alerts.threshold must be mention or core, not {threshold!r}")
    return AlertSettings(threshold, section.get("time_zone", "Asia/Singapore"), tuple(channels))
