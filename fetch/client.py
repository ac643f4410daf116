"""A polite, retrying HTTP fetcher that reports problems as data instead of raising."""

from __future__ import annotations

import ipaddress
import random
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8"
)
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9"
# The content codings read here (by _decoded_body, a bounded piece at a time), with their zlib window bits.
CONTENT_CODINGS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
INFLATE_STEP = 65_536  # the most one decompression call makes: a 64 KB read of a bomb makes some 64 MB otherwise
MAX_REDIRECTS = 10
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Failures worth another try: the next attempt may well get through.
RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Reach:
    """Where a source's requests may go: its hosts, over http(s), on the scheme's default port.

    An entry "host" allows the default port only; "host:8080" allows that port as well.
    """

    hosts: frozenset[str]

    @staticmethod
    def entry_for(url: str) -> str:
        """The entry that allows `url`: its host, with the port when it is not the scheme's default."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
        if port in (None, DEFAULT_PORTS.get(parts.scheme)):
            return host
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address in brackets, as in URLs

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be requested, or None when it may."""
        try:
            allowed = _is_http_url(url) and self.entry_for(url) in self.hosts
        except ValueError:  # a port that is not a number
            allowed = False
        return None if allowed else f"{url} is outside the allowed hosts"


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
    refused: bool = False  # never requested: off the allowed hosts or to a non-public address
    retry_after: float | None = None  # a server's Retry-After (seconds) longer than the fetcher waits: not before then

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


class _Refused(_Abort):
    """A request not made: it would leave the allowed hosts or reach a non-public address."""


class _GuardedNetwork(httpcore.SyncBackend):
    """Connects only to vetted addresses and holds every request to its deadline.

    Names are resolved here, every address is checked, and the connection goes to a checked
    address, so a name cannot resolve to a public address for the check and a private one
    for the connection. The deadline (per thread: a request runs in its caller's thread)
    bounds connect, headers and body together; httpx's own timeout bounds each read only.
    """

    def __init__(self, *, allow_private: Iterable[str]) -> None:
        self.allow_private = tuple(ipaddress.ip_network(network) for network in allow_private)
        self._local = threading.local()

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        self._local.deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.deadline = None

    def time_left(self, timeout: float | None, expired: type[Exception]) -> float | None:
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise expired("request not complete within its deadline")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        except socket.gaierror as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        for address in addresses:
            ip = _ip(address)
            if not (_is_public(ip) or any(ip in network for network in self.allow_private)):
                raise _Refused(f"{host} resolves to a non-public address ({address}): not requested")
        failure: httpcore.ConnectError | None = None
        for address in dict.fromkeys(addresses):
            try:
                stream = super().connect_tcp(
                    address, port, self.time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self)
        assert failure is not None  # getaddrinfo returns at least one address or raises
        raise failure


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads and writes all end by the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, network: _GuardedNetwork) -> None:
        self._stream = stream
        self._network = network

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._network.time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._network.time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(
            ssl_context, server_hostname, self._network.time_left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(tls, self._network)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


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

    `timeout` is each request's whole deadline: connect, headers and body. Private, loopback,
    link-local, multicast and other non-public addresses are refused unless in a network of
    `allow_private` (e.g. "127.0.0.0/8" for a local replay site or test server). With
    `budget_seconds`, every request ends within that many seconds of the fetcher's making, and
    none starts after: one outlet's share of a run.
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
        allow_private: Iterable[str] = (),
        budget_seconds: float | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.budget_seconds = budget_seconds
        self._budget_ends = None if budget_seconds is None else time.monotonic() + budget_seconds
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.politeness = politeness  # for hosts without their own entry in host_politeness
        self.host_politeness = {host.lower(): rule for host, rule in (host_politeness or {}).items()}
        # Normalised the way httpx prints URLs, so redirect targets can be matched against it.
        self.replay_base = str(httpx.URL(replay_base)).rstrip("/") if replay_base else None
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._network = _GuardedNetwork(allow_private=allow_private)
        transport = httpx.HTTPTransport()
        # httpx offers no parameter for the network backend of its connection pool.
        transport._pool = httpcore.ConnectionPool(network_backend=self._network)
        self._client = httpx.Client(
            transport=transport,
            headers={
                "User-Agent": user_agent,
                "Accept": ACCEPT,
                "Accept-Language": ACCEPT_LANGUAGE,
                "Accept-Encoding": "gzip, deflate",
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
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, allow: Reach | None = None
    ) -> FetchResult:
        """Fetch `url`; network and HTTP problems come back in `FetchResult.error`.

        With `allow`, the URL and every redirect target must be within it; a refused request is not made.
        """
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
            attempt = self._attempt(url, headers, allow)
            if not attempt.retryable or attempts > self.retries:
                break
            if attempt.retry_after is not None and attempt.retry_after > self.backoff_cap:
                attempt.result.retry_after = attempt.retry_after  # politeness: not sooner, in this run or the next
                attempt.result.error = (f"{attempt.result.error}; not tried again: the server asks for a wait of "
                                        f"{attempt.retry_after:g} s (Retry-After)")
                break
            wait = self._backoff(attempts, attempt.retry_after)
            if wait >= self._budget_left():  # a wait the budget cannot hold: give up now rather than at its end
                asked = "" if attempt.retry_after is None else f" (Retry-After {attempt.retry_after:g} s)"
                attempt.result.error = (f"{attempt.result.error}; not tried again{asked}: a wait of {wait:.1f} s "
                                        f"is more than is left of the time budget of {self.budget_seconds} s")
                break
            time.sleep(wait)

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

    def _attempt(self, url: str, headers: dict[str, str], allow: Reach | None) -> _Attempt:
        def failed(message: str) -> FetchResult:
            return FetchResult(url=url, final_url=url, error=message)

        try:
            return self._follow_redirects(url, headers, allow)
        except httpx.TimeoutException:
            return _Attempt(failed(f"timed out after {self.timeout} s"), retryable=True)
        except RETRY_ERRORS as exc:
            return _Attempt(failed(_describe_network_error(exc)), retryable=True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Attempt(failed(f"request failed: {exc}"))
        except _Refused as exc:
            result = failed(f"refused: {exc}")
            result.refused = True
            return _Attempt(result)
        except _Abort as exc:
            return _Attempt(failed(str(exc)))

    def _follow_redirects(self, url: str, headers: dict[str, str], allow: Reach | None) -> _Attempt:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            refusal = allow.refusal(current) if allow else None
            if refusal:
                raise _Refused(refusal if current == url else f"redirected: {refusal}")
            budget_left = self._budget_left()
            if budget_left == 0:
                raise _Abort(f"the time budget of {self.budget_seconds} s is spent: not requested")
            with (
                self._gate(current).turn(),
                self._network.deadline(min(self.timeout, budget_left)),
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
        chunks, size = [], 0  # the request's deadline (_GuardedNetwork) bounds the time
        for chunk in _decoded_body(response):  # decompressed, so gzip bombs are capped too
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _budget_left(self) -> float:
        if self._budget_ends is None:
            return float("inf")
        return max(0.0, self._budget_ends - time.monotonic())

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:  # within the cap: a longer one is not waited for (get)
            return retry_after
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


def _decoded_body(response: httpx.Response) -> Iterator[bytes]:
    """The body, decompressed at most INFLATE_STEP bytes at a time, so a reader that stops at its size cap holds no
    more than the cap and a step, however far a small compressed body would expand (httpx's own decoding
    decompresses each network read whole)."""
    coding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if coding in ("", "identity"):
        yield from response.iter_raw()
        return
    if coding not in CONTENT_CODINGS:
        raise _Abort(f"unsupported Content-Encoding: {coding!r}")
    inflater = zlib.decompressobj(CONTENT_CODINGS[coding])
    try:
        for data in response.iter_raw():
            while data:
                yield inflater.decompress(data, INFLATE_STEP)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error as exc:
        raise _Abort(f"undecodable {coding} body: {exc}") from exc


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # is_global is False for private, loopback, link-local, shared (CGNAT), reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


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
