"""美国之音 VOA 中文 on the replay site: a Pangea CMS feed and one page per story, made from a real voanews.com page.

Real captured material:
  * pages/voa/fundus_VoiceOfAmerica_2024_04_28.html.gz: a real voanews.com (English) article page, saved by fundus.
    voachinese.com runs the same Pangea CMS, so this page is the skeleton of every VOA page here: head, header,
    nav, article layout (#article-content > div.wsw, div.cover-media), one of its in-body .wsw__embed blocks,
    footer and scripts. The container classes are Pangea's own; they are not taken from the parser.
  * the 15 VOA posts of labels/extraction_dev.jsonl (2020-21): feedx's copies of voachinese.com stories (lead image,
    caption, the <p> body) as the archive kept them.

Synthetic:
  * each page is the English skeleton with its story swapped out. voa_template() cuts placeholders into it, and
    voa_page() fills them with the Chinese story: title and summary, Eastern-time dates, author "美国之音", and zone
    names picked by keyword (VOA_CATEGORIES). It also builds the ld+json and utag data here, makes the cover figure
    from the feedx image and caption, and puts the feedx body into div.wsw with the skeleton's .wsw__embed block
    moved to mid-story. No real voachinese.com article page was captured.
  * www.voachinese.com/api/zm_yql-vomx-tpeybti: Pangea RSS 2.0 in the field order the research notes give (taken
    from a machine-translated mirror of the real feed). No real VOA 中文 feed was captured.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from datetime import UTC
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from .common import Item, Post, Site, attr, ld_json, replace_once, site_path

VOA_FEED = "https://www.voachinese.com/api/zm_yql-vomx-tpeybti"

US_EASTERN = ZoneInfo("America/New_York")


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
    t = re.sub(
        r'<div class="wsw">\n.*?</div>\n<ul>\n</ul>', "<div class=\"wsw\">\n{{WSW}}\n</div>\n<ul>\n</ul>", t,
        count=1, flags=re.S,
    )
    t = re.sub(
        r'<script type="application/ld\+json">.*?</script>',
        '<script type="application/ld+json">{{LDJSON}}</script>',
        t,
        count=1,
    )
    t = re.sub(r"var utag_data=\{.*?\};", "var utag_data={{UTAG}};", t, count=1)
    t = re.sub(r'<div class="cover-media">.*?</figure>\n</div>', "{{COVER}}", t, count=1, flags=re.S)
    t = replace_once(
        t,
        '<time pubdate="pubdate" datetime="2024-04-28T03:00:00-04:00">\nApril 28, 2024 3:00 AM\n</time>',
        '<time pubdate="pubdate" datetime="{{TIME_ISO}}">\n{{TIME_TEXT}}\n</time>',
    )
    t = replace_once(
        t,
        'By <a class="links__item-link" href="/author/associated-press/j_-yt" title="Associated Press">'
        "Associated Press</a>",
        '<a class="links__item-link" href="/author/{{AUTHOR_SLUG}}" title="{{AUTHOR}}">{{AUTHOR}}</a>',
    )
    t = replace_once(t, '<a class="" href="/z/599">USA</a>', '<a class="" href="/z/1739">{{SECTION}}</a>')
    t = replace_once(t, '<html lang="en" dir="ltr" class="no-js">', '<html lang="zh" dir="ltr" class="no-js">')
    t = replace_once(t, "/VOA/en-US/VOA-en-US.css", "/VOA/zh-CN/VOA-zh-CN.css")
    t = replace_once(
        t, '<meta content="Associated Press" name="Author" />', '<meta content="{{AUTHOR}}" name="Author" />'
    )
    t = replace_once(
        t,
        '<meta content="Voice of America" property="og:site_name" />',
        '<meta content="美国之音" property="og:site_name" />',
    )
    t = replace_once(
        t, '<meta name="keywords" content="USA, United States" />', '<meta name="keywords" content="{{KEYWORDS}}" />'
    )
    t = replace_once(t, "https://gdb.voanews.com/7C01456E-AFA3-4D09-A6AA-A6042A5159FA.jpg", "{{IMAGE}}", count=2)
    t = replace_once(t, "app-argument=//7585813.ltr", "app-argument=//{{ID}}.ltr")
    t = replace_once(t, '"apiId": "7585813"', '"apiId": "{{ID}}"')
    t = replace_once(t, "c14=7585813", "c14={{ID}}")
    t = replace_once(t, '"culture": "en-US"', '"culture": "zh-CN"')
    t = replace_once(t, quote(SKELETON_URL, safe="").lower(), "{{URL_Q}}", count=6)
    t = replace_once(
        t, "America%27s+child+care+crisis+is+holding+back+moms+without+college+degrees+", "{{TITLE_Q}}", count=2
    )
    t = replace_once(
        t,
        "america%27s%20child%20care%20crisis%20is%20holding%20back%20moms%20without%20college%20degrees%20",
        "{{TITLE_Q}}",
        count=3,
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


def voa_page(
    template: str, post: Post, image: str, caption: str, body: str, categories: list[str], summary: str
) -> str:
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
        "datePublished": post.published.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "dateModified": post.published.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
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
    utc = post.published.astimezone(UTC)

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
    capture = shared / "pages" / "voa" / "fundus_VoiceOfAmerica_2024_04_28.html.gz"
    skeleton = gzip.decompress(capture.read_bytes()).decode("utf-8")
    template, embed = voa_template(skeleton)
    entries = []
    for post in sorted(posts, key=lambda p: (p.published, p.url), reverse=True):
        assert post.url.startswith("https://www.voachinese.com/a/"), post.url
        image, caption, body = voa_body(post.content, embed)
        summary = post.paragraphs[0]
        categories = voa_categories(post.title + summary)
        item = Item(
            post.url, post.title, post.published, {"extraction_dev": post.id}, site_path(post.url), post.paragraphs
        )
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
