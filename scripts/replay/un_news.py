"""联合国新闻 UN News 中文 on the replay site: the RSS feed and four story pages. All of it is synthetic.

No real UN News feed or page exists in ../shared, and the research found none in any public repository. The four
stories of scripts/replay_un_news.json were written for newsmon's tests. They are not UN News content.

  * un_news_page() lays them out in the Drupal structure that public scrapers document (research notes, section 2.4).
    These are exactly the classes the un_news parser selects: the lead in div.views-field-field-news-story-lead, the
    body in div.field--name-field-text-column as <p> and <h4>, and the date in .field--name-field-news-date time.
    The noise is what it drops: related stories in <aside class="story-related">, a figure and a share link. There
    is also an empty article .node__content shell. The page is built from the parser's own selectors, so the parser
    reading it right only shows that the builder and the parser agree.
  * un_news_feed(): RSS 2.0 with the fields public configs show (title, link, description = the lead, pubDate,
    guid). No real feed sample exists, so its exact form (guid, enclosure, dc:creator) is unverified.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from .common import Item, Site, attr, iso_z, parse_iso, site_path

UN_NEWS_FEED = "https://news.un.org/feed/subscribe/zh/news/all/rss.xml"


UN_NEWS_STORIES = Path(__file__).resolve().parent.parent / "replay_un_news.json"


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
"""  # noqa: E501 (the page markup, one line as the outlet serves it)


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
        item = Item(
            url, story["title"], published, {"synthetic": "scripts/replay_un_news.json"}, site_path(url), paragraphs
        )
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
