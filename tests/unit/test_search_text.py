"""newsmon.search_text: one normaliser for what is indexed and what is asked; and what newsmon.reading prints."""

from datetime import UTC, datetime

import pytest

from newsmon.reading import display_width, fit, local_time, moment, readable_url, status_lines
from newsmon.search_text import MAX_POSITION, QueryError, normalise, parse_query, search_vector, snippet, tokens
from newsmon.storage.search import OutletSummary
from tests.modules import MIGRATIONS, load_module


def test_normalise_folds_traditional_full_width_and_case():
    assert normalise("聯合國安理會") == "联合国安理会"
    assert normalise("武漢肺炎") == normalise("武汉肺炎")
    assert normalise("ＵＮ Security Council ２０２６") == "un security council 2026"


def test_han_runs_become_overlapping_pairs_and_words_stay_whole():
    assert list(tokens("联合国")) == [("联合", 1), ("合国", 2)]
    assert list(tokens("国")) == [("国", 1)]  # a lone character stays itself
    assert list(tokens("who谈2026年")) == [("who", 1), ("谈", 2), ("2026", 3), ("年", 4)]
    assert list(tokens("security council")) == [("security", 1), ("council", 2)]


def test_punctuation_and_line_breaks_leave_a_gap_so_no_phrase_spans_them():
    assert list(tokens("联合，国家")) == [("联合", 1), ("国家", 3)]
    assert list(tokens("联合\n\n国家")) == [("联合", 1), ("国家", 3)]
    assert list(tokens("联合 国家")) == [("联合", 1), ("国家", 2)]  # a space is no break


def test_positions_stop_at_postgresql_limit_and_overlong_words_are_skipped():
    assert max(position for _, position in tokens("字" * 20_000)) == MAX_POSITION
    assert list(tokens("a" * 101 + " b")) == [("b", 2)]


def test_search_vector_weights_the_title_a_and_the_body_b_with_a_gap_between():
    assert search_vector("聯合國", "安理会开会") == "联合:1A 合国:2A 安理:4B 理会:5B 会开:6B 开会:7B"
    assert search_vector("", "") == ""


def test_the_migration_indexes_stored_rows_as_new_rows_are_indexed():
    migration = load_module(MIGRATIONS / "0008_search_vector.py", "migration_0008")
    texts = [("聯合國安理會", "古特雷斯：WHO\n\n世卫组织 2026年"), ("", "ｆｕｌｌ－ｗｉｄｔｈ ﬁne"),
             ("x" * 101, "字" * 17_000)]
    for title, body in texts:
        assert migration.search_vector(title, body) == search_vector(title, body)


def test_queries_are_phrases_of_their_tokens_anded():
    assert parse_query("聯合國").tsquery == parse_query("联合国").tsquery == "('联合' <1> '合国')"
    assert parse_query("联合国 安理会").tsquery == "('联合' <1> '合国') & ('安理' <1> '理会')"
    assert parse_query('"Security Council"').tsquery == "('security' <1> 'council')"
    assert parse_query("Security Council").tsquery == "'security' & 'council'"  # unquoted: two words
    assert parse_query("“安理会 开会”").phrases == ("安理会 开会",)  # Chinese quotation marks quote too
    assert parse_query("U.N.").tsquery == "('u' <2> 'n')"  # the gap the full stop leaves in the text
    assert parse_query("国").tsquery == "'国':*"  # one character: the pairs it starts, or itself alone
    assert parse_query("WHO").tsquery == "'who'"


def test_the_index_is_asked_for_every_token_once_without_phrases():
    query = parse_query('联合国 合国 "Security Council" 国')
    assert query.candidates == "'联合' & '合国' & 'security' & 'council' & '国':*"


@pytest.mark.parametrize("query", ["", "  ", "!!", "“”", "%"])
def test_a_query_without_letters_or_digits_is_refused(query):
    with pytest.raises(QueryError, match="nothing to search for"):
        parse_query(query)


def test_snippet_marks_the_original_text_of_a_normalised_match():
    body = "前言。聯合國安理會周一開會，討論局勢。"
    assert snippet(body, ("联合国",), width=10) == "前言。[聯合國]安理會周…"
    assert snippet(body, ("讨论",), width=6).startswith("…") and "[討論]" in snippet(body, ("讨论",), width=6)


def test_snippet_maps_back_across_characters_whose_normal_form_is_longer():
    body = "㍻二年，联合国成立"  # NFKC turns ㍻ into two characters (平成)
    assert normalise("㍻") == "平成"
    assert snippet(body, ("联合国",)) == "㍻二年，[联合国]成立"
    assert snippet(body, ("平成",)) == "[㍻]二年，联合国成立"


def test_snippet_without_a_match_as_written_is_the_start_of_the_body():
    assert snippet("安理会\n\n开会" * 50, ("安理会开会",), width=8) == "安理会 开会安理…"


def test_table_cells_fit_chinese_by_terminal_columns():
    assert display_width("联合国UN") == 8
    assert fit("联合国安理会", 7) == "联合国…"
    assert fit("联合国安理会", 8) == "联合国… "  # a wide character does not fit in the last column: a space does
    assert fit("UN", 4) == "UN  "


def test_since_and_until_take_an_age_or_a_date():
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    assert moment("7d", now) == datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert moment("12h", now) == datetime(2026, 11, 10, 0, tzinfo=UTC)
    assert moment("2w", now) == datetime(2026, 10, 27, 12, tzinfo=UTC)
    assert moment("2026-11-01T08:00+08:00") == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert moment("2026-11-01").tzinfo is not None  # the user's zone
    with pytest.raises(ValueError, match="give an age"):
        moment("last week")


def test_the_fast_nfkc_equals_unicodedata_on_every_kind_of_compatibility_character():
    import unicodedata

    from newsmon.model import nfkc

    samples = ["联合国，ＵＮ　安理会……", "ﬁle ①②", "Ａ\u0301", "㍿ ｶﾀｶﾅ", "plain ascii", "", "\u3000\uff01\uff5e"]
    samples.append("".join(chr(code) for code in range(0x2000, 0x3100)))
    for text in samples:
        assert nfkc(text) == unicodedata.normalize("NFKC", text), text


def test_status_is_a_table_of_outlets_with_a_total_then_the_feeds_with_their_state():
    when = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    outlets = [OutletSummary("bbc", "BBC News 中文", 1_898, when, 30, 214, 0, 0),
               OutletSummary("bitterwinter", "寒冬 Bitter Winter", 224, None, 1, 12, 2, 1)]
    feeds = [{"outlet": "bbc", "url": "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml", "consecutive_errors": 2,
              "last_error": "HTTP 500", "next_poll_at": when, "last_success_at": None}]
    wide = list(status_lines(outlets, feeds, 120))
    assert wide[0].split() == ["OUTLET", "ARTICLES", "NEWEST", "UN", "CORE", "MENTION", "FAILED", "GIVEN", "UP",
                               "NAME"]
    shown = local_time(when)  # in the user's zone
    assert wide[1].split() == ["bbc", "1,898", *shown.split(), "30", "214", "0", "0", "BBC", "News", "中文"]
    assert wide[2].split()[:3] == ["bitterwinter", "224", "-"]
    assert wide[3].split() == ["total", "2,122", "2", "outlets", "31", "226", "2", "1"]
    assert wide[5:] == ["FEED  LAST SUCCESS      STATE, URL",
                        f"bbc   never             2 errors: HTTP 500; next poll {shown}",
                        "                        https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"]
    names = zip(wide, ("NAME", "BBC", "寒冬"), strict=False)
    columns_before = {display_width(line[:line.index(name)]) for line, name in names}
    assert len(columns_before) == 1  # the names line up
    narrow = list(status_lines([*outlets, OutletSummary("美国之音", "美国之音", 5, when, 0, 0, 0, 0)], [], 80))
    assert "NAME" not in narrow[0] and len(narrow) == 5
    assert len({display_width(line) for line in narrow}) == 1  # every column in line, a Chinese key included


def test_status_without_articles_says_how_to_get_some():
    assert list(status_lines([], [], 80)) == [
        "no articles yet: newsmon run polls the outlets, newsmon import takes in archives"]


def test_urls_are_shown_with_their_chinese_decoded_and_reserved_characters_kept_encoded():
    dw = ("https://www.dw.com/zh/%E8%81%94%E5%90%88%E5%9B%BD%E5%AE%89%E7%90%86%E4%BC%9A%E2%80%9C%E6%96%B0%E5%86%A0"
          "%E2%80%9C/a-54024527")
    assert readable_url(dw) == "https://www.dw.com/zh/联合国安理会%E2%80%9C新冠%E2%80%9C/a-54024527"  # “ kept
    assert readable_url("https://x.org/%EF%BC%8F%E3%85%A4%e4%b8%ad") == "https://x.org/%EF%BC%8F%E3%85%A4中"  # ／, ㅤ
    assert readable_url("https://x.org/a%2Fb%20c%3F?q=%E4%B8%AD") == "https://x.org/a%2Fb%20c%3F?q=中"
    assert readable_url("https://x.org/%E3%80%80%FF%E4") == "https://x.org/%E3%80%80%FF%E4"  # U+3000, not UTF-8
    assert readable_url("https://x.org/%e4%b8%ad%E4%B8") == "https://x.org/%e4%b8%ad%E4%B8"  # a cut sequence: kept
