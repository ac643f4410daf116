"""The offline replay site: feeds parse with the real URLs, pages exist, HTTP caching works,
and the fault routes fail the way MANIFEST.json says they do."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections import Counter
from urllib.parse import unquote

import feedparser
import httpx
import pytest
from bs4 import BeautifulSoup

from newsmon.replay import SITE_DIR, ReplayServer, load_manifest, site_path_of
from tests.modules import ROOT, load_module

MANIFEST = load_manifest()
FAULTS = MANIFEST["faults"]
SLOW_URL = FAULTS["pages"]["slow"]["url"]
SLOW_DELAY = 1.0  # instead of the declared 30 s

FEEDS = [(outlet, feed) for outlet, entry in sorted(MANIFEST["outlets"].items()) for feed in entry["feeds"]]
ITEMS = [(outlet, feed, item) for outlet, feed in FEEDS for item in feed["items"]]
PAGED_ITEMS = [(outlet, item) for outlet, _, item in ITEMS if item["page"]]


@pytest.fixture(scope="module")
def server():
    with ReplayServer(route_overrides={site_path_of(SLOW_URL): {"delay": SLOW_DELAY}}) as running:
        yield running


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def bigrams(text: str) -> Counter:
    text = "".join(text.split())
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def recall(gold: list[str], found: str) -> float:
    """Share of the gold body's character bigrams present in `found` (1.0 = all there)."""
    want, have = bigrams("".join(gold)), bigrams(found)
    return sum((want & have).values()) / max(1, sum(want.values()))


def ld_json(soup: BeautifulSoup) -> dict:
    data = json.loads(soup.select_one('script[type="application/ld+json"]').string)
    return data["@graph"][0] if "@graph" in data else data


# --------------------------------------------------------------------------- site shape


def test_manifest_counts():
    counts = {outlet: sum(len(f["items"]) for f in entry["feeds"]) for outlet, entry in MANIFEST["outlets"].items()}
    assert counts == {"zaobao": 18, "bbc": 16, "voa": 15, "un_news": 4}
    gold_ids = {item["source"].get("extraction_dev") for _, _, item in ITEMS} - {None}
    assert len(gold_ids) == 44  # the bare-headline BBC post is left out of the demo


def test_site_is_small_plain_files():
    files = [p for p in SITE_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 2_000_000
    assert not [p for p in files if p.read_bytes()[:2] == b"\x1f\x8b"], "nothing gzipped"


# --------------------------------------------------------------------------- feeds


@pytest.mark.parametrize("outlet,feed", FEEDS, ids=[f["path"] for _, f in FEEDS])
def test_feed_parses_with_real_urls(server, client, outlet, feed):
    response = client.get(server.url_for(feed["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == len(feed["items"])
    suffix = feed.get("item_link_suffix", "")
    assert [e.link for e in parsed.entries] == [i["url"] + suffix for i in feed["items"]]
    assert [e.title for e in parsed.entries] == [i["title"] for i in feed["items"]]
    published = [time.strftime("%Y-%m-%dT%H:%M:%SZ", e.published_parsed) for e in parsed.entries]
    assert published == [i["published_at"] for i in feed["items"]]


def test_bbc_guid_is_url_without_tracking_query(server, client):
    feed = MANIFEST["outlets"]["bbc"]["feeds"][0]
    entries = feedparser.parse(client.get(server.url_for(feed["url"])).content).entries
    assert [e.id for e in entries] == [i["url"] for i in feed["items"]]
    assert all(e.link.endswith("?at_medium=RSS&at_campaign=KARANGA") for e in entries)
    old_story = "https://www.bbc.com/zhongwen/simp/china/2014/09/140925_hk_occupy_central_programe.shtml"
    assert old_story in [e.id for e in entries]


def test_voa_feed_fields(server, client):
    feed = MANIFEST["outlets"]["voa"]["feeds"][0]
    raw = client.get(server.url_for(feed["url"])).text
    parsed = feedparser.parse(raw.encode())
    assert parsed.feed.generator == "Pangea CMS – VOA" and parsed.feed.ttl == "60"
    for entry in parsed.entries:
        assert entry.id == entry.link
        assert entry.published[-5:] in {"-0400", "-0500"}  # US Eastern, summer / winter
        assert len(entry.tags) >= 1 and entry.author == "webdesk@voanews.com (美国之音)"
        assert entry.enclosures[0].type == "image/jpeg"
    assert "-0400</pubDate>" in raw and "-0500</pubDate>" in raw


def test_zaobao_full_text_feed_carries_the_archived_bodies(server, client):
    feed = MANIFEST["outlets"]["zaobao"]["feeds"][0]
    assert feed["full_text_in_feed"]
    entries = feedparser.parse(client.get(server.url_for(feed["url"])).content).entries
    for entry, item in zip(entries, feed["items"], strict=True):
        assert entry.guidislink is False and entry.id == item["url"]
        assert recall(item["paragraphs"], BeautifulSoup(entry.description, "html.parser").get_text()) > 0.99


def test_zaobao_teaser_feed_has_only_the_first_paragraph(server, client):
    feed = MANIFEST["outlets"]["zaobao"]["feeds"][1]
    entries = feedparser.parse(client.get(server.url_for(feed["url"])).content).entries
    for entry, item in zip(entries, feed["items"], strict=True):
        assert entry.description == item["teaser"] == item["paragraphs"][0]
        assert "<p>" not in entry.description


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("outlet,item", PAGED_ITEMS, ids=[i["page"] for _, i in PAGED_ITEMS])
def test_page_exists_and_matches_manifest(server, client, outlet, item):
    response = client.get(server.url_for(item["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    soup = BeautifulSoup(response.content, "lxml")
    assert soup.select_one('meta[property="og:title"]')["content"].strip() == item["title"]
    if outlet == "un_news":  # Drupal pages without JSON-LD (research notes); the time element carries the date
        assert soup.select_one("h1.node__title").get_text() == item["title"]
        assert soup.select_one(".field--name-field-news-date time")["datetime"] == item["published_at"]
        body = soup.select_one(".views-field-field-news-story-lead").get_text() + " ".join(
            e.get_text() for e in soup.select("div.field--name-field-text-column > *")
        )
        assert recall(item["paragraphs"], body) > 0.98
        return
    meta = ld_json(soup)
    assert meta["headline"] == item["title"]
    published = meta["datePublished"]
    if outlet == "voa":
        assert published == item["published_at"].replace("T", " ")
        assert soup.select_one(".published time")["datetime"][-6:] in {"-04:00", "-05:00"}
        body = " ".join(p.get_text() for p in soup.select("#article-content > div.wsw > p"))
        assert soup.select_one("h1.title.pg-title").get_text().strip() == item["title"]
    elif outlet == "bbc":
        assert published == item["published_at"]
        assert soup.title.string == f"{item['title']} - BBC News 中文"
        body = soup.select_one('main[role="main"]').get_text()
        assert soup.select_one('section[aria-labelledby="Most-Read"]').find_parent("main") is None
    else:
        assert published.endswith("+08:00")
        assert soup.title.string == f"{item['title']} | 联合早报"
        body = soup.select_one("div.articleBody").get_text()
        assert soup.select(
            "div.articleBody .bff-google-ad, div.articleBody .bff-recommend-article, "
            "div.articleBody figure.bff-inline-image"
        )
    if item["paragraphs"]:  # BBC extraction_dev 41 has an empty body
        assert recall(item["paragraphs"], body) > 0.98


def test_query_string_is_ignored(server, client):
    url = "https://www.bbc.com/zhongwen/simp/world-55121025"
    before = server.hits_for(url)
    plain = client.get(server.url_for(url))
    tracked = client.get(server.url_for(url + "?at_medium=RSS&at_campaign=KARANGA"))
    assert plain.status_code == tracked.status_code == 200
    assert plain.content == tracked.content
    assert server.hits_for(url) == before + 2


def test_percent_encoding_does_not_matter(server, client):
    item = next(i for _, _, i in ITEMS if "%e7%be%8e" in i["url"])  # VOA slug in lower-case %-escapes
    upper = re.sub(r"%[0-9a-f]{2}", lambda m: m.group(0).upper(), item["url"])
    for url in (item["url"], upper, unquote(item["url"])):
        assert client.get(server.url_for(url)).status_code == 200, url


def test_unknown_path_and_traversal_are_404(server):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    for path in ("/www.bbc.com/zhongwen/simp/no-such-story", "/../../../etc/passwd", "/www.bbc.com/../../server.py"):
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == 404, path
    conn.close()


# --------------------------------------------------------------------------- HTTP caching


def test_conditional_get(server, client):
    url = server.url_for(MANIFEST["outlets"]["voa"]["feeds"][0]["url"])
    first = client.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and etag == client.get(url).headers["etag"]  # strong, stable
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    changed = client.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified})
    assert changed.status_code == 200 and changed.content == first.content  # If-None-Match decides
    assert client.get(url, headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(first.content))


# --------------------------------------------------------------------------- faults


def test_fault_feed_not_xml(server, client):
    response = client.get(server.url_for(FAULTS["feeds"]["not_xml"]["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo and not parsed.entries


def test_fault_feed_missing_fields(server, client):
    fault = FAULTS["feeds"]["missing_fields"]
    entries = feedparser.parse(client.get(server.url_for(fault["url"])).content).entries
    assert len(entries) == 4
    assert [bool(e.get("link")) for e in entries] == [False, True, False, True]
    assert [bool(e.get("published")) for e in entries] == [True, False, False, True]
    good = entries[3]
    assert good.link == fault["good_item"]["url"] and good.title == fault["good_item"]["title"]
    assert client.get(server.url_for(good.link)).status_code == 200


def test_fault_feed_points_at_bad_pages(server, client):
    fault = FAULTS["feeds"]["bad_pages"]
    entries = feedparser.parse(client.get(server.url_for(fault["url"])).content).entries
    assert sorted(e.link for e in entries) == fault["links"]
    assert SLOW_URL in fault["links"]


def test_fault_gbk_page(server, client):
    fault = FAULTS["pages"]["gbk"]
    response = client.get(server.url_for(fault["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"  # no charset in the header
    assert b'<meta charset="gbk">' in response.content
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    soup = BeautifulSoup(response.content.decode("gbk"), "lxml")
    assert [p.get_text() for p in soup.select("div.articleBody > p")] == fault["paragraphs"]


def test_fault_empty_body(server, client):
    response = client.get(server.url_for(FAULTS["pages"]["empty_body"]["url"]))
    assert response.status_code == 200
    body = BeautifulSoup(response.content, "lxml").select_one("div.articleBody")
    assert body is not None and not body.find("p") and not body.get_text(strip=True)


@pytest.mark.parametrize("name,status", [("not_found", 404), ("server_error", 500)])
def test_fault_status(server, client, name, status):
    response = client.get(server.url_for(FAULTS["pages"][name]["url"]))
    assert response.status_code == status
    assert "etag" not in response.headers  # errors are not cacheable representations


def test_fault_slow_page_times_out_without_blocking_others(server):
    routes = json.loads((SITE_DIR / "_routes.json").read_text())
    assert routes[site_path_of(SLOW_URL)]["delay"] == FAULTS["pages"]["slow"]["delay"] == 30
    slow_url = server.url_for(SLOW_URL)
    with httpx.Client(timeout=SLOW_DELAY / 4) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(slow_url)

    # while one slow request is in flight, other requests are answered at once
    result: dict = {}
    started = time.monotonic()
    waiter = threading.Thread(target=lambda: result.update(r=httpx.get(slow_url, timeout=SLOW_DELAY * 5)))
    waiter.start()
    fast = httpx.get(server.url_for(MANIFEST["outlets"]["bbc"]["feeds"][0]["url"]), timeout=5)
    fast_elapsed = time.monotonic() - started
    waiter.join()
    assert fast.status_code == 200 and fast_elapsed < SLOW_DELAY / 2
    assert result["r"].status_code == 200 and time.monotonic() - started >= SLOW_DELAY


def test_stop_does_not_wait_for_a_sleeping_response():
    errors: list = []
    with ReplayServer() as declared:  # the declared 30 s delay
        def fetch():
            try:
                httpx.get(declared.url_for(SLOW_URL), timeout=60)
            except httpx.HTTPError as exc:
                errors.append(exc)

        waiter = threading.Thread(target=fetch)
        waiter.start()
        time.sleep(0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    waiter.join(timeout=5)
    assert errors and not waiter.is_alive()  # the sleeping request was dropped, not answered late


# --------------------------------------------------------------------------- the build


SHARED = ROOT.parent / "shared"


@pytest.mark.skipif(not (SHARED / "labels" / "extraction_dev.jsonl").exists(), reason="needs the shared material")
def test_build_is_deterministic_and_matches_committed_site(tmp_path):
    build_replay = load_module(ROOT / "scripts" / "build_replay.py", "build_replay")
    build_replay.main(["--shared", str(SHARED), "--out", str(tmp_path / "site")])
    built = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    committed = {p.relative_to(SITE_DIR): p.read_bytes() for p in SITE_DIR.rglob("*") if p.is_file()}
    assert sorted(built) == sorted(committed)
    assert [p for p in built if built[p] != committed[p]] == []
