"""The [alerts] section of the registry file (sources.toml): threshold, zone, channels. A channel's URL may come from
the environment or a Prefect Secret block (newsmon.alerts.secrets), resolved only when the channel is used."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from newsmon.relevance.classify import at_least, load_lexicon

from .secrets import ChannelTarget, SecretLookup, SecretUnavailable, referenced_variables, resolve_url

_QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
PREFECT_EVENT = "prefect-event"  # a channel kind only a Prefect flow can send: the event newsmon.article.un-related
FORMATS = ("markdown", "html", "text")
# services that read Markdown in every message, whatever Apprise was told the message is: outlet text in a text or HTML
# message would be live markup there, so a channel on them must be a Markdown one (its outlet text escaped for it)
READS_MARKDOWN = frozenset({"discord", "mmost", "mmosts", "rocket", "rockets", "gchat"})


@dataclass(frozen=True)
class Channel:
    name: str  # the outbox key: renaming a channel makes every article new to it
    url: str = ""  # an Apprise URL (slack://, tgram://, mailto://, discord://, json://, ...); may hold ${VARIABLE}s
    format: str = "markdown"
    digest_minutes: int = 0  # 0: one message per alert; N: one message with everything pending, every N minutes
    kind: str = "apprise"
    secret: str = ""  # instead of url: the name of a Prefect Secret block holding the URL
    time_zone: str = ""  # published times in this channel's messages and its quiet hours; "": the [alerts] time_zone
    # What the channel receives (wants()): articles at this level or above ("": the [alerts] threshold), of these
    # outlets (none named: every outlet), naming one of these UN bodies (the lexicon's names; none named: any)
    level: str = ""
    outlets: Sequence[str] = ()
    bodies: Sequence[str] = ()
    quiet_hours: str = ""  # "22:00-07:00" in the channel's zone: its alerts wait, queued, and go when these end

    def __post_init__(self):
        object.__setattr__(self, "outlets", tuple(self.outlets))  # TOML gives lists; a frozen channel keeps tuples
        object.__setattr__(self, "bodies", tuple(self.bodies))
        if self.level not in ("", "mention", "core"):
            raise ValueError(f"alert channel {self.name}: level must be mention or core, not {self.level!r}")
        if self.quiet_hours and (not _QUIET_HOURS.match(self.quiet_hours)
                                 or self.quiet_hours[:5] == self.quiet_hours[6:]):
            raise ValueError(f"alert channel {self.name}: quiet_hours must be like \"22:00-07:00\" (two different "
                             f"times), not {self.quiet_hours!r}")
        if self.format not in FORMATS:
            raise ValueError(f"alert channel {self.name}: format {self.format!r} is not one of {', '.join(FORMATS)}")
        if self.kind == "apprise" and bool(self.url) == bool(self.secret):
            raise ValueError(f"alert channel {self.name}: give an Apprise url or the name of a Prefect Secret block "
                             "holding it (secret = ...), one of the two")
        try:
            referenced_variables(self.url)
        except ValueError as error:
            raise ValueError(f"alert channel {self.name}: url {error}") from None
        if problem := self.format_problem(self.url):  # a URL from a secret is checked when it is read
            raise ValueError(problem)
        if self.time_zone:
            try:
                ZoneInfo(self.time_zone)
            except (ValueError, KeyError):
                raise ValueError(f"alert channel {self.name}: no time zone {self.time_zone!r}") from None

    def wants(self, level: str, outlet: str, bodies: Sequence[str], threshold: str) -> bool:
        """Whether an article of this UN level, outlet and UN bodies is alerted on this channel; threshold: the
        [alerts] threshold, the level of a channel that names none."""
        return (at_least(level, self.level or threshold)
                and (not self.outlets or outlet in self.outlets)
                and (not self.bodies or any(body in self.bodies for body in bodies)))

    def quiet_at(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether the moment falls in the channel's quiet hours (start included, end not; a span may pass
        midnight)."""
        if not self.quiet_hours:
            return False
        start, end = (time.fromisoformat(part) for part in self.quiet_hours.split("-"))
        now = moment.astimezone(zone).time()
        return start <= now < end if start <= end else now >= start or now < end

    def format_problem(self, url: str) -> str | None:
        """Why this channel's format cannot go to the URL's service (None: it can)."""
        scheme = url.split("://")[0].lower() if "://" in url else ""
        if scheme in READS_MARKDOWN and self.format != "markdown":
            return (f"alert channel {self.name}: {scheme}:// shows every message as Markdown, so format "
                    f"{self.format!r} would leave markup in outlet titles live there; use format = \"markdown\"")
        return None

    def target(self, lookup: SecretLookup | None = None) -> ChannelTarget:
        """The URL to send to, resolved now (SecretUnavailable names what is missing)."""
        return resolve_url(self.url, self.secret, lookup)

    @property
    def url_source(self) -> str:
        """Where the URL comes from, as safe to print as the registry file itself."""
        if self.secret:
            return f"Prefect Secret block {self.secret!r}"
        variables = referenced_variables(self.url)
        return f"environment {', '.join(variables)}" if variables else "sources.toml"


@dataclass(frozen=True)
class AlertSettings:
    threshold: str = "mention"  # alert for articles at this level or above (mention or core)
    time_zone: str = "Asia/Singapore"  # published times in messages are shown in this zone
    channels: tuple[Channel, ...] = field(default_factory=tuple)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def zone_of(self, channel: Channel) -> ZoneInfo:
        return ZoneInfo(channel.time_zone) if channel.time_zone else self.zone

    def channels_wanting(self, level: str, outlet: str, bodies: Sequence[str]) -> list[Channel]:
        return [channel for channel in self.channels if channel.wants(level, outlet, bodies, self.threshold)]

    def channel(self, name: str) -> Channel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(f"no alert channel {name!r}; configured: {', '.join(c.name for c in self.channels) or 'none'}")


def alert_settings(data: dict) -> AlertSettings:
    section = data.get("alerts", {})
    channels = [Channel(**entry) for entry in section.get("channels", [])]
    _check_bodies(channels)
    if section.get("prefect_events", True):
        channels.append(Channel(PREFECT_EVENT, kind=PREFECT_EVENT, format="text"))
    threshold = section.get("threshold", "mention")
    if threshold not in ("mention", "core"):
        raise ValueError(f"alerts.threshold must be mention or core, not {threshold!r}")
    return AlertSettings(threshold, section.get("time_zone", "Asia/Singapore"), tuple(channels))


def _check_bodies(channels: list[Channel]) -> None:
    """Refuse UN bodies the lexicon does not name, and the bare UN; read the lexicon only when a channel names any
    (every command that loads the registry comes here)."""
    if not any(channel.bodies for channel in channels):
        return
    lexicon = load_lexicon()
    for channel in channels:
        if unknown := [body for body in channel.bodies if body not in lexicon.weights]:
            raise ValueError(f"alert channel {channel.name}: no UN body {', '.join(map(repr, unknown))} in the "
                             f"lexicon; its names: {', '.join(lexicon.weights)}")
        if generic := [body for body in channel.bodies if body in lexicon.generic]:
            # an article naming the Security Council lists it, not the bare UN: the channel would miss it
            raise ValueError(f"alert channel {channel.name}: {', '.join(map(repr, generic))} stands for any UN "
                             "body; leave bodies out to receive them all")


def channel_lines(settings: AlertSettings) -> list[str]:
    """`newsmon alerts channels`: each channel's format, schedule, zone and where its URL comes from, the URL shown
    as Apprise prints it with privacy on; a block is not read (Prefect would load), an unset variable is named."""
    lines = []
    for channel in settings.channels:
        schedule = f"digest {channel.digest_minutes} min" if channel.digest_minutes else "each alert"
        zone = channel.time_zone or settings.time_zone
        if channel.kind == PREFECT_EVENT:
            where = "a Prefect event newsmon.article.un-related, sent by the Prefect flows"
        elif channel.secret:
            where = f"{channel.url_source} (read when sending; `newsmon alerts test {channel.name}` tries it)"
        else:
            try:
                where = f"{channel.url_source}: {channel.target().redacted()}"
            except SecretUnavailable as error:
                where = f"cannot send now: {error}"
        lines.append(f"{channel.name:16} {channel.format:8} {schedule:14} {zone:16} {where}")
        lines.append(f"{'':16} receives {channel_rules(channel, settings.threshold)}")
    return lines or ["no alert channels: add them to [alerts] channels in sources.toml"]


def channel_rules(channel: Channel, threshold: str) -> str:
    """What a channel receives, in words: `newsmon alerts channels` and `preview`."""
    level = channel.level or threshold
    rules = ["core only" if level == "core" else "mention and core"]
    rules.append(f"of {', '.join(channel.outlets)}" if channel.outlets else "of every outlet")
    if channel.bodies:
        rules.append(f"naming {' or '.join(channel.bodies)}")
    if channel.quiet_hours:
        rules.append(f"held during {channel.quiet_hours}")
    return ", ".join(rules)
