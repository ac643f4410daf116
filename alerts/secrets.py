"""Channel URLs without secrets in sources.toml, and what keeps resolved secrets out of everything newsmon prints,
stores or logs.

A channel's `url` may reference environment variables, whole or inside a longer URL (`url = "${SLACK_URL}"`,
`url = "mailtos://alerts:${MAIL_PASSWORD}@example.com"`), or the channel names a Prefect Secret block holding its
whole URL (`secret = "slack-url"`). Both are resolved each time the channel is used, never when the file is read.
Only flows/ import Prefect, so reading a block is a function the caller passes in (a SecretLookup:
newsmon.flows.secrets.read_secret_block, which the flows pass and the CLI passes lazily).

A resolved channel is a ChannelTarget: the URL and the secret values in it (what was substituted, the block's value,
and the parts of the URL Apprise itself masks), so that error texts and Apprise's log records are scrubbed of them
before anyone sees them. Secrets shorter than four characters are not masked: they would garble every message."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import unquote

import apprise

SecretLookup = Callable[[str], str]  # a Prefect Secret block's name -> its value

MASK = "***"
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_PARTS = re.compile(r"[/:@?&=#+,;\s]+")
_SHORTEST_SECRET = 4
_CALL_WARNINGS: ContextVar[list[str] | None] = ContextVar("newsmon_apprise_call_warnings", default=None)


class SecretUnavailable(Exception):
    """A channel's URL cannot be made now; the message names the variable or the block, never a value."""


def referenced_variables(url: str) -> list[str]:
    """The environment variables a channel URL names; a `${` that does not make a reference is an error."""
    if "${" in _REFERENCE.sub("", url):
        raise ValueError(f"{url!r}: write an environment variable as ${{NAME}} (letters, digits, underscores)")
    return _REFERENCE.findall(url)


@dataclass(frozen=True)
class ChannelTarget:
    """A channel's URL as resolved for one use, with the secret values in it. Never printed whole (no repr)."""

    url: str = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)  # longest first, so a value containing another is masked whole

    def scrub(self, text: str) -> str:
        return _scrub(text, self.secrets)

    def apprise_log(self) -> AbstractContextManager[list[str]]:
        """Use around every Apprise call with this URL: see scrubbed_apprise_log."""
        return scrubbed_apprise_log(self.secrets)

    def redacted(self) -> str:
        """The URL as Apprise prints it with privacy on (tokens and passwords masked) and without its options;
        only its scheme when Apprise cannot read it."""
        with self.apprise_log():
            service = apprise.Apprise.instantiate(self.url)
        if service is None:
            return f"{self.url.split('://')[0]}://…" if "://" in self.url else "(not a URL)"
        return self.scrub(service.url(privacy=True).split("?")[0])


def resolve_url(
    url: str, secret: str, lookup: SecretLookup | None, environ: Mapping[str, str] | None = None
) -> ChannelTarget:
    """A channel's URL: its Prefect Secret block read through `lookup`, or `url` with its ${NAME} references filled
    from the environment."""
    if secret:
        if lookup is None:
            raise SecretUnavailable(f"the URL is in the Prefect Secret block {secret!r}, which only a Prefect run "
                                    "or the newsmon CLI can read")
        value = lookup(secret)
        return _target(value, [value])
    env = os.environ if environ is None else environ
    missing = [variable for variable in dict.fromkeys(referenced_variables(url)) if not env.get(variable)]
    if missing:
        raise SecretUnavailable(f"environment variable {', '.join(missing)} "
                                f"{'is' if len(missing) == 1 else 'are'} not set")
    substituted = [env[variable] for variable in referenced_variables(url)]
    return _target(_REFERENCE.sub(lambda match: env[match.group(1)], url), substituted)


@contextmanager
def scrubbed_apprise_log(secrets: tuple[str, ...]) -> Iterator[list[str]]:
    """While Apprise works with a resolved URL (Apprise logs URLs it loads, and errors that quote them): every
    record of its logger scrubbed of the secrets, whatever handler prints it (a console, a worker's log); and the
    warnings of this call, its threads included (they run in a copy of its context), kept for an error text."""
    warnings: list[str] = []

    def scrub(record: logging.LogRecord) -> bool:
        record.msg, record.args = _scrub(record.getMessage(), secrets), None
        if record.levelno >= logging.WARNING and _CALL_WARNINGS.get() is warnings:
            warnings.append(record.msg)
        return True

    logger = logging.getLogger("apprise")
    logger.addFilter(scrub)
    this_call = _CALL_WARNINGS.set(warnings)
    try:
        yield warnings
    finally:
        _CALL_WARNINGS.reset(this_call)
        logger.removeFilter(scrub)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for value in secrets:
        text = text.replace(value, MASK)
    return text


def _target(url: str, given: list[str]) -> ChannelTarget:
    """The URL with the values given and the parts Apprise masks as its secrets."""
    values = {value for value in given if len(value) >= _SHORTEST_SECRET}
    with scrubbed_apprise_log(tuple(values)):
        values |= _masked_parts(url)
    return ChannelTarget(url, tuple(sorted(values, key=len, reverse=True)))


def _masked_parts(url: str) -> set[str]:
    """The parts of an Apprise URL that Apprise masks when it prints the URL (tokens, passwords), as written and
    decoded."""
    service = apprise.Apprise.instantiate(url)
    if service is None:
        return set()
    private = service.url(privacy=True)
    shown = set(_URL_PARTS.split(private)) | set(_URL_PARTS.split(unquote(private)))
    written = set(_URL_PARTS.split(url)) | set(_URL_PARTS.split(service.url(privacy=False)))
    hidden = {part for part in written if part not in shown}
    return {form for part in hidden for form in (part, unquote(part)) if len(form) >= _SHORTEST_SECRET}
