"""Search on a real PostgreSQL: the archive sample imported (../shared/corpus/archive-sample), and small stored sets
for ranking, English phrases, the migration and `newsmon show`'s reading of one article."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from newsmon import imports
from newsmon.model import Article
from newsmon.reading import article_text
from newsmon.search_text import normalise
from newsmon.storage import engine as storage_engine
from newsmon.storage.articles import store_article
from newsmon.storage.connect import connect
from newsmon.storage.engine import alembic_config, session, upgrade
from newsmon.storage.relevance import save_relevance
from newsmon.storage.search import ArticleFilter, article_for_reading, search_articles
from tests.conftest import empty_tables

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "archive-sample"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared beside the checkout")
FETCHED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def store(engine, title: str, paragraphs: list[str], key: str, outlet: str = "bbc", published_at=None,
          fetched_at=FETCHED) -> int:
    article = Article(outlet=outlet, url=f"https://example.org/{outlet}/{key}", title=title, paragraphs=paragraphs,
                      published_at=published_at, parser=f"{outlet}.test", article_id=key)
    with session(engine) as s:
        return store_article(s, article, None, fetched_at, parser_version="1").id


def found(query: str, **filters) -> list[int]:
    with connect() as connection:
        return [hit.id for hit in search_articles(connection, query, ArticleFilter(**filters), limit=1000)]


def test_words_are_anded_english_is_any_case_and_quotes_make_a_phrase(db):
    council = store(db, "Security Council meets", ["The UN Security Council met on Friday."], "council")
    apart = store(db, "Council news", ["The council spoke of security."], "apart")
    chinese = store(db, "联合国大会开幕", ["大会在纽约开幕。"], "assembly", outlet="voa")
    store(db, "台湾选举", ["投票率创新高。"], "election")
    assert sorted(found("security council")) == [council, apart]
    assert found('"Security Council"') == [council]
    assert found("SECURITY council 联合国") == []
    assert found("联合国 开幕") == [chinese]
    assert found("联合国", outlet="bbc") == []
    assert found("u.n.") == []  # "UN" is one word, not u <2> n


def test_title_matches_rank_above_body_matches_and_recent_above_old(db):
    now = datetime.now(UTC)
    in_body = store(db, "加沙停火谈判", ["联合国秘书长古特雷斯呼吁停火。"], "body", published_at=now)
    in_title = store(db, "古特雷斯呼吁停火", ["秘书长发言。"], "title", published_at=now)
    old_title = store(db, "古特雷斯访问北京", ["秘书长访问。"], "old", published_at=now - timedelta(days=400))
    # a month's age halves a match's weight: a fresh body match beats a year-old title match
    assert found("古特雷斯") == [in_title, in_body, old_title]
    ten_days = store(db, "古特雷斯呼吁和平", ["秘书长发言。"], "ten_days", published_at=now - timedelta(days=10))
    assert found("古特雷斯") == [in_title, ten_days, in_body, old_title]


def test_filters_by_time_outlet_un_level_and_body(db):
    early = store(db, "安理会开会", ["安理会讨论局势。"], "early", published_at=datetime(2026, 10, 1, tzinfo=UTC))
    late = store(db, "安理会表决", ["安理会表决决议。"], "late", outlet="voa",
                 published_at=datetime(2026, 11, 20, tzinfo=UTC))
    undated = store(db, "安理会声明", ["安理会发表声明。"], "undated", fetched_at=datetime(2026, 11, 5, tzinfo=UTC))
    with session(db) as s:
        save_relevance(s, early, {"level": "core", "score": 3.0, "bodies": ["Security Council"], "evidence": []},
                       "test", FETCHED)
        save_relevance(s, late, {"level": "mention", "score": 1.0, "bodies": ["WHO"], "evidence": []}, "test", FETCHED)
    november = datetime(2026, 11, 1, tzinfo=UTC)
    assert sorted(found("安理会", since=november)) == [late, undated]  # an undated article counts when fetched
    assert found("安理会", until=november) == [early]
    assert found("安理会", outlet="voa") == [late]
    assert found("安理会", un="core") == [early]
    assert sorted(found("安理会", un="mention")) == [early, late]  # at least a mention
    assert found("安理会", body="security council") == [early]


def test_migration_indexes_the_articles_stored_before_it(db, database_url):
    from alembic import command

    store(db, "unused", ["unused"], "before")  # the schema at head, then taken back to before 0008
    with db.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
        connection.execute(sa.text(
            "INSERT INTO articles (outlet, dedup_key, url, title, paragraphs, body, fetched_at, updated_at, language,"
            " content_hash, parser, parser_version) VALUES ('cna', 'k', 'https://cna/1', '聯合國秘書長', '[]',"
            " '古特雷斯表示關切。', now(), now(), 'zh-Hant', 'h', 'cna.test', '1')"
        ))
    upgrade(db)
    assert len(found("联合国 古特雷斯")) == 1 and len(found("unused")) == 1


def import_sample(database_url) -> dict[int, str]:
    """The archive sample imported into an emptied database: id -> normalised title and body of every article."""
    engine = storage_engine.get_engine(database_url)
    empty_tables(engine)
    report = imports.import_archives([str(SAMPLE)], engine=engine, workers=2)
    assert report.accounted and report.new > 100
    with engine.connect() as connection:
        return {id: normalise(title + "\n" + body)
                for id, title, body in connection.execute(sa.text("SELECT id, title, body FROM articles"))}


@pytest.fixture(scope="module")
def imported_sample(database_url) -> dict[int, str]:
    return import_sample(database_url)


@pytest.fixture
def sample(imported_sample, database_url) -> dict[int, str]:
    """The imported sample, imported again if a test since emptied the tables (the db fixture does)."""
    with connect() as connection:
        stored = {id for (id,) in connection.execute("SELECT id FROM articles")}
    if stored != set(imported_sample):
        imported_sample.clear()
        imported_sample.update(import_sample(database_url))
    return imported_sample


@needs_sample
def test_traditional_and_simplified_queries_find_the_same_articles(sample):
    assert found("聯合國") == found("联合国")
    assert len(found("联合国")) >= 10
    assert found("武漢肺炎") == found("武汉肺炎")
    with connect() as connection:  # written both ways in the sample: a substring search finds either half
        simplified = connection.execute("SELECT count(*) FROM articles WHERE body LIKE '%武汉肺炎%'").fetchone()[0]
        traditional = connection.execute("SELECT count(*) FROM articles WHERE body LIKE '%武漢肺炎%'").fetchone()[0]
    assert simplified and traditional and len(found("武汉肺炎")) == simplified + traditional


@needs_sample
@pytest.mark.parametrize("query", ["联合国", "安理会", "世卫组织", "古特雷斯", "拜登", "武汉肺炎", "香港"])
def test_a_chinese_word_finds_exactly_the_articles_that_contain_it(sample, query):
    expected = {id for id, text in sample.items() if query in text}
    assert expected and set(found(query)) == expected


@needs_sample
def test_two_words_find_the_articles_with_both(sample):
    expected = {id for id, text in sample.items() if "联合国" in text and "安理会" in text}
    assert expected and set(found("联合国 安理会")) == expected
    expected = {id for id, text in sample.items() if "世卫组织" in text and "谭德塞" in text}
    assert expected and set(found("世卫组织 譚德塞")) == expected


@needs_sample
def test_the_security_council_by_its_un_body_and_the_snippet_in_the_original_script(sample):
    with connect() as connection:
        named = {id for (id,) in connection.execute(
            "SELECT article_id FROM article_relevance WHERE bodies ? 'Security Council'")}
        assert named and set(found("安理会", body="Security Council")) == named
        assert set(found('"Security Council"')) == {id for id, text in sample.items() if "security council" in text}
        hits = search_articles(connection, "武汉肺炎")
        assert {"[武汉肺炎]", "[武漢肺炎]"} <= {hit.snippet[hit.snippet.index("["):][:6] for hit in hits}
        assert all(hit.outlet_name != hit.outlet for hit in hits)  # the sources table's name


@needs_sample
def test_the_search_index_serves_a_two_character_query(sample):
    with connect() as connection:
        connection.execute("SET enable_seqscan = off")  # a 150-row table would be scanned anyway
        plan = "\n".join(row[0] for row in connection.execute(
            "EXPLAIN SELECT id FROM articles WHERE search_vector @@ '拜登'::tsquery"))
    assert "ix_articles_search" in plan


@needs_sample
def test_an_article_for_reading_has_its_outlet_relevance_and_revisions(sample):
    with connect() as connection:
        article_id = found("安理会", un="core")[0]
        article = article_for_reading(connection, article_id)
        assert article is not None and article_for_reading(connection, -1) is None
    assert article["un_level"] == "core" and "Security Council" in article["un_bodies"]
    assert article["un_evidence"] and article["paragraphs"] and article["outlet_name"]
    assert article["revisions"] == []
    lines = article_text(article).splitlines()
    for evidence in article["un_evidence"]:  # one line per sentence, naming every body it names
        holding = [line for line in lines if line.endswith(": " + evidence["sentence"])]
        assert len(holding) == 1 and f" {evidence['body']}" in holding[0].split(": ")[0]


def test_an_edited_article_reads_with_its_revisions_and_finds_by_its_new_text_only(db):
    article_id = store(db, "安理会开会", ["安理会讨论加沙局势。"], "edited")
    assert store(db, "安理会表决", ["安理会表决停火决议。"], "edited", fetched_at=FETCHED + timedelta(hours=2)) \
        == article_id
    assert found("表决") == [article_id] and found("加沙") == []  # the index follows the current text
    with connect() as connection:
        article = article_for_reading(connection, article_id)
    assert article is not None and [revision["title"] for revision in article["revisions"]] == ["安理会开会"]
    text = article_text(article)
    assert text.startswith("安理会表决\n") and "revisions  1: earlier texts replaced " in text
    assert "UN         not scored yet" in text and text.rstrip().endswith("安理会表决停火决议。")


def test_an_outlet_is_named_by_its_key_in_any_case_and_an_unknown_one_is_refused(db, capsys):
    from newsmon.cli import main
    from newsmon.storage.feeds import ensure_source

    mine = store(db, "联合国开会", ["联合国开会。"], "mine", outlet="MyNews")  # newsmon import --outlet MyNews
    with session(db) as s:
        ensure_source(s, "MyNews", "My News", "generic", "UTC")
    for given in ("MyNews", "mynews", "MYNEWS"):
        assert main(["search", "联合国", "--outlet", given, "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == mine
    assert main(["failures", "list", "--outlet", "mynews"]) == 0 and capsys.readouterr().out == "no failures\n"
    for command in (["search", "联合国"], ["export"], ["failures", "list"]):
        assert main([*command, "--outlet", "My News"]) == 2
        error = capsys.readouterr().err
        named = "failures list" if command[0] == "failures" else command[0]
        assert error == f"newsmon {named}: no outlet 'My News' in this database; its outlets: MyNews\n"
