"""untrusted_text, the one place bad characters are dealt with, and read_feed/add_distinct around it."""

import json

import pytest

from newsmon.parsers.feed import FeedItem, add_distinct, read_feed
from newsmon.parsers.text import untrusted_text


@pytest.mark.parametrize(("text", "clean"), [
    ("a\ud800b", "a\ufffdb"),  # a lone surrogate: something was there
    ("a\udfff\ud800b", "a\ufffd\ufffdb"),
    ("a\x00b\x01c\x1bd\x7fe", "abcde"),  # NUL and controls dropped
    ("a\tb\nc\r\nd", "a\tb\nc\r\nd"),  # whitespace is the parser's to collapse
    ("中文 😀 \u3000 \ufffd", "中文 😀 \u3000 \ufffd"),  # 4-byte characters, full-width space and U+FFFD are text
])
def test_untrusted_text_replaces_surrogates_and_drops_controls(text, clean):
    assert untrusted_text(text) == clean
    clean.encode("utf-8")  # always encodable


def rss(title: bytes, declaration: bytes = b'<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (declaration + b'<rss version="2.0"><channel><title>t</title><item><title>' + title
            + b"</title><link>http://h/1</link><description>d\x00e</description></item>"
            b"<item><title>\xe5\xa5\xbd</title><link>http://h/2</link></item></channel></rss>")


@pytest.mark.parametrize(("reference", "title"), [
    (b"&#55296;", "a\ufffdb"), (b"&#xDFFF;", "a\ufffdb"), (b"&#1114112;", "a\ufffdb"),
    (b"&#" + b"9" * 5000 + b";", "a\ufffdb"),  # longer than int() reads: beyond Unicode all the same
    (b"&#0;", "ab"), (b"&#x1b;", "ab"), (b"&#128512;", "a\U0001f600b"), (b"&#00065;", "aAb"),
])
def test_character_references_feedparser_cannot_encode_become_replacement_characters(reference, title):
    items = read_feed(rss(b"a" + reference + b"b"))
    assert [i.title for i in items] == [title, "好"]
    assert [i.summary_html for i in items] == ["de", ""]
    assert json.loads(items[0].raw().content)["title"] == title  # the stored copy encodes


@pytest.mark.parametrize("declaration", [
    b'<?xml version="1.0" encoding="utf-8"?>', b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF8'?>",
    b'<?xml version="1.0"?>', b"",  # undeclared: XML's default, UTF-8
])
def test_invalid_utf8_in_a_utf8_feed_is_read_as_utf8_with_replacement_characters(declaration, caplog):
    items = read_feed(rss(b"\xe4\xb8\xad\xff\xe6\x96\x87", declaration))
    assert [i.title for i in items] == ["中\ufffd文", "好"]  # not the whole feed as windows-1252
    assert "1 invalid byte sequences" in caplog.text


def test_a_feed_declared_in_another_charset_is_read_in_it():
    document = ('<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>t</title>'
                "<item><title>中文</title><link>http://h/1</link></item></channel></rss>").encode("gbk")
    assert [i.title for i in read_feed(document)] == ["中文"]


def test_items_sharing_a_guid_but_not_a_link_both_count_the_same_item_once():
    items: dict[str, FeedItem] = {}
    first = FeedItem("one", "http://h/1", "g", None)
    for item in (first, FeedItem("two", "http://h/2", "g", None), FeedItem("one again", "http://h/1", "g", None),
                 FeedItem("two again", "http://h/2", "g", None)):
        add_distinct(items, item)
    assert [(i.title, i.guid) for i in items.values()] == [("one", "g"), ("two", None)]
    assert [i.key for i in items.values()] == ["g", "http://h/2"]
