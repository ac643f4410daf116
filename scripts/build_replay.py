#!/usr/bin/env python3
"""Build the offline replay site (newsmon/replay/site/) from the real material in ../shared.

Run by hand after changing this script or the shared material:

    python scripts/build_replay.py [--shared PATH]

Everything written is a plain file under `<host>/<path>` of the real URL, so a real
`https://www.bbc.com/zhongwen/simp/world-55121025` is served as
`{replay_base}/www.bbc.com/zhongwen/simp/world-55121025`. Output is deterministic:
re-running on the same inputs gives a byte-identical tree.

Sources (see /work/shared/research/outlets-feeds-and-pages.md for the real formats):
  * labels/extraction_dev.jsonl     45 archived posts (15 Zaobao, 15 VOA, 15 BBC) with gold paragraphs
  * pages/zaobao/...EXCERPT.xml     3 zaobao.com.sg stories (2026) -> teaser feed + article pages
  * pages/bbc-main-captures/*.md    2 real BBC <main> captures (2023) -> feed items + pages
  * pages/voa/...html.gz            a real Pangea CMS (voanews.com) page, used as the VOA page skeleton
  * scripts/replay_un_news.json     synthetic UN News 中文 stories (no real capture exists), laid out as the
                                    Drupal pages public scrapers document
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

import lxml.etree as etree
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "newsmon" / "replay" / "site"

ZAOBAO_CHINA_FEED = "https://rsshub.app/zaobao/realtime/china"
ZAOBAO_WORLD_FEED = "https://rsshub.app/zaobao/realtime/world"
BBC_FEED = "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"
VOA_FEED = "https://www.voachinese.com/api/zm_yql-vomx-tpeybti"
UN_NEWS_FEED = "https://news.un.org/feed/subscribe/zh/news/all/rss.xml"
FAULTS_HOST = "faults.test"

SGT = timezone(timedelta(hours=8))
US_EASTERN = ZoneInfo("America/New_York")


# --------------------------------------------------------------------------- small helpers


def site_path(url: str) -> str:
    """`https://host/a%20b?x=1` -> `host/a b`: the file a real URL is stored under (query ignored)."""
    parts = urlsplit(url)
    return parts.netloc + unquote(parts.path)


def rfc822_gmt(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def iso_z(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def cdata(text: str) -> str:
    assert "]]>" not in text, "CDATA section would break"
    return f"<![CDATA[{text}]]>"


def ld_json(data: dict) -> str:
    # "</" must not appear raw inside <script>; the real sites escape it the same way.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def replace_once(text: str, old: str, new: str, count: int = 1) -> str:
    """str.replace that fails loudly when the skeleton no longer has what we expect."""
    found = text.count(old)
    if found != count:
        raise ValueError(f"expected {count} occurrence(s) of {old[:60]!r}, found {found}")
    return text.replace(old, new)


@dataclass
class Item:
    """One feed item (and its page, if the pipeline has to fetch one) as listed in MANIFEST."""

    url: str
    title: str
    published: datetime
    source: dict
    page: str | None = None  # site path of the article page, None when the feed carries the full text
    paragraphs: list[str] | None = None  # gold body, when one exists
    extra: dict = field(default_factory=dict)

    def manifest(self) -> dict:
        entry = {
            "url": self.url,
            "title": self.title,
            "published_at": iso_z(self.published),
            "source": self.source,
            "page": self.page,
            "paragraphs": self.paragraphs,
        }
        entry.update(self.extra)
        return entry


class Site:
    """Collects files in memory, then writes them all at once."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, content: str | bytes) -> None:
        assert path not in self.files, f"written twice: {path}"
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content

    def write(self, root: Path) -> None:
        if root.exists():
            shutil.rmtree(root)
        for path in sorted(self.files):
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.files[path])


# --------------------------------------------------------------------------- archived posts


@dataclass
class Post:
    id: str
    outlet: str
    url: str
    title: str
    published: datetime
    paragraphs: list[str]
    content: str  # the feed item's HTML exactly as the archive kept it


def archived_content(raw: str) -> str:
    """The feed item HTML inside an archive post.

    waimei posts wrap it as "<div>\\n{content}\\n</div>" (added by the archiver, not the
    outlet); duty-machine posts put it bare after the "------" line. The content itself
    never contains a newline (the archiver strips them), so the wrapper is unambiguous.
    """
    body = raw.split("\n------\n", 1)[1].strip("\n")
    if body.startswith("<div>\n") and body.endswith("\n</div>"):
        body = body[len("<div>\n") : -len("\n</div>")]
    assert "\n" not in body, "archived content should be one line"
    return body


def load_posts(shared: Path) -> list[Post]:
    posts = []
    for line in (shared / "labels" / "extraction_dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        posts.append(
            Post(
                id=record["id"],
                outlet=record["outlet"],
                url=record["url"],
                title=record["title"],
                published=parse_iso(record["published_at"]),
                paragraphs=record["paragraphs"],
                content=archived_content(record["raw"]),
            )
        )
    return posts


# --------------------------------------------------------------------------- Zaobao (RSSHub)


def rsshub_feed(title: str, link: str, self_url: str, items: list[str], last_build: datetime) -> str:
    """RSS 2.0 as RSSHub's lib/views/rss.art renders it (no author/creator for zaobao)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "    <channel>\n"
        f"        <title>{cdata(title)}</title>\n"
        f"        <link>{xml_escape(link)}</link>\n"
        f'        <atom:link href="{attr(self_url)}" rel="self" type="application/rss+xml" />\n'
        "        <description>"
        + cdata(
            "新加坡、中国、亚洲和国际的即时、评论、商业、体育、生活、科技与多媒体新闻，尽在联合早报。"
            " - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)"
        )
        + "</description>\n"
        "        <generator>RSSHub</generator>\n"
        "        <webMaster>i@diygod.me (DIYgod)</webMaster>\n"
        "        <language>zh-cn</language>\n"
        f"        <lastBuildDate>{rfc822_gmt(last_build)}</lastBuildDate>\n"
        "        <ttl>5</ttl>\n" + "".join(items) + "    </channel>\n</rss>\n"
    )


def rsshub_item(title: str, description: str, link: str, published: datetime | None) -> str:
    lines = [
        "        <item>\n",
        f"            <title>{cdata(title)}</title>\n",
        f"            <description>{cdata(description)}</description>\n",
    ]
    if published is not None:
        lines.append(f"            <pubDate>{rfc822_gmt(published)}</pubDate>\n")
    if link is not None:
        lines.append(f'            <guid isPermaLink="false">{xml_escape(link)}</guid>\n')
        lines.append(f"            <link>{xml_escape(link)}</link>\n")
    lines.append("        </item>\n")
    return "".join(lines)


ZAOBAO_NAV = [
    ("新闻", "/news"),
    ("新加坡", "/news/singapore"),
    ("中国", "/news/china"),
    ("国际", "/news/world"),
    ("财经", "/finance"),
    ("评论", "/forum"),
    ("娱乐", "/entertainment"),
    ("生活", "/lifestyle"),
    ("视频", "/video"),
    ("早报+", "/zbplus"),
]
ZAOBAO_SECTIONS = {"china": "中国", "world": "国际", "singapore": "新加坡"}


def zaobao_page(
    *,
    url: str,
    headline: str,
    description: str,
    published: datetime,
    body_html: str,
    keywords: list[tuple[str, str]],
    related: list[tuple[str, str]],
    image: str,
    charset: str = "utf-8",
) -> str:
    """A current www.zaobao.com.sg article page: ld+json NewsArticle, header/nav/footer,
    the story in div.articleBody (which the caller fills with the bff-* blocks)."""
    section = urlsplit(url).path.split("/")[2]
    local = published.astimezone(SGT)
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "headline": headline,
                "datePublished": local.isoformat(),
                "dateModified": local.isoformat(),
                "author": [{"@type": "Organization", "name": "联合早报", "url": "https://www.zaobao.com.sg"}],
                "publisher": {
                    "@type": "Organization",
                    "name": "联合早报",
                    "logo": {"@type": "ImageObject", "url": "https://www.zaobao.com.sg/_web2/assets/logo.png"},
                },
                "image": [image],
                "keywords": [name for name, _ in keywords],
                "mainEntityOfPage": {"@type": "WebPage", "@id": url},
                "url": url,
                "inLanguage": "zh-Hans",
            },
            {
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "新闻", "item": "https://www.zaobao.com.sg/news"},
                    {
                        "@type": "ListItem",
                        "position": 2,
                        "name": ZAOBAO_SECTIONS.get(section, section),
                        "item": f"https://www.zaobao.com.sg/news/{section}",
                    },
                ],
            },
        ],
    }
    nav = "".join(
        f'<li class="bff-nav-item"><a href="https://www.zaobao.com.sg{href}">{name}</a></li>' for name, href in ZAOBAO_NAV
    )
    tags = "".join(
        f'<li><a href="https://www.zaobao.com.sg/keywords/{slug}"><img src="https://www.zaobao.com.sg/_web2/assets/tag-icon.svg" alt="">{name}</a></li>'
        for name, slug in keywords
    )
    hot = "".join(f'<li><a href="{attr(link)}?ref=sidebar-hot">{html.escape(title)}</a></li>' for title, link in related)
    shown_time = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"""<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(headline)} | 联合早报</title>
<meta name="description" content="{attr(description)}">
<link rel="canonical" href="{attr(url)}">
<meta property="og:title" content="{attr(headline)}">
<meta property="og:type" content="article">
<meta property="og:url" content="{attr(url)}">
<meta property="og:image" content="{attr(image)}">
<meta property="og:site_name" content="联合早报">
<meta property="article:published_time" content="{local.isoformat()}">
<script type="application/ld+json" id="seo-article-page">{ld_json(graph)}</script>
<link rel="stylesheet" href="/_web2/assets/index.css">
</head>
<body>
<div id="root">
<header class="bff-header">
<div class="bff-header-top"><a class="bff-logo" href="https://www.zaobao.com.sg/"><img src="https://www.zaobao.com.sg/_web2/assets/logo.svg" alt="联合早报"></a>
<div class="bff-header-actions"><a href="https://subscribe.sph.com.sg/zh/publications-zb/?utm_source=zaobao&amp;utm_medium=header">订阅</a> <a href="https://www.zaobao.com.sg/login">登录</a> <a href="https://www.zaobao.com.sg/search">搜索</a></div></div>
<nav class="bff-nav" aria-label="主导航"><ul>{nav}</ul></nav>
</header>
<main class="bff-main">
<article class="article-page">
<div class="article-header">
<div class="breadcrumb"><a href="https://www.zaobao.com.sg/news">新闻</a> / <a href="https://www.zaobao.com.sg/news/{section}">{ZAOBAO_SECTIONS.get(section, section)}</a></div>
<h1 class="article-title">{html.escape(headline)}</h1>
<div class="article-meta"><span class="byline">联合早报</span> <time datetime="{local.isoformat()}">发布/{shown_time}</time></div>
<div class="article-share"><button class="cursor-pointer" aria-label="分享到脸书">脸书</button><button class="cursor-pointer" aria-label="分享到WhatsApp">WhatsApp</button><button class="cursor-pointer" aria-label="复制链接">复制链接</button></div>
</div>
<div class="articleBody">{body_html}</div>
<div class="article-tags"><h3>关键字</h3><ul>{tags}</ul></div>
<div class="newspost-holder"><a href="https://newspost.newslink.sg/?publication=zb">购买此文章</a></div>
</article>
<aside class="bff-sidebar"><h2>热门</h2><ol>{hot}</ol></aside>
</main>
<footer class="bff-footer">
<ul><li><a href="https://www.zaobao.com.sg/about-us">关于我们</a></li><li><a href="https://www.zaobao.com.sg/contact-us">联系我们</a></li><li><a href="https://www.sph.com.sg/legal/website_tnc/">服务条款</a></li><li><a href="https://www.sph.com.sg/legal/sph_privacy/">隐私政策</a></li><li><a href="https://www.zaobao.com.sg/rss">RSS</a></li></ul>
<p>SPH Media Limited Co. Regn. No. 202120748H. 版权所有 不得转载</p>
</footer>
</div>
</body>
</html>
"""


# Keyword slugs for inline links the excerpt does not already have (the real pages link
# a few names per story to /keywords/<pinyin>?ref=article-inline).
ZAOBAO_EXTRA_KEYWORDS = {
    "story20260915-9681802": [("何立峰", "he-li-feng"), ("贝森特", "bei-sen-te")],
    "story20260915-9680652": [("中小企业", "zhong-xiao-qi-ye")],
    "story20260915-9680755": [],
}


def zaobao_story_body(chunks: list[str], extra_keywords: list[tuple[str, str]], image: str, others: list[tuple[str, str]]) -> str:
    """The inside of div.articleBody: the story's blocks plus the boilerplate the real pages
    put there (inline image after the lead, ad slot, recommend box, previous-article link)."""
    chunks = list(chunks)
    for word, slug in extra_keywords:  # link the first mention, outside sub-headings
        i = next(i for i, c in enumerate(chunks) if word in c and "bff-sub-heading" not in c)
        link = f'<a href="https://www.zaobao.com.sg/keywords/{slug}?ref=article-inline" target="_blank">{word}</a>'
        chunks[i] = chunks[i].replace(word, link, 1)
    figure = (
        '<figure class="bff-inline-image">'
        f'<img src="{attr(image)}" alt="（档案照片）" loading="lazy">'
        "<figcaption>（档案照片）</figcaption>"
        '<button class="cursor-pointer bff-inline-image-expand-icon" aria-label="放大图片">'
        '<img src="https://www.zaobao.com.sg/_web2/assets/expand-icon.svg" alt="expend icon"></button>'
        "</figure>"
    )
    ad = '<div class="bff-google-ad"><div id="dfp-ad-imu1" data-ad-unit="/5908/zaobao/imu1" style="min-height:250px"></div></div>'
    recommend = (
        '<div class="bff-recommend-article"><div class="recommend-title">相关新闻</div><ul>'
        + "".join(f'<li><a href="{attr(link)}?ref=article-recommend">{html.escape(title)}</a></li>' for title, link in others)
        + "</ul></div>"
    )
    previous = (
        f'<div class="previous-article"><a href="{attr(others[0][1])}?ref=previous-article">'
        f"上一篇：{html.escape(others[0][0])}</a></div>"
    )
    layout = [chunks[0], figure] + chunks[1:]
    layout.insert(min(4, len(layout)), ad)
    layout.insert(max(len(layout) - 1, 3), recommend)
    return "".join(layout) + previous


def build_zaobao(shared: Path, posts: list[Post], site: Site) -> dict:
    # realtime/china: the 15 archived 2020-21 posts, full text in <description> as RSSHub delivered it
    newest_first = sorted(posts, key=lambda p: (p.published, p.url), reverse=True)
    assert all(p.url.startswith("https://www.zaobao.com/realtime/china/story") for p in posts)
    china_items = [Item(p.url, p.title, p.published, {"extraction_dev": p.id}, None, p.paragraphs) for p in newest_first]
    china_xml = rsshub_feed(
        "《联合早报》-中港台-即时",
        "https://www.zaobao.com/realtime/china",
        ZAOBAO_CHINA_FEED,
        [rsshub_item(p.title, p.content, p.url, p.published) for p in newest_first],
        max(p.published for p in posts),
    )
    site.add(site_path(ZAOBAO_CHINA_FEED), china_xml)

    # realtime/world: the 3 zaobao.com.sg stories of the 2026 excerpt, teaser only -> pages
    excerpt_path = shared / "pages" / "zaobao" / "aar0u_feed-nodejs_zaobao.EXCERPT.xml"
    tree = etree.parse(str(excerpt_path))
    ns = {"content": "http://purl.org/rss/1.0/modules/content/"}
    stories = []
    for node in tree.findall("./channel/item"):
        stories.append(
            {
                "title": node.findtext("title"),
                "url": node.findtext("link"),
                "published": parsedate_to_datetime(node.findtext("pubDate")),
                "content": node.find("content:encoded", ns).text,
            }
        )

    world_items, world_xml_items = [], []
    for story in stories:
        soup = BeautifulSoup(story["content"], "html.parser")
        image = soup.find("img", recursive=False)["src"]
        body = soup.find("div", recursive=False)
        blocks = [c for c in body.children if getattr(c, "name", None)]  # p and div.bff-sub-heading
        paragraphs = [b.get_text().strip() for b in blocks]
        teaser = blocks[0].get_text().strip()
        story_id = story["url"].rsplit("/", 1)[1]
        others = [(s["title"], s["url"]) for s in stories if s is not story]
        keywords = ZAOBAO_EXTRA_KEYWORDS[story_id] + [
            (a.get_text(), a["href"].split("/keywords/")[1].split("?")[0]) for a in body.select('a[href*="/keywords/"]')
        ]
        page_path = site_path(story["url"])
        site.add(
            page_path,
            zaobao_page(
                url=story["url"],
                headline=story["title"],
                description=teaser,
                published=story["published"],
                body_html=zaobao_story_body([str(b) for b in blocks], ZAOBAO_EXTRA_KEYWORDS[story_id], image, others),
                keywords=keywords,
                related=others,
                image=image,
            ),
        )
        world_items.append(
            Item(
                story["url"],
                story["title"],
                story["published"],
                {"shared_file": "pages/zaobao/aar0u_feed-nodejs_zaobao.EXCERPT.xml"},
                page_path,
                paragraphs,
                {"teaser": teaser},
            )
        )
        world_xml_items.append(rsshub_item(story["title"], teaser, story["url"], story["published"]))

    world_xml = rsshub_feed(
        "《联合早报》-国际-即时",
        "https://www.zaobao.com.sg/realtime/world",
        ZAOBAO_WORLD_FEED,
        world_xml_items,
        max(s["published"] for s in stories),
    )
    site.add(site_path(ZAOBAO_WORLD_FEED), world_xml)
    return {
        "feeds": [
            {
                "url": ZAOBAO_CHINA_FEED,
                "path": site_path(ZAOBAO_CHINA_FEED),
                "format": "rss2 (RSSHub)",
                "full_text_in_feed": True,
                "items": [i.manifest() for i in china_items],
            },
            {
                "url": ZAOBAO_WORLD_FEED,
                "path": site_path(ZAOBAO_WORLD_FEED),
                "format": "rss2 (RSSHub)",
                "full_text_in_feed": False,
                "items": [i.manifest() for i in world_items],
            },
        ]
    }


# --------------------------------------------------------------------------- BBC


def bbc_url(archived: str) -> str:
    """Archived http://www.bbc.com / bbc.co.uk links -> today's https://www.bbc.com, same path."""
    parts = urlsplit(archived)
    assert parts.netloc in {"www.bbc.com", "www.bbc.co.uk"}, archived
    return "https://www.bbc.com" + parts.path


BBC_NAV = [
    ("主页", "/zhongwen/simp"),
    ("国际", "/zhongwen/simp/international"),
    ("两岸", "/zhongwen/simp/chinese_news"),
    ("英国", "/zhongwen/simp/uk"),
    ("财经", "/zhongwen/simp/business"),
    ("科技", "/zhongwen/simp/science"),
    ("视频", "/zhongwen/simp/media/video"),
    ("图辑", "/zhongwen/simp/media/photo_galleries"),
]


def bbc_page(*, url: str, title: str, summary: str, published: datetime, main: str, most_read: list[tuple[str, str]]) -> str:
    """A server-rendered BBC News 中文 article page around a real <main role="main">."""
    logo = {"@type": "ImageObject", "width": 1024, "height": 576, "url": "https://news.files.bbci.co.uk/ws/img/logos/og/zhongwen.png"}
    organisation = {"@type": "NewsMediaOrganization", "name": "BBC News 中文", "logo": logo}
    data = {
        "@context": "http://schema.org",
        "@type": "ReportageNewsArticle",
        "url": url,
        "publisher": organisation,
        "image": logo,
        "thumbnailUrl": logo["url"],
        "mainEntityOfPage": {"@type": "WebPage", "@id": url, "name": title},
        "headline": title,
        "description": summary,
        "datePublished": iso_z(published),
        "dateModified": iso_z(published),
        "inLanguage": "zh-Hans",
        "author": organisation,
    }
    nav = "".join(f'<li role="listitem"><a href="{href}">{name}</a></li>' for name, href in BBC_NAV)
    read = "".join(
        f'<li role="listitem"><span>{n}</span><a href="{attr(link)}">{html.escape(text)}</a></li>'
        for n, (text, link) in enumerate(most_read, 1)
    )
    return f"""<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charSet="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1, minimum-scale=1"/>
<title>{html.escape(title)} - BBC News 中文</title>
<meta name="description" content="{attr(summary)}"/>
<link rel="canonical" href="{attr(url)}"/>
<meta name="robots" content="noodp,noydir,max-image-preview:large"/>
<meta property="og:title" content="{attr(title)}"/>
<meta property="og:description" content="{attr(summary)}"/>
<meta property="og:type" content="article"/>
<meta property="og:url" content="{attr(url)}"/>
<meta property="og:site_name" content="BBC News 中文"/>
<meta property="og:locale" content="zh_CN"/>
<meta property="og:image" content="{logo['url']}"/>
<meta name="twitter:card" content="summary_large_image"/>
<meta name="twitter:site" content="@bbcchinese"/>
<meta name="article:published_time" content="{iso_z(published)}"/>
<script type="application/ld+json">{ld_json(data)}</script>
</head>
<body>
<div id="root">
<header role="banner" lang="zh-Hans"><div><a href="#content" class="skip-link">跳过此内容，继续阅读</a><div><a href="https://www.bbc.com/zhongwen/simp" aria-label="BBC News, 中文"><svg viewBox="0 0 84 24" aria-hidden="true" focusable="false"><path d="M0 0h24v24H0z"></path></svg><span>BBC News, 中文</span></a></div></div>
<nav role="navigation" aria-label="BBC News 中文"><ul role="list">{nav}</ul></nav></header>
{main}
<section aria-labelledby="Most-Read" role="region"><h2 id="Most-Read">热读</h2><ol role="list">{read}</ol></section>
<footer role="contentinfo"><div><a href="https://www.bbc.com/zhongwen/simp">BBC News, 中文</a></div><ul role="list"><li role="listitem"><a href="https://www.bbc.co.uk/news/help-41670342">为什么你可以信赖BBC新闻</a></li><li role="listitem"><a href="https://www.bbc.com/usingthebbc/terms/">使用条款</a></li><li role="listitem"><a href="https://www.bbc.co.uk/aboutthebbc">关于BBC</a></li><li role="listitem"><a href="https://www.bbc.com/usingthebbc/privacy/">隐私政策</a></li><li role="listitem"><a href="https://www.bbc.com/usingthebbc/cookies/">Cookies</a></li><li role="listitem"><a href="https://www.bbc.com/zhongwen/simp/institutional-38274155">联系BBC</a></li></ul><p><span>© {published.year} BBC. BBC对外部网站内容不负责任。</span> <a href="https://www.bbc.co.uk/editorialguidelines/guidance/feeds-and-links">了解我们对待外部链接的做法。</a></p></footer>
</div>
</body>
</html>
"""


def bbc_feed(items: list[Item], summaries: dict[str, str]) -> str:
    """RSS 2.0 like https://feeds.bbci.co.uk/zhongwen/simp/rss.xml (one-paragraph summary, no image)."""
    rows = []
    for item in items:
        rows.append(
            "        <item>\n"
            f"            <title>{cdata(item.title)}</title>\n"
            f"            <description>{cdata(summaries[item.url])}</description>\n"
            f"            <link>{xml_escape(item.url)}?at_medium=RSS&amp;at_campaign=KARANGA</link>\n"
            f'            <guid isPermaLink="false">{xml_escape(item.url)}</guid>\n'
            f"            <pubDate>{rfc822_gmt(item.published)}</pubDate>\n"
            "        </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0" xmlns:media="http://search.yahoo.com/mrss/">\n'
        "    <channel>\n"
        f"        <title>{cdata('BBC News 中文')}</title>\n"
        f"        <description>{cdata('BBC News 中文 - 主页')}</description>\n"
        "        <link>https://www.bbc.com/zhongwen/simp</link>\n"
        "        <image>\n"
        "            <url>https://news.bbcimg.co.uk/nol/shared/img/bbc_news_120x60.gif</url>\n"
        "            <title>BBC News 中文</title>\n"
        "            <link>https://www.bbc.com/zhongwen/simp</link>\n"
        "        </image>\n"
        "        <generator>RSS for Node</generator>\n"
        f"        <lastBuildDate>{rfc822_gmt(max(i.published for i in items))}</lastBuildDate>\n"
        f'        <atom:link href="{BBC_FEED}" rel="self" type="application/rss+xml"/>\n'
        "        <copyright>"
        + cdata(
            "Copyright: (C) British Broadcasting Corporation, see https://www.bbc.co.uk/usingthebbc/terms-of-use/"
            "#15metadataandrssfeeds for terms and conditions of reuse."
        )
        + "</copyright>\n"
        f"        <language>{cdata('zh-hans')}</language>\n"
        "        <ttl>15</ttl>\n" + "".join(rows) + "    </channel>\n</rss>\n"
    )


def parse_capture(path: Path) -> tuple[datetime, str, str, str]:
    """duty-machine capture: '<!--epoch ms-->\\n[title](url)\\n------\\n\\n<main ...>...</main>'."""
    text = path.read_text(encoding="utf-8")
    epoch, link_line, _, rest = text.split("\n", 3)
    published = datetime.fromtimestamp(int(re.fullmatch(r"<!--(\d+)-->", epoch).group(1)) / 1000, timezone.utc)
    title, url = re.fullmatch(r"\[(.*)\]\((\S+)\)", link_line).groups()
    main = rest.strip("\n")
    assert main.startswith('<main role="main">') and main.endswith("</main>") and "\n" not in main
    return published, title, url, main


def build_bbc(shared: Path, posts: list[Post], site: Site) -> dict:
    entries = []  # (item, main html, summary)
    # A post without body text (one gold post is a bare headline) is a fault, not demo material: the faults
    # host covers empty bodies, and the demo must run clean.
    for post in (p for p in posts if p.paragraphs):
        url = bbc_url(post.url)
        summary = post.paragraphs[0]
        item = Item(url, post.title, post.published, {"extraction_dev": post.id}, site_path(url), post.paragraphs)
        entries.append((item, f'<main role="main">{post.content}</main>', summary))
    for name in ("bbc_1042907.md", "bbc_1042906.md"):
        published, title, url, main = parse_capture(shared / "pages" / "bbc-main-captures" / name)
        lead = BeautifulSoup(main, "html.parser").select_one("main > div > p")
        item = Item(url, title, published, {"shared_file": f"pages/bbc-main-captures/{name}"}, site_path(url), None)
        entries.append((item, main, lead.get_text().strip()))

    entries.sort(key=lambda e: (e[0].published, e[0].url), reverse=True)
    items = [e[0] for e in entries]
    for n, (item, main, summary) in enumerate(entries):
        # "most read" = the next five stories of the site, so every link resolves on the replay site
        most_read = [(items[(n + k) % len(items)].title, items[(n + k) % len(items)].url) for k in range(1, 6)]
        site.add(
            item.page,
            bbc_page(url=item.url, title=item.title, summary=summary, published=item.published, main=main, most_read=most_read),
        )
    site.add(site_path(BBC_FEED), bbc_feed(items, {item.url: summary for item, _, summary in entries}))
    for item, _, summary in entries:
        item.extra["summary"] = summary
    return {
        "feeds": [
            {
                "url": BBC_FEED,
                "path": site_path(BBC_FEED),
                "format": "rss2 (official BBC)",
                "full_text_in_feed": False,
                "item_link_suffix": "?at_medium=RSS&at_campaign=KARANGA",
                "items": [i.manifest() for i in items],
            }
        ]
    }


# --------------------------------------------------------------------------- VOA (Pangea CMS)

SKELETON_URL = "https://www.voanews.com/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"
SKELETON_PATH = "/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"
SKELETON_TITLE = "America&#39;s child care crisis is holding back moms without college degrees"
SKELETON_SUMMARY = "High-quality child care programs are prohibitively expensive, and government assistance is limited "

# feedx wrapper in front of every archived VOA item: date line, lead image (or video), caption
FEEDX_HEAD = re.compile(
    r'^<div><i>[^<]*</i></div>(?P<media><img [^>]*>|<video [^>]*></video>)'
    r'<div><small style="color: #999;">(?P<caption>.*?)</small></div>'
)
FEEDX_PROMO = re.compile(r'<br><hr><div>获取更多RSS：.*</div>$')


def voa_template(skeleton: str) -> tuple[str, str]:
    """Turn the real voanews.com page into a template with {{PLACEHOLDERS}}; also return
    the first in-body `.wsw__embed` block so it can be kept inside the Chinese bodies."""
    t = skeleton
    embed = re.search(r'<div class="wsw__embed">.*?</figure>\n</div>', t, re.S).group(0)
    t = re.sub(r'<div class="wsw">\n.*?</div>\n<ul>\n</ul>', "<div class=\"wsw\">\n{{WSW}}\n</div>\n<ul>\n</ul>", t, count=1, flags=re.S)
    t = re.sub(r'<script type="application/ld\+json">.*?</script>', "<script type=\"application/ld+json\">{{LDJSON}}</script>", t, count=1)
    t = re.sub(r"var utag_data=\{.*?\};", "var utag_data={{UTAG}};", t, count=1)
    t = re.sub(r'<div class="cover-media">.*?</figure>\n</div>', "{{COVER}}", t, count=1, flags=re.S)
    t = replace_once(
        t,
        '<time pubdate="pubdate" datetime="2024-04-28T03:00:00-04:00">\nApril 28, 2024 3:00 AM\n</time>',
        '<time pubdate="pubdate" datetime="{{TIME_ISO}}">\n{{TIME_TEXT}}\n</time>',
    )
    t = replace_once(
        t,
        'By <a class="links__item-link" href="/author/associated-press/j_-yt" title="Associated Press">Associated Press</a>',
        '<a class="links__item-link" href="/author/{{AUTHOR_SLUG}}" title="{{AUTHOR}}">{{AUTHOR}}</a>',
    )
    t = replace_once(t, '<a class="" href="/z/599">USA</a>', '<a class="" href="/z/1739">{{SECTION}}</a>')
    t = replace_once(t, '<html lang="en" dir="ltr" class="no-js">', '<html lang="zh" dir="ltr" class="no-js">')
    t = replace_once(t, "/VOA/en-US/VOA-en-US.css", "/VOA/zh-CN/VOA-zh-CN.css")
    t = replace_once(t, '<meta content="Associated Press" name="Author" />', '<meta content="{{AUTHOR}}" name="Author" />')
    t = replace_once(t, '<meta content="Voice of America" property="og:site_name" />', '<meta content="美国之音" property="og:site_name" />')
    t = replace_once(t, '<meta name="keywords" content="USA, United States" />', '<meta name="keywords" content="{{KEYWORDS}}" />')
    t = replace_once(t, "https://gdb.voanews.com/7C01456E-AFA3-4D09-A6AA-A6042A5159FA.jpg", "{{IMAGE}}", count=2)
    t = replace_once(t, "app-argument=//7585813.ltr", "app-argument=//{{ID}}.ltr")
    t = replace_once(t, '"apiId": "7585813"', '"apiId": "{{ID}}"')
    t = replace_once(t, "c14=7585813", "c14={{ID}}")
    t = replace_once(t, '"culture": "en-US"', '"culture": "zh-CN"')
    t = replace_once(t, quote(SKELETON_URL, safe="").lower(), "{{URL_Q}}", count=6)
    t = replace_once(t, "America%27s+child+care+crisis+is+holding+back+moms+without+college+degrees+", "{{TITLE_Q}}", count=2)
    t = replace_once(
        t, "america%27s%20child%20care%20crisis%20is%20holding%20back%20moms%20without%20college%20degrees%20", "{{TITLE_Q}}", count=3
    )
    t = replace_once(t, SKELETON_URL, "{{URL}}", count=4)
    t = replace_once(t, SKELETON_URL.replace("/a/", "/amp/"), "{{AMP_URL}}")
    t = replace_once(t, SKELETON_PATH, "{{PATH}}", count=2)
    t = replace_once(t, SKELETON_TITLE, "{{TITLE}}", count=9)
    t = replace_once(t, SKELETON_SUMMARY, "{{SUMMARY}}", count=3)
    t = t.replace("www.voanews.com", "www.voachinese.com")  # the site itself; gdb.voanews.com images stay
    assert "child care" not in t.split("{{WSW}}")[0], "English story text left in the page head"
    return t, embed


# VOA Chinese zone names, chosen from a story's title and lead (the feed lists several).
VOA_CATEGORIES = [
    ("港澳", ("香港", "港府", "林郑", "黎智英", "黄之锋", "港人")),
    ("台湾", ("台湾", "台北", "钓鱼岛")),
    ("美中关系", ("中国", "北京", "中共", "阿里巴巴", "华为", "字节跳动", "TikTok")),
    ("美国", ("美国", "特朗普", "蓬佩奥", "国会", "白宫", "拜登")),
    ("朝鲜半岛", ("朝鲜", "韩国")),
    ("亚太", ("日本", "韩国")),
    ("中东", ("伊朗", "乌克兰客机")),
    ("拉美", ("委内瑞拉", "巴西")),
]


def voa_categories(text: str) -> list[str]:
    found = [name for name, words in VOA_CATEGORIES if any(w in text for w in words)]
    return found or ["国际"]


def voa_image(archived_src: str) -> str:
    """feedx's `https://images.weserv.nl?url=gdb.voanews.com/X_w900.jpg` -> `https://gdb.voanews.com/X_w900.jpg`."""
    return "https://" + archived_src.split("url=", 1)[1]


def voa_body(content: str, embed: str) -> tuple[str, str, str]:
    """Split an archived VOA item into (lead image url, caption html, body html for div.wsw)."""
    head = FEEDX_HEAD.match(content)
    assert head, content[:200]
    media = BeautifulSoup(head.group("media"), "html.parser").find(["img", "video"])
    image = voa_image(media.get("src") if media.name == "img" else media.get("poster"))
    body = FEEDX_PROMO.sub("", content[head.end() :])
    assert "feedx" not in body
    # keep one of the skeleton's in-body embeds (a .wsw__embed figure) mid-story, as on real pages
    ends = [m.end() for m in re.finditer(r"</p>", body)]
    if len(ends) >= 4:
        cut = ends[len(ends) // 2 - 1]
        body = body[:cut] + embed + body[cut:]
    return image, head.group("caption"), body


def voa_page(template: str, post: Post, image: str, caption: str, body: str, categories: list[str], summary: str) -> str:
    url = post.url
    parts = urlsplit(url)
    article_id = parts.path.rsplit("/", 1)[1].removesuffix(".html")
    eastern = post.published.astimezone(US_EASTERN)
    caption_text = html.unescape(caption)
    cover = (
        '<div class="cover-media">\n<figure class="media-image js-media-expand">\n<div class="img-wrap">\n'
        f'<div class="thumb thumb16_9">\n<img src="{attr(image)}" alt="{attr(caption_text)}" />\n</div>\n'
        '<span class="ico ico-fullscreen ico--media-expand ico--rounded"></span>\n</div>\n<figcaption>\n'
        f'<span class="caption" data-cms-inline-wrap="caption" data-cms-inline-text="">{caption}</span>\n'
        "</figcaption>\n</figure>\n</div>"
    )
    author = "美国之音"
    ld = {
        "articleSection": categories[0],
        "headline": post.title,
        "inLanguage": "zh-CN",
        "keywords": ", ".join(categories),
        "author": {"@type": "Person", "url": "https://www.voachinese.com/author/voa-chinese/", "name": author},
        "datePublished": post.published.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
        "dateModified": post.published.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
        "publisher": {
            "logo": {"width": 512, "height": 220, "@type": "ImageObject", "url": "https://www.voachinese.com/Content/responsive/VOA/zh-CN/img/logo.png"},
            "@type": "NewsMediaOrganization",
            "url": "https://www.voachinese.com",
            "name": "美国之音",
            "alternateName": "VOA",
        },
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": url,
        "url": url,
        "description": summary,
        "image": {"width": 900, "height": 506, "@type": "ImageObject", "url": image},
        "name": post.title,
    }
    utc = post.published.astimezone(timezone.utc)

    def js(value: str) -> str:  # a JavaScript string literal
        return json.dumps(value, ensure_ascii=False)

    utag = (
        "{"
        + ",".join(
            f"{k}:{js(v)}"
            for k, v in [
                ("entity", "VOA"),
                ("language", "Mandarin"),
                ("language_service", "VOA Mandarin"),
                ("short_language_service", "MAN"),
                ("property_id", "479"),
                ("platform", "responsive"),
                ("page_title", post.title),
                ("page_type", "article"),
                ("headline", post.title),
                ("content_type", "article"),
                ("url", url),
                ("domain", "www.voachinese.com"),
                ("pub_year", f"{utc:%Y}"),
                ("pub_month", f"{utc:%m}"),
                ("pub_day", f"{utc:%d}"),
                ("pub_hour", f"{utc:%H}"),
                ("pub_minute", f"{utc:%M}"),
                ("pub_weekday", f"{utc:%A}"),
                ("byline", author),
                ("categories", ",".join(categories)),
                ("slug", unquote(parts.path.split("/")[2]) if parts.path.count("/") > 2 else ""),
                ("article_uid", article_id),
            ]
        )
        + "}"
    )
    values = {
        "WSW": body,
        "LDJSON": ld_json(ld),
        "UTAG": utag,
        "COVER": cover,
        "TIME_ISO": eastern.isoformat(),
        "TIME_TEXT": f"{eastern.year}年{eastern.month}月{eastern.day}日 {eastern:%H:%M}",
        "AUTHOR": author,
        "AUTHOR_SLUG": "voa-chinese/",
        "SECTION": html.escape(categories[0]),
        "KEYWORDS": attr(", ".join(categories)),
        "IMAGE": attr(image),
        "ID": article_id,
        "URL_Q": quote(url, safe=""),
        "TITLE_Q": quote(post.title, safe=""),
        "URL": attr(url),
        "AMP_URL": attr(url.replace("/a/", "/amp/", 1)),
        "PATH": attr(parts.path),
        "TITLE": html.escape(post.title),
        "SUMMARY": attr(summary),
    }
    page = re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)], template)
    return page


def voa_feed(entries: list[tuple[Item, str, list[str], str]]) -> str:
    """Pangea CMS RSS 2.0 (field order as in a real VOA zone feed)."""
    rows = []
    for item, summary, categories, image in entries:
        enclosure = re.sub(r"_r1_s_w900\.jpg$", "_w800_h450.jpg", image)
        rows.append(
            "<item>\n"
            f"<title>{xml_escape(item.title)}</title>\n"
            f"<description>{xml_escape(summary)}</description>\n"
            f"<link>{xml_escape(item.url)}</link>\n"
            f"<guid>{xml_escape(item.url)}</guid>\n"
            f"<pubDate>{format_datetime(item.published.astimezone(US_EASTERN))}</pubDate>\n"
            + "".join(f"<category>{xml_escape(c)}</category>\n" for c in categories)
            + "<author>webdesk@voanews.com (美国之音)</author>\n"
            f'<enclosure length="0" type="image/jpeg" url="{attr(enclosure)}"/>\n'
            "</item>\n"
        )
    last = max(e[0].published for e in entries).astimezone(US_EASTERN)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        "<title>美国之音中文网</title>\n"
        "<link>https://www.voachinese.com</link>\n"
        "<description>美国之音中文网 - 新闻、时事、美中关系</description>\n"
        "<image>\n<url>https://www.voachinese.com/Content/responsive/VOA/zh-CN/img/logo.png</url>\n"
        "<title>美国之音中文网</title>\n<link>https://www.voachinese.com</link>\n</image>\n"
        "<language>zh-cn</language>\n"
        f"<copyright>{last.year} - 美国之音</copyright>\n"
        "<ttl>60</ttl>\n"
        f"<lastBuildDate>{format_datetime(last)}</lastBuildDate>\n"
        "<generator>Pangea CMS – VOA</generator>\n"
        f'<atom:link href="{VOA_FEED}" rel="self" type="application/rss+xml"></atom:link>\n'
        + "".join(rows)
        + "</channel>\n</rss>\n"
    )


def build_voa(shared: Path, posts: list[Post], site: Site) -> dict:
    skeleton = gzip.decompress((shared / "pages" / "voa" / "fundus_VoiceOfAmerica_2024_04_28.html.gz").read_bytes()).decode("utf-8")
    template, embed = voa_template(skeleton)
    entries = []
    for post in sorted(posts, key=lambda p: (p.published, p.url), reverse=True):
        assert post.url.startswith("https://www.voachinese.com/a/"), post.url
        image, caption, body = voa_body(post.content, embed)
        summary = post.paragraphs[0]
        categories = voa_categories(post.title + summary)
        item = Item(post.url, post.title, post.published, {"extraction_dev": post.id}, site_path(post.url), post.paragraphs)
        item.extra["summary"] = summary
        item.extra["categories"] = categories
        site.add(item.page, voa_page(template, post, image, caption, body, categories, summary))
        entries.append((item, summary, categories, image))
    site.add(site_path(VOA_FEED), voa_feed(entries))
    return {
        "feeds": [
            {
                "url": VOA_FEED,
                "path": site_path(VOA_FEED),
                "format": "rss2 (Pangea CMS)",
                "full_text_in_feed": False,
                "items": [e[0].manifest() for e in entries],
            }
        ]
    }


# --------------------------------------------------------------------------- UN News 中文

UN_NEWS_STORIES = Path(__file__).with_name("replay_un_news.json")


def un_news_page(story: dict, url: str, published: datetime, related: list[tuple[str, str]]) -> str:
    """A news.un.org/zh story page as the research notes describe it (Drupal 8): nav, an empty article shell,
    the title, date, lead and text column, related stories in an aside, footer."""
    body = "".join(
        f"<h4>{html.escape(p[3:])}</h4>" if p.startswith("## ") else f"<p>{html.escape(p)}</p>"
        for p in story["paragraphs"]
    )
    aside = "".join(f'<li><a href="{attr(link)}">{html.escape(title)}</a></li>' for link, title in related)
    date_label = f"{published.year}年{published.month}月{published.day}日"
    return f"""<!DOCTYPE html>
<html lang="zh-hans" dir="ltr">
<head>
<meta charset="utf-8" />
<title>{html.escape(story["title"])} | 联合国新闻</title>
<meta property="og:title" content="{attr(story["title"])}" />
<meta property="og:url" content="{attr(url)}" />
<link rel="canonical" href="{attr(url)}" />
</head>
<body class="path-node page-node-type-news-story">
<nav role="navigation" class="main-menu"><ul><li><a href="/zh/">首页</a></li><li><a href="/zh/news/topic/peace-and-security">和平与安全</a></li><li><a href="/zh/news/topic/health">卫生</a></li><li><a href="/zh/news/topic/migrants-and-refugees">移民和难民</a></li><li><a href="/zh/news/topic/climate-change">气候变化</a></li></ul></nav>
<main role="main">
<article class="node node--type-news-story"><div class="node__content"></div></article>
<div class="region region-content">
<h1 class="node__title"><span>{html.escape(story["title"])}</span></h1>
<div class="field field--name-field-news-date field--type-datetime"><time datetime="{iso_z(published)}">{date_label}</time></div>
<div class="views-field views-field-field-news-story-lead"><div class="field-content"><p>{html.escape(story["lead"])}</p></div></div>
<div class="field field--name-field-media-image"><figure><img src="https://global.unitednations.entermediadb.net/assets/mediadb/services/module/asset/downloads/preset/Libraries/Production+Library/{story["id"]}.jpg/image770x420cropped.jpg" alt="" /><figcaption>联合国图片</figcaption></figure></div>
<div class="clearfix text-formatted field field--name-field-text-column field--type-text-long field--label-hidden field__item">{body}</div>
<div class="social-media-links"><a href="https://www.facebook.com/sharer/sharer.php?u={attr(url)}">分享</a></div>
</div>
<aside class="story-related"><h2>相关新闻</h2><ul>{aside}</ul></aside>
</main>
<footer><p>© 联合国</p></footer>
</body>
</html>
"""


def un_news_feed(entries: list[tuple[Item, str]], last_build: datetime) -> str:
    items = "".join(
        "    <item>\n"
        f"      <title>{xml_escape(item.title)}</title>\n"
        f"      <link>{xml_escape(item.url)}</link>\n"
        f"      <description>{xml_escape(lead)}</description>\n"
        f"      <pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>\n"
        f'      <guid isPermaLink="true">{xml_escape(item.url)}</guid>\n'
        "    </item>\n"
        for item, lead in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xml:base="https://news.un.org/zh">\n  <channel>\n'
        "    <title>联合国新闻 - 全球视野 人类故事</title>\n    <link>https://news.un.org/zh</link>\n"
        "    <description>联合国新闻</description>\n    <language>zh-hans</language>\n"
        f"    <lastBuildDate>{format_datetime(last_build, usegmt=True)}</lastBuildDate>\n"
        + items + "  </channel>\n</rss>\n"
    )


def build_un_news(site: Site) -> dict:
    data = json.loads(UN_NEWS_STORIES.read_text(encoding="utf-8"))
    stories = sorted(data["stories"], key=lambda story: story["published"], reverse=True)
    entries = []
    for story in stories:
        published = parse_iso(story["published"])
        url = f"https://news.un.org/zh/story/{published:%Y/%m}/{story['id']}"
        related = [(f"https://news.un.org/zh/story/{parse_iso(o['published']):%Y/%m}/{o['id']}", o["title"])
                   for o in stories if o is not story]
        paragraphs = [story["lead"]] + [p.removeprefix("## ") for p in story["paragraphs"]]
        item = Item(url, story["title"], published, {"synthetic": "scripts/replay_un_news.json"}, site_path(url), paragraphs)
        site.add(item.page, un_news_page(story, url, published, related))
        entries.append((item, story["lead"]))
    site.add(site_path(UN_NEWS_FEED), un_news_feed(entries, entries[0][0].published))
    return {
        "about": data["about"],
        "feeds": [
            {
                "url": UN_NEWS_FEED,
                "path": site_path(UN_NEWS_FEED),
                "format": "rss2 (Drupal), description = the story lead",
                "full_text_in_feed": False,
                "items": [item.manifest() for item, _ in entries],
            }
        ],
    }


# --------------------------------------------------------------------------- faults


def build_faults(zaobao_posts: list[Post], site: Site) -> tuple[dict, dict]:
    """Broken feeds and pages under the faults.test host, which no outlet registry lists."""
    base = f"https://{FAULTS_HOST}"
    published = datetime(2024, 5, 8, 5, 2, 3, tzinfo=timezone.utc)
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
        rsshub_item("缺少日期的条目", "<p>" + donor.paragraphs[1] + "</p>", f"{base}/news/missing-fields/story20240508-0000011", None),
        rsshub_item("链接和日期都缺少的条目", "<p>" + donor.paragraphs[2] + "</p>", None, None),
        rsshub_item(donor.title, "".join(f"<p>{html.escape(p)}</p>" for p in donor.paragraphs), good_link, published),
    ]
    site.add(site_path(feeds["missing_fields"]), rsshub_feed("faults: items missing fields", base, feeds["missing_fields"], missing, published))
    bad = [
        rsshub_item(f"故障页面：{name}", donor.paragraphs[0], url, published - timedelta(minutes=n))
        for n, (name, url) in enumerate(sorted(pages.items()))
        if name != "good"
    ]
    site.add(site_path(feeds["bad_pages"]), rsshub_feed("faults: items pointing at bad pages", base, feeds["bad_pages"], bad, published))

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
                "expect": 'HTTP 200, Content-Type "text/html" without charset; <meta charset="gbk">; bytes encoded gb18030',
                "paragraphs": donor.paragraphs,
            },
            "empty_body": {"url": pages["empty_body"], "expect": "HTTP 200; div.articleBody present with no paragraphs"},
            "not_found": {"url": pages["not_found"], "expect": "HTTP 404"},
            "server_error": {"url": pages["server_error"], "expect": "HTTP 500"},
            "slow": {
                "url": pages["slow"],
                "expect": "answers only after `delay` seconds (see _routes.json; ReplayServer(route_overrides=...) changes it)",
                "delay": routes[site_path(pages["slow"])]["delay"],
                "paragraphs": donor.paragraphs,
            },
        },
    }
    return faults, routes


# --------------------------------------------------------------------------- main


def build(shared: Path) -> Site:
    posts = load_posts(shared)
    by_outlet = {name: [p for p in posts if p.outlet == name] for name in ("zaobao", "voa", "bbc")}
    assert [len(v) for v in by_outlet.values()] == [15, 15, 15], {k: len(v) for k, v in by_outlet.items()}
    site = Site()
    outlets = {
        "zaobao": build_zaobao(shared, by_outlet["zaobao"], site),
        "bbc": build_bbc(shared, by_outlet["bbc"], site),
        "voa": build_voa(shared, by_outlet["voa"], site),
        "un_news": build_un_news(site),
    }
    faults, routes = build_faults(by_outlet["zaobao"], site)
    manifest = {
        "about": "Offline replay of the newsmon outlets, built by scripts/build_replay.py from /work/shared. "
        "A real URL https://HOST/PATH is served at {replay_base}/HOST/PATH (query ignored). "
        "`paragraphs` is the gold body: from labels/extraction_dev.jsonl for the 45 archived posts, the "
        "<p>/sub-heading texts of the excerpt for the 3 zaobao.com.sg stories, null for the 2 BBC captures, "
        "the lead and text of the 4 synthetic UN News stories.",
        "outlets": outlets,
        "faults": faults,
    }
    manifest["archive"] = {
        "path": "../archive/extraction_dev.jsonl.gz",
        "about": "The 45 extraction_dev posts as a news archive stores them ({path, text} JSON lines): the same "
        "stories the feeds above serve, for importing an archive after live polling (it must add nothing).",
    }
    site.add("MANIFEST.json", json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    site.add("_routes.json", json.dumps(routes, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return site


ARCHIVE = REPO / "newsmon" / "replay" / "archive" / "extraction_dev.jsonl.gz"  # beside the site: not served


def archive_jsonl(shared: Path) -> bytes:
    lines = []
    for line in (shared / "labels" / "extraction_dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        lines.append(json.dumps({"path": record["path"], "text": record["raw"]}, ensure_ascii=False) + "\n")
    return gzip.compress("".join(lines).encode("utf-8"), mtime=0)  # mtime 0: the same bytes on every build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared material (default: ../shared)")
    parser.add_argument("--out", type=Path, default=SITE, help="site directory to (re)write")
    args = parser.parse_args(argv)
    site = build(args.shared.resolve())
    site.write(args.out)
    ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
    ARCHIVE.write_bytes(archive_jsonl(args.shared.resolve()))
    size = sum(len(b) for b in site.files.values())
    print(f"wrote {len(site.files)} files, {size / 1024:.0f} KiB, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
