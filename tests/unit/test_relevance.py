"""UN relevance rules on small texts: bodies, look-alikes, documents, CVs and job titles, scripts, the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsmon.relevance.classify import at_least, classify, load_lexicon
from newsmon.relevance.text import paragraphs_of

ROOT = Path(__file__).resolve().parents[2]


def level(title: str, *paragraphs: str) -> str:
    return classify(title, list(paragraphs)).level


def test_a_un_body_in_the_title_is_core_and_in_the_body_a_mention():
    assert level("安理会就朝鲜问题举行紧急会议", "会议持续三小时。") == "core"
    paragraphs = "各方表示关切。", "此前联合国安理会曾通过多项制裁决议。", "局势仍然紧张。", "另一段。"
    assert level("朝鲜半岛局势", *paragraphs) == "mention"


@pytest.mark.parametrize("text", [
    "联合早报记者报道", "中俄发表联合声明", "两国举行联合军演", "联合国军在朝鲜战争中", "国际刑事法院发出逮捕令",
    "世界贸易组织裁定", "WTO ruling", "IMF and the World Bank", "北约秘书长斯托尔滕贝格说", "who knows what comes next",
    "中国银联大数据显示", "他呼吁联合国际社会", "台湾成立國家人權委員會",
])
def test_look_alikes_are_not_the_un(text):
    assert level("新闻", text) == "none", classify("新闻", [text]).evidence


def test_traditional_characters_and_english_names_count_the_same():
    assert level("聯合國安理會通過決議") == "core"
    assert classify("新闻", ["世界衛生組織（WHO）發布指引"]).bodies == ["WHO"]
    assert level("The Security Council votes on Syria") == "core"


def test_a_denial_and_a_cited_source_do_not_count():
    # issue 12's dev split: a body said not to be the UN's; a UN report in a closing list of sources
    assert level("市长联盟改列台湾", "该联盟虽然不是联合国之下的国际组织，却有影响。") == "none"
    sources = "[3] 联合国地域开发中心：2008 年四川大地震调查报告书，2009年3月，https://example.org/report.pdf"
    assert level("四川水库大坝", "一。", "二。", "三。", sources) == "none"
    with_a_link = "联合国难民署发表声明，呼吁各方保护平民 https://unhcr.org/x"
    assert level("难民", "一。", "二。", "三。", with_a_link) == "mention"
    assert level("新闻", "俄罗斯代表说，安理会不是橡皮图章。") != "none"  # a denial about something else
    assert level("新闻", "这并不是联合国第一次就此发出警告。") == "mention"
    in_the_text = "联合国地域开发中心的调查报告指出大坝受损。"
    assert level("四川水库大坝", "一。", "二。", "三。", "四。", in_the_text) == "mention"


def test_document_symbols_and_resolutions_name_their_body():
    found = classify("防扩散", ["中方关于 S/2020/347 号文件", "第1540(2004)号决议所设委员会", "A/RES/75/1"])
    assert found.bodies == ["Security Council", "General Assembly"]
    assert {e.match for e in found.evidence} >= {"S/2020/347", "第1540(2004)号决议", "A/RES/75/1"}


def test_a_cv_line_is_not_a_un_action_and_a_job_title_is_at_most_a_mention():
    assert level("专家访谈", "他曾任联合国开发计划署顾问，现为大学教授。") == "none"
    assert level("共和党大会", "前美国驻联合国大使黑利发表演讲。") == "none"
    assert level("美驻联大使不克来访", "行程取消。") == "mention"
    assert level("领事馆", "中国在纽约还有驻联合国办事处。") == "none"


def test_evidence_says_where_and_explain_reasons_say_why():
    found = classify("世卫：疫苗普遍接种至少等到明年", ["世卫组织首席科学家星期四表示，疫苗供应有限。"])
    assert found.level == "core" and found.reasons == ["a UN body is named in the title"]
    top = found.evidence[0]
    assert (top.paragraph, top.match, top.role) == (-1, "世卫", "title")
    assert found.to_json()["evidence"][1]["sentence"] == "世卫组织首席科学家星期四表示，疫苗供应有限。"
    assert at_least("core", "mention") and not at_least("mention", "core")


def test_html_is_read_through_the_extractor_so_link_lists_do_not_count():
    html = (
        "<p>本地新闻，与国际组织无关。</p>"
        "<ul><li><a href='/1'>联合国安理会通过决议</a></li><li><a href='/2'>世卫警告</a></li></ul>"
    )
    assert paragraphs_of(html) == ["本地新闻，与国际组织无关。"]
    assert classify("本地新闻", paragraphs_of(html)).level == "none"


def test_users_extend_the_lexicon_with_their_own_copy(tmp_path, use_settings):
    text = (ROOT / "relevance" / "un_lexicon.toml").read_text(encoding="utf-8")
    custom = tmp_path / "un_lexicon.toml"
    custom.write_text(text + '\n[[body]]\nname = "UNITAID"\nzh = ["国际药品采购机制"]\n', encoding="utf-8")
    use_settings(lexicon_path=custom)
    lexicon = load_lexicon()
    assert classify("国际药品采购机制资助新药", [], lexicon).bodies == ["UNITAID"]
    assert lexicon.fingerprint != load_lexicon(ROOT / "relevance" / "un_lexicon.toml").fingerprint


def test_classify_command_answers_json_lines_in_order():
    lines = [
        {"id": "a", "title": "安理会通过决议", "text": "安理会星期五通过第2231号决议。"},
        {"id": "b", "title": "本地天气", "text": "<p>明天有雨。</p>"},
        {"id": "c", "title": "Covid", "text": "Cases rose.\nThe WHO said masks help."},
    ]
    result = subprocess.run([sys.executable, "-m", "newsmon.cli", "classify"], cwd=ROOT, capture_output=True, text=True,
                            input="".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines) + "not json\n")
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["a", "b", "c", None]
    assert [a.get("level") for a in answers[:3]] == ["core", "none", "mention"]
    assert set(answers[0]) == {"id", "level", "score", "bodies", "evidence"}
    assert answers[0]["bodies"] == ["Security Council"]
    assert "line 4" in answers[3]["error"] and result.returncode == 1
