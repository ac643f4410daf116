"""`newsmon story` and the story in `newsmon show`, as a user runs them: a subprocess on the replay site's articles
(tests/replayed.py: every outlet polled once, and a story told by UN News, then zaobao, then voa in traditional
script)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from newsmon.reading import display_width
from newsmon.storage import engine as storage_engine
from newsmon.storage.connect import libpq_url
from tests.replayed import RETELLINGS, STORY_URL, Replayed, fill_with_replay

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = 100


def newsmon(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": "Asia/Shanghai", "COLUMNS": str(COLUMNS)}
    return subprocess.run([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)


@pytest.fixture(scope="module")
def replayed(database_url, tmp_path_factory) -> Replayed:
    return fill_with_replay(storage_engine.get_engine(database_url), tmp_path_factory.mktemp("replayed"))


@pytest.fixture
def connection(replayed, database_url):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as opened:
        yield opened


def ids_by_url(connection, urls: list[str]) -> list[int]:
    found = dict(connection.execute("SELECT url, id FROM articles WHERE url = ANY(%s)", [urls]).fetchall())
    return [found[url] for url in urls]


def test_story_lists_the_articles_first_teller_first(connection, replayed):
    told = ids_by_url(connection, [STORY_URL, *(url for _, url, *_ in RETELLINGS)])  # UN News, zaobao, voa
    for asked in told:  # any article of the story names the whole of it
        result = newsmon("story", str(asked), "--format", "json")
        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert [record["id"] for record in records] == told
        assert [record["outlet"] for record in records] == ["un_news", "zaobao", "voa"]
    assert records[2]["title"] == "世衛組織：全球麻疹病例連續第三年上升" and records[0]["un_level"] == "core"
    assert set(records[0]) == {"id", "published_at", "outlet", "outlet_name", "un_level", "title", "url"}

    table = newsmon("story", str(told[2]))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "TIME", "OUTLET", "UN", "TITLE"]
    assert [line.split()[0] for line in lines[1::2]] == [str(id) for id in told]
    assert [line.strip() for line in lines[2::2]] == [record["url"] for record in records]
    assert "联合国新闻" in lines[1] and "联合早报" in lines[3] and "世衛組織" in lines[5]
    assert all(display_width(line) <= COLUMNS for line in lines if not line.startswith(" " * 9))


def test_show_names_the_story_and_who_told_it_first(connection, replayed):
    first, zaobao, voa = ids_by_url(connection, [STORY_URL, *(url for _, url, *_ in RETELLINGS)])
    shown = newsmon("show", str(voa))
    assert shown.returncode == 0, shown.stderr
    story = shown.stdout.split("\nstory      ", 1)[1].split("\nevent      ", 1)[0].splitlines()
    assert "\nevent      not assigned yet (the maintenance gives articles their events" in shown.stdout
    assert story[0].startswith("first told by 联合国新闻")
    assert story[0].endswith(f"; 2 other articles (newsmon story {voa}):")
    assert [line.split("  ")[-2:] for line in story[1:]] == [
        [f"article {first}", "世卫组织：全球麻疹病例连续第三年上升"],
        [f"article {zaobao}", "世卫组织：全球麻疹病例连续三年上升"],
    ]
    shown_first = newsmon("show", str(first)).stdout
    assert f"\nstory      first told by this article; 2 other articles (newsmon story {first}):\n" in shown_first

    (alone,) = connection.execute("SELECT min(story_id) FROM articles GROUP BY story_id HAVING count(*) = 1"
                                  " ORDER BY 1 LIMIT 1").fetchone()
    assert "\nstory      told by this article alone so far\n" in newsmon("show", str(alone)).stdout


def test_story_refuses_an_unknown_article_and_one_without_a_story(connection, replayed):
    missing = newsmon("story", "999999")
    assert missing.returncode == 1 and missing.stdout == "" and "no article 999999" in missing.stderr
    storyless = connection.execute("SELECT id, story_id FROM articles WHERE id <> story_id ORDER BY id LIMIT 1")
    article_id, story_id = storyless.fetchone()
    connection.execute("UPDATE articles SET story_id = NULL WHERE id = %s", [article_id])
    try:
        unassigned = newsmon("story", str(article_id))
        shown = newsmon("show", str(article_id)).stdout
    finally:
        connection.execute("UPDATE articles SET story_id = %s WHERE id = %s", [story_id, article_id])
    assert unassigned.returncode == 1 and unassigned.stdout == ""
    assert unassigned.stderr.strip() == (f"newsmon story: the story of article {article_id} is not assigned yet (new "
                                         "articles get one when stored, older ones from the maintenance)")
    assert "\nstory      not assigned yet (" in shown
