"""Outlet detection for archived posts: every archive name the shared corpus uses maps to one stable key."""

import pytest

from newsmon.parsers import OUTLETS, outlet_of, outlet_of_post, parser_for
from newsmon.parsers.archive import read_post
from newsmon.parsers.outlets import Outlet
from newsmon.parsers.urls import canonical_url
from tests.modules import MIGRATIONS, load_module

CORPUS_NAMES = {
    "(臺)中央社CNA": "cna", "法广": "rfi", "联合早报": "zaobao", "路透": "reuters", "美国之音": "voa",
    "大纪元": "epochtimes", "德国之声": "dw", "BBC": "bbc", "自由亚洲电台": "rfa", "RTI 中央廣播電臺": "rti",
    "Solidot": "solidot", "经济学人en": "economist", "Nei.st": "neist", "中国数字时代": "cdt", "纽约时报": "nytimes",
    "维权网": "wqw", "金融时报": "ft", "CCTV新闻联播": "cctv", "寒冬": "bitterwinter", "端傳媒": "initium",
}


def post(front_matter: str = "", url: str = "https://example.org/a/1", path: str = "_posts/2021-01-01-x.md"):
    head = f"---\n{front_matter}\n---\n" if front_matter else ""
    return read_post(path, f"{head}<!--1609459200000-->\n[标题]({url})\n------\n\n<div>\n<p>正文。</p>\n</div>")


@pytest.mark.parametrize("name,key", CORPUS_NAMES.items())
def test_every_archive_name_of_the_corpus_has_a_stable_key(name, key):
    assert OUTLETS.by_name(name) == key
    assert outlet_of_post(post(f"author: {name}")) == key


def test_a_contributor_as_author_resolves_by_host_then_by_tags():
    # 中国数字时代 posts name the contributor as author; the host or the category names the outlet
    by_host = post("author: 最后领导人\ntags: [ 中国数字时代 ]", url="https://chinadigitaltimes.net/chinese/1")
    assert outlet_of_post(by_host) == "cdt"
    by_category = post("author: 一朵后浪\ncategories: [ 中国数字时代 ]", url="https://unknown.example/1")
    assert outlet_of_post(by_category) == "cdt"


def test_per_outlet_folders_even_with_the_quotes_and_newlines_the_archive_left_in_paths():
    quoted = '"_posts/德国之声/1048029_《港区国安法》如何影響香港金融中心地位\n.md"'
    assert outlet_of_post(post(url="https://unknown.example/1", path=quoted)) == "dw"


def test_hosts_match_subdomains_and_unknown_hosts_get_a_slug_key():
    assert outlet_of(url="https://cn.reuters.com/article/x") == "reuters"
    assert outlet_of(url="https://www.thestandnews.com/politics/x") == "standnews"
    assert outlet_of(url="https://news.un.org/zh/story/2026/11/1162311") == "un_news"
    assert outlet_of_post(post(url="https://www.some-blog.example/2020/x")) == "some-blog-example"


def test_outlets_without_a_dedicated_parser_get_the_generic_one_speaking_for_them():
    parser = parser_for("rfi")
    article = parser.from_archive(post("author: 法广", url="https://www.rfi.fr/cn/1"))
    assert (article.outlet, article.parser) == ("rfi", "generic.V2")
    assert parser_for("bbc").key == "bbc"


# its frozen copy of the patterns must agree with parsers/outlets.py's on the URLs below
MIGRATION_0013 = load_module(MIGRATIONS / "0013_outlet_article_ids.py", "migration_0013")


# (outlet, URL as the corpus has it, the outlet's own id or None): pairs of one article under two URLs, and URLs of
# these outlets that are not articles
OUTLET_IDS = [
    ("dw", "https://www.dw.com/zh/贸易与人权  欧中视频峰会难题多/a-54923091", "54923091"),
    ("dw", "https://www.dw.com/zh/投资协议签不签?欧中峰会难题多/a-54923091", "54923091"),  # a "?" cuts the slug
    ("dw", "https://www.dw.com/zh/a-1234567的报道/a-56297333", "56297333"),  # the id is the last part
    ("dw", "https://www.dw.com/zh/德国之声视频/av-55446262", None),
    ("dw", "https://www.dw.com/zh/图片集/g-55446262", None),
    ("cna", "https://www.cna.com.tw/news/afe/202101210298.aspx", "202101210298"),
    ("cna", "https://www.cna.com.tw/news/firstnews/202101210298.aspx", "202101210298"),
    ("cna", "https://www.cna.com.tw/culture/article/202101210298", None),
    ("reuters", "https://cn.reuters.com/article/poll-us-ret-covid-1125-idCNKBS28509L", "CNKBS28509L"),
    ("reuters", "https://cn.reuters.com/article/poll-us-stocks-covid-vaccine-1125-idCNKBS28509L", "CNKBS28509L"),
    ("reuters", "https://cn.reuters.com/article/idCNKBS28509L", "CNKBS28509L"),
]


@pytest.mark.parametrize("outlet,url,outlet_id", OUTLET_IDS)
def test_outlets_that_declare_their_article_id_key_articles_by_it_and_migration_0013_agrees(outlet, url, outlet_id):
    parser = parser_for(outlet)
    canonical = canonical_url(url)
    assert parser.article_id(canonical) == outlet_id  # as stored, then as the archive wrote it
    assert parser.article_id(url) == outlet_id
    frozen = MIGRATION_0013._ARTICLE_IDS[outlet].search(canonical)
    assert (frozen.group("id") if frozen else None) == outlet_id


def test_an_article_id_pattern_without_its_id_group_is_refused():
    with pytest.raises(ValueError, match="the outlet 'x': its article_id pattern has no group named id"):
        Outlet("x", "X", article_id=r"/a-(\d+)")


def test_a_post_that_cannot_be_read_fails_under_the_outlet_its_folder_names():
    from newsmon.imports.parse import parse_record
    from newsmon.imports.read import Failure, Post

    no_link = "<!--1593687261000-->\n\n德语媒体：北京的快速回应\n"  # the corpus' one such post, cut short
    failed = parse_record(Post("_posts/德国之声/1048198_德语媒体：北京的快速回应\n\n.md", "x.jsonl:1", no_link))
    assert isinstance(failed, Failure) and (failed.reason, failed.outlet) == ("no-link", "dw")
    elsewhere = parse_record(Post("_posts/1048198_x.md", "x.jsonl:2", no_link))
    assert isinstance(elsewhere, Failure) and elsewhere.outlet == "unknown"
