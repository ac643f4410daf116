"""联合早报 Lianhe Zaobao on the replay site: two RSSHub feeds, three zaobao.com.sg article pages, and the page and
feed templates the faults host reuses.

Real captured material:
  * rsshub.app/zaobao/realtime/china: the 15 Zaobao posts of labels/extraction_dev.jsonl (2020-21), each item's
    description exactly as RSSHub delivered it and the archive kept it. The channel around them follows RSSHub's
    template (lib/views/rss.art); it is not a capture.
  * pages/zaobao/aar0u_feed-nodejs_zaobao.EXCERPT.xml (2026): the 3 stories' titles, URLs, dates, lead images and
    body blocks (<p> and div.bff-sub-heading), which a bot extracted from the real pages' .articleBody. These are the
    bodies, not the pages.

Synthetic:
  * rsshub.app/zaobao/realtime/world: a teaser feed of those 3 stories (RSSHub's format; description = the first block).
  * the 3 article pages www.zaobao.com.sg/news/<section>/story...: no real zaobao.com.sg article page was captured.
    zaobao_page() makes up everything around the body (ld+json NewsArticle, header, nav, article meta and share
    buttons, tags, newspost link, sidebar, footer). zaobao_story_body() adds, inside the body, an inline figure with
    an expand button, an ad slot, a recommend box and a previous-article link, plus inline keyword links.
    These pages are built from the parser's own selectors: the body sits in div.articleBody, the container the
    zaobao parser selects (page layout V2024_page), and the boilerplate uses the classes it drops (.bff-google-ad,
    #dfp-ad-*, .bff-recommend-article, ref=previous-article links, figure, button). Builder and parser took those
    names from the same research notes (RSSHub's and aar0u's removal lists). So when the parser reads these pages
    right, that shows the builder and the parser agree. It does not show that the parser reads zaobao.com.sg.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import lxml.etree as etree
from bs4 import BeautifulSoup

from .common import Item, Post, Site, attr, cdata, ld_json, rfc822_gmt, site_path

ZAOBAO_CHINA_FEED = "https://rsshub.app/zaobao/realtime/china"
ZAOBAO_WORLD_FEED = "https://rsshub.app/zaobao/realtime/world"

SGT = timezone(timedelta(hours=8))


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
        f'<li class="bff-nav-item"><a href="https://www.zaobao.com.sg{href}">{name}</a></li>'
        for name, href in ZAOBAO_NAV
    )
    tags = "".join(
        f'<li><a href="https://www.zaobao.com.sg/keywords/{slug}">'
        f'<img src="https://www.zaobao.com.sg/_web2/assets/tag-icon.svg" alt="">{name}</a></li>'
        for name, slug in keywords
    )
    hot = "".join(
        f'<li><a href="{attr(link)}?ref=sidebar-hot">{html.escape(title)}</a></li>' for title, link in related
    )
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
"""  # noqa: E501 (the page markup, one line as the outlet serves it)


# Keyword slugs for inline links the excerpt does not already have (the real pages link
# a few names per story to /keywords/<pinyin>?ref=article-inline).
ZAOBAO_EXTRA_KEYWORDS = {
    "story20260915-9681802": [("何立峰", "he-li-feng"), ("贝森特", "bei-sen-te")],
    "story20260915-9680652": [("中小企业", "zhong-xiao-qi-ye")],
    "story20260915-9680755": [],
}


def zaobao_story_body(
    chunks: list[str], extra_keywords: list[tuple[str, str]], image: str, others: list[tuple[str, str]]
) -> str:
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
    ad = (
        '<div class="bff-google-ad">'
        '<div id="dfp-ad-imu1" data-ad-unit="/5908/zaobao/imu1" style="min-height:250px"></div></div>'
    )
    recommend = (
        '<div class="bff-recommend-article"><div class="recommend-title">相关新闻</div><ul>'
        + "".join(
            f'<li><a href="{attr(link)}?ref=article-recommend">{html.escape(title)}</a></li>' for title, link in others
        )
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
    china_items = [
        Item(p.url, p.title, p.published, {"extraction_dev": p.id}, None, p.paragraphs) for p in newest_first
    ]
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
