"""fetch/ against a real local HTTP server: no mocks, no internet."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from urllib.parse import urlsplit

import pytest

from newsmon.fetch import Fetcher, FetchResult, Politeness, decode_html
from newsmon.fetch.client import _retry_after_seconds

USER_AGENT = "newsmon-tests/0.1 (+https://example.org/newsmon)"

# 镕 is in GBK but not GB2312, so a page declaring gb2312 only decodes via the superset.
SIMPLIFIED = (
    "国务院前总理朱镕基今日出席在北京举行的经济论坛，"
    "就人民币汇率、地方政府债务和房地产市场发表讲话。"
    "他表示，中国经济面临的挑战不容低估，但长期向好的基本面没有改变。与会学者认为，"
    "扩大内需、稳定就业和推进改革仍是今后一个时期的重点工作。记者在现场看到，"
    "来自全国各地的企业家和研究人员就如何提振消费信心进行了热烈讨论。"
)
# 嘅 is HKSCS, not plain Big5: a page declaring big5 needs big5hkscs.
TRADITIONAL = (
    "香港特區政府今日公佈施政報告，行政長官表示會繼續增加房屋供應。市民話：「呢個方向嘅確係啱。」"
)


def html_page(text: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{text[:8]}</title></head>"
        f"<body><p>{text}</p></body></html>"
    )


# --- a local site whose paths are answered by per-test route functions ---------------------

Route = Callable[["_Handler", int], None]  # (handler, 1-based hit count for the path)


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers=None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        with site.lock:
            site.requests.append((self.path, dict(self.headers)))
            site.hits[path] += 1
            hit = site.hits[path]
        route = site.routes.get(path)
        if route is None:
            send(self, 404, b"no such page")
        else:
            route(self, hit)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site

    def handle_error(self, request, client_address) -> None:
        # The client hanging up early (timeouts, size aborts) is part of these tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path with query, headers)
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self.base = f"http://127.0.0.1:{self._server.server_port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str) -> Callable[[Route], Route]:
        def register(handler: Route) -> Route:
            self.routes[path] = handler
            return handler

        return register

    def start(self) -> None:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    site.start()
    yield site
    site.stop()


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    fetchers = []

    def make(**options) -> Fetcher:
        settings = {
            "user_agent": USER_AGENT,
            "timeout": 5.0,
            "retries": 2,
            "backoff_base": 0.01,
            "backoff_cap": 1.0,
            "politeness": Politeness(2, 0.0),
            "allow_private": ["127.0.0.0/8"],  # the test site is on 127.0.0.1
        }
        fetcher = Fetcher(**(settings | options))
        fetchers.append(fetcher)
        return fetcher

    yield make
    for fetcher in fetchers:
        fetcher.close()


# --- conditional GET, headers -----------------------------------------------------------------

ETAG = '"v1"'
LAST_MODIFIED = "Wed, 21 Oct 2025 07:28:00 GMT"


def test_200_with_validators_then_304_on_conditional_get(site, make_fetcher):
    @site.route("/feed.xml")
    def feed(handler, hit):
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if handler.headers.get("If-None-Match") == ETAG:
            send(handler, 304, headers=validators)
        else:
            send(handler, 200, b"<rss/>", validators | {"Content-Type": "application/rss+xml"})

    fetcher = make_fetcher()
    first = fetcher.get(site.url("/feed.xml"))
    assert first.ok and first.status == 200 and not first.not_modified
    assert first.content == b"<rss/>"
    assert first.content_type == "application/rss+xml"
    assert (first.etag, first.last_modified) == (ETAG, LAST_MODIFIED)

    second = fetcher.get(
        site.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified
    )
    assert second.ok and second.not_modified and second.status == 304
    assert second.content is None
    assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
    sent = site.requests[-1][1]
    assert sent["If-None-Match"] == ETAG
    assert sent["If-Modified-Since"] == LAST_MODIFIED


def test_sends_browser_like_headers(site, make_fetcher):
    @site.route("/page")
    def page(handler, hit):
        send(handler, 200, b"ok")

    assert make_fetcher().get(site.url("/page")).ok
    headers = site.requests[0][1]
    assert headers["User-Agent"] == USER_AGENT
    assert "text/html" in headers["Accept"]
    assert headers["Accept-Language"] == "zh-CN,zh;q=0.9"


# --- retries ------------------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(site, make_fetcher):
    @site.route("/busy")
    def busy(handler, hit):
        if hit == 1:
            send(handler, 429, b"slow down", {"Retry-After": "1"})
        else:
            send(handler, 200, b"ok")

    started = time.monotonic()
    result = make_fetcher(backoff_cap=5.0).get(site.url("/busy"))
    assert time.monotonic() - started >= 0.9  # Retry-After honoured, not the 10 ms back-off
    assert result.ok and result.content == b"ok"
    assert result.attempts == 2
    assert result.elapsed_ms >= 900


def test_a_retry_after_beyond_the_back_off_cap_is_not_waited_for_and_kept(site, make_fetcher):
    @site.route("/busy")
    def busy(handler, hit):
        if hit == 1:
            send(handler, 503, headers={"Retry-After": "120"})
        else:
            send(handler, 200, b"ok")

    result = make_fetcher(backoff_cap=0.05).get(site.url("/busy"))
    assert (result.ok, result.attempts, result.retry_after) == (False, 1, 120)  # not asked again sooner than asked
    assert "Retry-After" in (result.error or "")


def test_500_twice_then_200(site, make_fetcher):
    @site.route("/flaky")
    def flaky(handler, hit):
        send(handler, 500 if hit <= 2 else 200, b"body")

    result = make_fetcher(retries=3).get(site.url("/flaky"))
    assert result.ok and result.status == 200 and result.content == b"body"
    assert result.attempts == 3


def test_always_503_gives_error_after_retries(site, make_fetcher):
    @site.route("/down")
    def down(handler, hit):
        send(handler, 503)

    result = make_fetcher(retries=2).get(site.url("/down"))
    assert not result.ok
    assert result.status == 503
    assert result.attempts == 3 == site.hits["/down"]
    assert result.error == "HTTP 503 Service Unavailable (3 attempts)"


def test_404_is_not_retried(site, make_fetcher):
    result = make_fetcher(retries=3).get(site.url("/missing"))
    assert not result.ok
    assert result.status == 404
    assert result.attempts == 1 == site.hits["/missing"]
    assert result.error == "HTTP 404 Not Found"


def test_slow_server_gives_a_clear_timeout_error(site, make_fetcher):
    @site.route("/slow")
    def slow(handler, hit):
        time.sleep(1.0)
        send(handler, 200, b"too late")

    result = make_fetcher(timeout=0.3, retries=1).get(site.url("/slow"))
    assert not result.ok and result.status is None
    assert result.error == "timed out after 0.3 s (2 attempts)"
    assert result.attempts == 2


def test_connection_refused(make_fetcher):
    with socket.socket() as probe:  # a port nobody is listening on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = make_fetcher(retries=1).get(f"http://127.0.0.1:{port}/")
    assert not result.ok and result.status is None
    assert result.error == "connection refused (2 attempts)"


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/file", "http://[::1/"])
def test_unusable_url_is_an_error_not_an_exception(make_fetcher, url):
    result = make_fetcher().get(url)
    assert not result.ok and result.attempts == 0
    assert "not an http(s) URL" in result.error


# --- size cap -------------------------------------------------------------------------------------


@pytest.mark.parametrize("declares_length", [True, False])
def test_body_over_max_bytes_is_refused(site, make_fetcher, declares_length):
    @site.route("/huge")
    def huge(handler, hit):
        chunk = b"x" * 65536
        handler.send_response(200)
        if declares_length:
            handler.send_header("Content-Length", str(len(chunk) * 16))
        handler.end_headers()  # without a length, HTTP/1.0 ends the body at close
        for _ in range(16):
            handler.wfile.write(chunk)

    result = make_fetcher(max_bytes=100_000).get(site.url("/huge"))
    assert not result.ok
    assert result.error == "response larger than 100000 bytes"
    assert result.content is None
    assert result.attempts == 1


# --- redirects ------------------------------------------------------------------------------------


def test_follows_redirects(site, make_fetcher):
    @site.route("/old")
    def old(handler, hit):
        send(handler, 301, headers={"Location": "/moved"})

    @site.route("/moved")
    def moved(handler, hit):
        send(handler, 302, headers={"Location": site.url("/new?x=1")})

    @site.route("/new")
    def new(handler, hit):
        send(handler, 200, b"here")

    result = make_fetcher().get(site.url("/old"))
    assert result.ok and result.content == b"here"
    assert result.url == site.url("/old")
    assert result.final_url == site.url("/new?x=1")


def test_redirect_loop_is_an_error(site, make_fetcher):
    @site.route("/loop")
    def loop(handler, hit):
        send(handler, 302, headers={"Location": "/loop"})

    result = make_fetcher().get(site.url("/loop"))
    assert not result.ok and result.attempts == 1
    assert result.error == "more than 10 redirects"


# --- replay site --------------------------------------------------------------------------------

RSS = '<?xml version="1.0" encoding="utf-8"?><rss><channel><title>BBC 中文</title></channel></rss>'


def test_replay_base_serves_the_local_copy_under_the_real_url(site, make_fetcher):
    @site.route("/www.bbc.com/zhongwen/simp/rss.xml")
    def feed(handler, hit):
        send(handler, 200, RSS.encode(), {"Content-Type": "application/rss+xml"})

    url = "https://www.bbc.com/zhongwen/simp/rss.xml"
    result = make_fetcher(replay_base=site.base).get(url)
    assert result.ok and result.content == RSS.encode()
    assert site.requests[0][0] == "/www.bbc.com/zhongwen/simp/rss.xml"
    assert result.url == result.final_url == url


@pytest.mark.parametrize(
    "location",
    [
        "/www.bbc.com/zhongwen/simp/articles/c1?at=rss",  # redirect made by the replay site
        "https://www.bbc.com/zhongwen/simp/articles/c1?at=rss",  # recorded from the real site
    ],
)
def test_replay_redirect_maps_back_to_the_original_url_space(site, make_fetcher, location):
    @site.route("/www.bbc.com/zhongwen/simp/c1")
    def old(handler, hit):
        send(handler, 301, headers={"Location": location})

    @site.route("/www.bbc.com/zhongwen/simp/articles/c1")
    def article(handler, hit):
        send(handler, 200, b"<html></html>")

    result = make_fetcher(replay_base=site.base + "/").get("https://www.bbc.com/zhongwen/simp/c1")
    assert result.ok, result.error
    assert [path for path, _ in site.requests] == [
        "/www.bbc.com/zhongwen/simp/c1",
        "/www.bbc.com/zhongwen/simp/articles/c1?at=rss",
    ]
    assert result.url == "https://www.bbc.com/zhongwen/simp/c1"
    assert result.final_url == "https://www.bbc.com/zhongwen/simp/articles/c1?at=rss"


# --- politeness ---------------------------------------------------------------------------------


class ConcurrencyMeter:
    """Counts requests in progress server-side, overall and per key."""

    def __init__(self) -> None:
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self._lock = threading.Lock()

    def hold(self, key: str, seconds: float) -> None:
        with self._lock:
            for k in (key, "all"):
                self.active[k] += 1
                self.peak[k] = max(self.peak[k], self.active[k])
        time.sleep(seconds)
        with self._lock:
            for k in (key, "all"):
                self.active[k] -= 1


def test_per_host_concurrency_never_exceeds_the_limit(site, make_fetcher):
    meter = ConcurrencyMeter()

    @site.route("/slow-page")
    def slow_page(handler, hit):
        meter.hold("host", 0.15)
        send(handler, 200, b"ok")

    fetcher = make_fetcher(politeness=Politeness(2, 0.0))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(fetcher.get, [site.url("/slow-page")] * 6))
    assert all(result.ok for result in results)
    assert meter.peak["host"] == 2


def test_politeness_keys_on_the_original_host_under_replay(site, make_fetcher):
    meter = ConcurrencyMeter()
    for host in ("a.example.com", "b.example.com"):

        @site.route(f"/{host}/page")
        def page(handler, hit, host=host):
            meter.hold(host, 0.15)
            send(handler, 200, b"ok")

    fetcher = make_fetcher(politeness=Politeness(1, 0.0), replay_base=site.base)
    urls = [f"https://{host}/page" for host in ("a.example.com", "b.example.com")] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(fetcher.get, urls))
    assert all(result.ok for result in results)
    assert meter.peak["a.example.com"] == meter.peak["b.example.com"] == 1
    assert meter.peak["all"] == 2  # one server, but two hosts run side by side


def test_host_delays_space_out_request_starts(site, make_fetcher):
    starts: list[float] = []

    @site.route("/page")
    def page(handler, hit):
        starts.append(time.monotonic())
        send(handler, 200, b"ok")

    # The per-host override wins over the (deliberately huge) default.
    fetcher = make_fetcher(
        politeness=Politeness(3, 60.0), host_politeness={"127.0.0.1": Politeness(3, 0.3)}
    )
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert all(r.ok for r in pool.map(fetcher.get, [site.url("/page")] * 3))
    starts.sort()
    assert all(later - earlier >= 0.25 for earlier, later in pairwise(starts))


# --- charsets, through the fetcher as the parsers will use it ------------------------------------


def fetch_and_decode(site, make_fetcher, body: bytes, content_type: str) -> tuple[str, str]:
    @site.route("/article")
    def article(handler, hit):
        send(handler, 200, body, {"Content-Type": content_type})

    result = make_fetcher().get(site.url("/article"))
    assert result.ok and result.content_type == content_type
    return decode_html(result.content, result.content_type)


def test_gbk_page_declaring_gb2312_in_meta_only(site, make_fetcher):
    body = html_page(SIMPLIFIED, head='<meta charset="gb2312">').encode("gbk")
    text, encoding = fetch_and_decode(site, make_fetcher, body, "text/html")
    assert encoding == "gb18030"
    assert SIMPLIFIED in text


def test_big5_page_with_charset_only_in_the_header(site, make_fetcher):
    body = html_page(TRADITIONAL).encode("big5hkscs")
    text, encoding = fetch_and_decode(site, make_fetcher, body, "text/html; charset=big5")
    assert encoding == "big5hkscs"
    assert TRADITIONAL in text


def test_undeclared_gbk_page_is_detected(site, make_fetcher):
    body = html_page(SIMPLIFIED).encode("gbk")
    text, encoding = fetch_and_decode(site, make_fetcher, body, "text/html")
    assert encoding in {"gb18030", "gbk"}
    assert SIMPLIFIED in text


# --- decode_html on its own -----------------------------------------------------------------------


def test_bom_beats_the_header():
    body = "\ufeff" + html_page(SIMPLIFIED)
    assert decode_html(body.encode("utf-8"), "text/html; charset=gbk") == (
        html_page(SIMPLIFIED),
        "utf-8",
    )


def test_wrong_declaration_falls_back_to_detection():
    body = html_page(SIMPLIFIED, head='<meta charset="utf-8">').encode("gbk")
    text, encoding = decode_html(body, "text/html; charset=utf-8")
    assert encoding in {"gb18030", "gbk"}
    assert SIMPLIFIED in text


@pytest.mark.parametrize(
    "head",
    [
        '<meta http-equiv="Content-Type" content="text/html; charset=x-gbk">',
        "<meta charset='GBK' />",
    ],
)
def test_meta_declarations_widen_to_gb18030(head):
    text, encoding = decode_html(html_page(SIMPLIFIED, head=head).encode("gbk"), None)
    assert encoding == "gb18030" and SIMPLIFIED in text


def test_xml_declaration_is_read():
    body = f'<?xml version="1.0" encoding="gb2312"?><rss><title>{SIMPLIFIED}</title></rss>'
    text, encoding = decode_html(body.encode("gbk"), "application/xml")
    assert encoding == "gb18030" and SIMPLIFIED in text


def test_empty_and_undecodable_content_do_not_raise():
    assert decode_html(b"", None) == ("", "utf-8")
    text, _ = decode_html(bytes(range(256)) * 4, "text/html; charset=no-such-charset")
    assert isinstance(text, str)


# --- Retry-After parsing --------------------------------------------------------------------------


def test_retry_after_accepts_seconds_and_http_dates():
    assert _retry_after_seconds("7") == 7.0
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= _retry_after_seconds(in_a_minute) <= 60
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # already past
    assert _retry_after_seconds("soon") is None
    assert _retry_after_seconds(None) is None


def test_fetch_result_ok_means_no_error():
    assert FetchResult(url="u", final_url="u", status=200).ok
    assert not FetchResult(url="u", final_url="u", error="HTTP 404 Not Found").ok
