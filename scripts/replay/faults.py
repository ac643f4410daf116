"""Broken feeds and pages under the faults.test host, which no outlet registry lists. Synthetic by design.

The pages are zaobao_page()s (synthetic, see zaobao.py: the parser's own selectors) holding the real text of one
Zaobao post of labels/extraction_dev.jsonl. The feeds use RSSHub's format, and the fault routes are in _routes.json.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from .common import Post, Site, iso_z, site_path
from .zaobao import rsshub_feed, rsshub_item, zaobao_page

FAULTS_HOST = "faults.test"


def build_faults(zaobao_posts: list[Post], site: Site) -> tuple[dict, dict]:
    """Broken feeds and pages under the faults.test host, which no outlet registry lists."""
    base = f"https://{FAULTS_HOST}"
    published = datetime(2024, 5, 8, 5, 2, 3, tzinfo=UTC)
    donor = zaobao_posts[4]  # real Chinese text for the fault pages (GBK-encodable)

    def page(url: str, paragraphs: list[str], charset: str = "utf-8") -> str:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        if paragraphs:
            body += '<div class="bff-google-ad"><div id="dfp-ad-imu1"></div></div>'
        else:
            # container present, nothing in it but an ad slot: "no paragraphs" must be detected
            body = '<div class="bff-google-ad"><div id="dfp-ad-imu1"></div></div>'
        return zaobao_page(
            url=url,
            headline=donor.title,
            description=paragraphs[0] if paragraphs else donor.title,
            published=published,
            body_html=body,
            keywords=[],
            related=[],
            image="https://static.zaobao.com/s3fs-public/placeholder.jpg",
            charset=charset,
        )

    # zaobao.com.sg URL shape (/news/<section>/story<date>-<id>) with the fault as the section
    names = ["good", "gbk", "empty-body", "not-found", "server-error", "slow"]
    pages = {name.replace("-", "_"): f"{base}/news/{name}/story20240508-{n:07d}" for n, name in enumerate(names, 1)}
    site.add(site_path(pages["good"]), page(pages["good"], donor.paragraphs))
    gbk_html = page(pages["gbk"], donor.paragraphs, charset="gbk")
    gbk_html.encode("gbk")  # must really be GBK text, not just something gb18030 can hold
    site.add(site_path(pages["gbk"]), gbk_html.encode("gb18030"))
    site.add(site_path(pages["empty_body"]), page(pages["empty_body"], []))
    site.add(site_path(pages["slow"]), page(pages["slow"], donor.paragraphs))

    feeds = {
        "not_xml": f"{base}/feeds/not-xml",
        "missing_fields": f"{base}/feeds/missing-fields",
        "bad_pages": f"{base}/feeds/bad-pages",
    }
    site.add(
        site_path(feeds["not_xml"]),
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Just a moment...</title></head>"
        "<body><h1>Checking your browser before accessing rsshub.app</h1><p>This process is automatic. "
        "Your browser will redirect to your requested content shortly.</p></body></html>\n",
    )
    good_link = pages["good"]
    missing = [
        rsshub_item("缺少链接的条目", "<p>" + donor.paragraphs[0] + "</p>", None, published),
        rsshub_item(
            "缺少日期的条目", "<p>" + donor.paragraphs[1] + "</p>", f"{base}/news/missing-fields/story20240508-0000011",
            None,
        ),
        rsshub_item("链接和日期都缺少的条目", "<p>" + donor.paragraphs[2] + "</p>", None, None),
        rsshub_item(donor.title, "".join(f"<p>{html.escape(p)}</p>" for p in donor.paragraphs), good_link, published),
    ]
    site.add(
        site_path(feeds["missing_fields"]),
        rsshub_feed("faults: items missing fields", base, feeds["missing_fields"], missing, published),
    )
    bad = [
        rsshub_item(f"故障页面：{name}", donor.paragraphs[0], url, published - timedelta(minutes=n))
        for n, (name, url) in enumerate(sorted(pages.items()))
        if name != "good"
    ]
    site.add(
        site_path(feeds["bad_pages"]),
        rsshub_feed("faults: items pointing at bad pages", base, feeds["bad_pages"], bad, published),
    )

    routes = {
        site_path(feeds["not_xml"]): {"content_type": "text/html; charset=utf-8"},
        site_path(pages["gbk"]): {"content_type": "text/html"},
        site_path(pages["not_found"]): {"status": 404},
        site_path(pages["server_error"]): {"status": 500, "headers": {"Cache-Control": "no-store"}},
        site_path(pages["slow"]): {"delay": 30},
    }
    faults = {
        "host": FAULTS_HOST,
        "page_structure": "zaobao.com.sg article page (div.articleBody, ld+json NewsArticle) with the text of "
        f"extraction_dev {donor.id}",
        "feeds": {
            "not_xml": {"url": feeds["not_xml"], "expect": "HTTP 200, text/html; an HTML challenge page, not a feed"},
            "missing_fields": {
                "url": feeds["missing_fields"],
                "expect": "4 items: no <link>/<guid>; no <pubDate> (its link 404s; the description is the full text); "
                "neither; one good item",
                "good_item": {"url": good_link, "title": donor.title, "published_at": iso_z(published)},
            },
            "bad_pages": {
                "url": feeds["bad_pages"],
                "expect": "5 items (teaser descriptions) whose links are the bad pages below",
                "links": sorted(url for name, url in pages.items() if name != "good"),
            },
        },
        "pages": {
            "good": {"url": pages["good"], "expect": "HTTP 200, normal page", "paragraphs": donor.paragraphs},
            "gbk": {
                "url": pages["gbk"],
                "expect": 'HTTP 200, Content-Type "text/html" without charset; <meta charset="gbk">; '
                "bytes encoded gb18030",
                "paragraphs": donor.paragraphs,
            },
            "empty_body": {
                "url": pages["empty_body"], "expect": "HTTP 200; div.articleBody present with no paragraphs"
            },
            "not_found": {"url": pages["not_found"], "expect": "HTTP 404"},
            "server_error": {"url": pages["server_error"], "expect": "HTTP 500"},
            "slow": {
                "url": pages["slow"],
                "expect": "answers only after `delay` seconds "
                "(see _routes.json; ReplayServer(route_overrides=...) changes it)",
                "delay": routes[site_path(pages["slow"])]["delay"],
                "paragraphs": donor.paragraphs,
            },
        },
    }
    return faults, routes
