"""Plain-text documents: title from the first line, PDF line wraps undone, junk tails cut."""

from pathlib import Path

import pytest

from newsmon.model import ParseError
from newsmon.parsers.plaintext import parse_text_document

DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"


def test_aggregator_copy_of_a_statement_loses_its_headline_list_and_tip_line():
    article = parse_text_document((DOCUMENTS / "joint_statement_with_junk_tail.txt").read_text(), "documents")
    assert article.title == "声明全文如下:"
    assert article.paragraphs[0].startswith("中华人民共和国和俄罗斯联邦是朝鲜半岛的近邻")
    assert article.paragraphs[-1] == "王毅(签字) 拉夫罗夫(签字)"
    text = "".join(article.paragraphs)
    assert "最近更新" not in text and "报料热线" not in text and "2022-01-16" not in text
    assert (article.parser, article.url, article.language) == ("text.V1", "", "zh-Hans")


def test_security_council_note_from_pdf_is_rejoined_into_paragraphs():
    article = parse_text_document((DOCUMENTS / "un_security_council_note.txt").read_text(), "documents")
    assert article.title == "2020 年 5 月 5 日中国常驻联合国代表团给安全理事会主席的普通照会"
    assert article.published_raw == "2020 年 5 月 5 日"
    assert article.published_at.isoformat() == "2020-05-05T00:00:00+00:00"
    paragraphs = article.paragraphs
    assert paragraphs[0] == (
        "中华人民共和国常驻联合国代表团谨随函附上中方关于 S/2020/347 号文件所载安全理事会第 1540（2004）号决议"
        "所设委员会主席年度通报的发言（见附件）。"
    )
    assert "中国代表团关于安全理事会第 1540(2004)号决议所设委员会工作的发言" in paragraphs
    assert paragraphs.count("主席先生，") == 4
    assert paragraphs[-1] == "谢谢主席先生。"
    assert not any("undocs.org" in p for p in paragraphs)  # footnote URLs
    assert all(p.endswith(("。", "，", "：", "]", "发言", "附件")) for p in paragraphs), paragraphs


def test_empty_document_is_a_named_failure():
    with pytest.raises(ParseError) as failure:
        parse_text_document(" \n\n\x00\n", "documents")
    assert failure.value.reason == "empty"
