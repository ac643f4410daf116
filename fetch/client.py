"""A polite, retrying HTTP fetcher that reports problems as data instead of raising."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8"
)
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9"
MAX_REDIRECTS = 10
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Failures worth another try: the next attempt may well get through.
RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass
class FetchResult:
    url: str  # as asked for
    final_url: str  # after redirects, in the same URL space as `url` (never the replay site)
    status: int | None = None
    content: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # 304: the caller's copy is current; content is None
    elapsed_ms: int = 0  # wall time of get(), including back-off and politeness waits
    attempts: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Politeness:
    """How a host is treated: at most `concurrency` requests at a time, their starts `delay_seconds` apart."""

    concurrency: int = 2
    delay_seconds: float = 1.0


class _Abort(Exception):
    """A failure that another attempt would not fix (body too large, redirect loop)."""


@dataclass
class _Attempt:
    result: FetchResult
    retryable: bool = False
    retry_after: float | None = None  # seconds the server asked us to wait


class _HostGate:
    """Limits concurrent requests to one host and spaces out their starts."""

    def __init__(self, concurrency: int, min_interval: float) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._min_interval = min_interval
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._slots:
            # Reserve a start time under the lock, sleep outside it, so waiting threads
            # queue up at min_interval spacing instead of all waking at once.
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self._min_interval
            time.sleep(start - now)
            yield


class Fetcher:
    """GETs URLs with retries, per-host politeness and a size cap; safe to share across threads.

    `retries` is the number of extra attempts after the first, so at most retries + 1
    requests are made. With `replay_base`, https://host/path?q is requested as
    {replay_base}/host/path?q while results keep the original URLs.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 15.0,
        max_bytes: int = 5_000_000,
        retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        politeness: Politeness = Politeness(),
        host_politeness: dict[str, Politeness] | None = None,
        replay_base: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.politeness = politeness  # for hosts without their own entry in host_politeness
        self.host_politeness = {host.lower(): rule for host, rule in (host_politeness or {}).items()}
        # Normalised the way httpx prints URLs, so redirect targets can be matched against it.
        self.replay_base = str(httpx.URL(replay_base)).rstrip("/") if replay_base else None
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._client = httpx.Client(
            headers={
                "User-Agent": user_agent,
                "Accept": ACCEPT,
                "Accept-Language": ACCEPT_LANGUAGE,
            },
            timeout=timeout,
            follow_redirects=False,  # followed by hand: each hop is mapped and rate-limited
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch `url`; network and HTTP problems come back in `FetchResult.error`."""
        started = time.monotonic()
        if not _is_http_url(url):
            return FetchResult(url=url, final_url=url, error=f"not an http(s) URL: {url!r}")

        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        attempts = 0
        while True:
            attempts += 1
            attempt = self._attempt(url, headers)
            if not attempt.retryable or attempts > self.retries:
                break
            time.sleep(self._backoff(attempts, attempt.retry_after))

        result = attempt.result
        result.attempts = attempts
        result.elapsed_ms = round((time.monotonic() - started) * 1000)
        if result.not_modified:
            # A 304 need not repeat the validators; hand back the ones still valid.
            result.etag = result.etag or etag
            result.last_modified = result.last_modified or last_modified
        if result.error and attempts > 1:
            result.error += f" ({attempts} attempts)"
        return result

    def _attempt(self, url: str, headers: dict[str, str]) -> _Attempt:
        def failed(message: str) -> FetchResult:
            return FetchResult(url=url, final_url=url, error=message)

        try:
            return self._follow_redirects(url, headers)
        except httpx.TimeoutException:
            return _Attempt(failed(f"timed out after {self.timeout} s"), retryable=True)
        except RETRY_ERRORS as exc:
            return _Attempt(failed(_describe_network_error(exc)), retryable=True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Attempt(failed(f"request failed: {exc}"))
        except _Abort as exc:
            return _Attempt(failed(str(exc)))

    def _follow_redirects(self, url: str, headers: dict[str, str]) -> _Attempt:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            with (
                self._gate(current).turn(),
                self._client.stream("GET", self._wire_url(current), headers=headers) as response,
            ):
                if response.has_redirect_location:
                    target = urljoin(str(response.url), response.headers["Location"])
                    target = self._original_url(target, scheme=urlsplit(current).scheme)
                    if not _is_http_url(target):
                        raise _Abort(f"redirected to an unusable URL: {target!r}")
                    current = target
                    continue
                return self._read_response(url, current, response)
        raise _Abort(f"more than {MAX_REDIRECTS} redirects")

    def _read_response(self, url: str, final_url: str, response: httpx.Response) -> _Attempt:
        result = FetchResult(
            url=url,
            final_url=final_url,
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
        if response.status_code == 304:
            result.not_modified = True
            return _Attempt(result)
        if not response.is_success:
            result.error = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            return _Attempt(
                result,
                retryable=response.status_code in RETRY_STATUSES,
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
            )
        try:
            result.content = self._read_body(response)
        except _Abort as exc:
            result.error = str(exc)
        return _Attempt(result)

    def _read_body(self, response: httpx.Response) -> bytes:
        too_large = _Abort(f"response larger than {self.max_bytes} bytes")
        declared = response.headers.get("Content-Length", "")
        if declared.isdecimal() and int(declared) > self.max_bytes:
            raise too_large
        # httpx's timeout bounds each read, not the whole body; a server trickling bytes
        # could otherwise hold a worker thread indefinitely.
        deadline = time.monotonic() + self.timeout
        chunks, size = [], 0
        for chunk in response.iter_bytes():  # decompressed, so gzip bombs are capped too
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("body not complete within the timeout")
            chunks.append(chunk)
        return b"".join(chunks)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_cap)
        # Exponential back-off with full jitter, so retrying clients do not stampede together.
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def _gate(self, url: str) -> _HostGate:
        host = urlsplit(url).hostname or ""
        with self._gates_lock:
            if host not in self._gates:
                rule = self.host_politeness.get(host, self.politeness)
                self._gates[host] = _HostGate(rule.concurrency, rule.delay_seconds)
            return self._gates[host]

    def _wire_url(self, url: str) -> str:
        """The URL actually requested: the original, or its copy on the replay site."""
        if not self.replay_base:
            return url
        parts = urlsplit(url)
        wire = f"{self.replay_base}/{parts.netloc}{parts.path or '/'}"
        return f"{wire}?{parts.query}" if parts.query else wire

    def _original_url(self, wire_url: str, *, scheme: str) -> str:
        """Undo _wire_url; the replay site cannot tell us the scheme, so the caller does."""
        prefix = f"{self.replay_base}/"
        if not self.replay_base or not wire_url.startswith(prefix):
            return wire_url
        return f"{scheme}://{wire_url[len(prefix):]}"


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse Retry-After: delta seconds or an HTTP-date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdecimal():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe_network_error(exc: Exception) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(cause, socket.gaierror):
            return "could not resolve host"
        cause = cause.__cause__ or cause.__context__
    return f"network error: {exc}"
