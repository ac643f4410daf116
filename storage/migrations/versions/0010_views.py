"""SQL for users: the views v_articles, v_un_items, v_stories and v_source_health, every column of them commented,
and comments on the columns of the tables users query (articles, article_relevance, feeds, sources, alert_outbox),
so that psql's \\d+ explains them. docs/queries.md answers questions with them; `newsmon export` writes v_articles.

The views only read: they are expanded into each query that names them, and add nothing to what storing costs.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_DATED = "published_at, else fetched_at when the outlet gives no date: the time search's --since and --until filter"

# name -> (definition, what a row is, column -> comment); the columns in their order in the view
VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "v_articles": (
        """
        SELECT a.id, a.outlet, coalesce(s.name, a.outlet) AS outlet_name, a.title, a.url,
               a.published_at, a.fetched_at, a.updated_at, coalesce(a.published_at, a.fetched_at) AS dated_at,
               a.language, ARRAY(SELECT jsonb_array_elements_text(a.authors)) AS authors,
               r.level AS un_level, r.score AS un_score,
               ARRAY(SELECT jsonb_array_elements_text(r.bodies)) AS un_bodies,
               a.story_id, a.revision_count, a.body
        FROM articles AS a
        LEFT JOIN sources AS s ON s.outlet = a.outlet
        LEFT JOIN article_relevance AS r ON r.article_id = a.id
        """,
        "One row per stored article: its current text, outlet, times, UN relevance and story. `newsmon export` writes"
        " these columns.",
        {
            "id": "The article's id (newsmon show ID, newsmon search lists it).",
            "outlet": "The outlet's key, as in sources.toml: bbc, voa, zaobao, un_news, ...",
            "outlet_name": "The outlet's name (sources.name); its key when the outlet is not registered.",
            "title": "The current title.",
            "url": "The canonical URL (tracking parameters stripped).",
            "published_at": "When the outlet says it published the article (UTC); NULL when it gives no date.",
            "fetched_at": "When newsmon first stored the article.",
            "updated_at": "When the current text was fetched: fetched_at unless the article was revised.",
            "dated_at": f"The article's date: {_DATED}.",
            "language": "zh-Hans (simplified script) or zh-Hant (traditional), by the text's script.",
            "authors": "The bylines, as the outlet gives them; empty when none.",
            "un_level": "How the article concerns the United Nations: core, mention or none; NULL until scored.",
            "un_score": "The UN relevance score behind un_level (higher: more central); NULL until scored.",
            "un_bodies": "The UN bodies the article names (Security Council, WHO, ...); empty when none or not scored.",
            "story_id": "The story the article tells (v_stories): the id of the story's first stored article; NULL"
                        " until assigned.",
            "revision_count": "How many times the text changed after it was first stored (article_revisions keeps"
                              " the earlier texts).",
            "body": "The current text: paragraphs separated by a blank line.",
        },
    ),
    "v_un_items": (
        """
        SELECT v.id, v.outlet, v.outlet_name, v.title, v.url, v.published_at, v.fetched_at, v.dated_at,
               v.un_level, v.un_score, v.un_bodies, r.evidence AS un_evidence, r.model AS un_model,
               r.scored_at AS un_scored_at, v.story_id
        FROM v_articles AS v
        JOIN article_relevance AS r ON r.article_id = v.id
        WHERE v.un_level IN ('core', 'mention')
        """,
        "The UN-related articles (relevance core or mention), with the evidence for their level. Columns named as in"
        " v_articles mean the same.",
        {
            "id": "The article's id (v_articles.id).",
            "outlet": "The outlet's key.",
            "outlet_name": "The outlet's name; its key when the outlet is not registered.",
            "title": "The current title.",
            "url": "The canonical URL.",
            "published_at": "When the outlet says it published the article (UTC); NULL when it gives no date.",
            "fetched_at": "When newsmon first stored the article.",
            "dated_at": f"The article's date: {_DATED}.",
            "un_level": "core (the UN is what the article is about) or mention (named in passing).",
            "un_score": "The UN relevance score behind un_level.",
            "un_bodies": "The UN bodies the article names.",
            "un_evidence": "Why: a JSON array of {body, match, paragraph (-1: the title), sentence, role}, the"
                           " strongest namings of UN bodies first, at most five (newsmon un explain ID says more).",
            "un_model": "The fingerprint of the UN lexicon that scored the article (newsmon un rescore redoes older"
                        " ones).",
            "un_scored_at": "When the article was scored.",
            "story_id": "The story the article tells (v_stories); NULL until assigned.",
        },
    ),
    "v_stories": (
        """
        WITH told AS (
            SELECT v.story_id, v.id, v.outlet, v.title, v.dated_at, v.un_level,
                   row_number() OVER (PARTITION BY v.story_id ORDER BY v.dated_at, v.id) AS place,
                   row_number() OVER (PARTITION BY v.story_id, v.outlet ORDER BY v.dated_at, v.id) AS outlet_place
            FROM v_articles AS v
            WHERE v.story_id IS NOT NULL
        )
        SELECT story_id, count(*) AS articles, count(*) FILTER (WHERE outlet_place = 1) AS outlets,
               array_agg(outlet ORDER BY place) FILTER (WHERE outlet_place = 1) AS outlet_list,
               min(id) FILTER (WHERE place = 1) AS first_article_id,
               min(outlet) FILTER (WHERE place = 1) AS first_outlet,
               min(dated_at) AS first_published_at, max(dated_at) AS last_published_at,
               min(title) FILTER (WHERE place = 1) AS title,
               CASE max(CASE un_level WHEN 'core' THEN 2 WHEN 'mention' THEN 1 WHEN 'none' THEN 0 END)
                   WHEN 2 THEN 'core' WHEN 1 THEN 'mention' WHEN 0 THEN 'none' END AS un_level
        FROM told
        GROUP BY story_id
        """,
        "One row per story: the articles of every outlet that told the same news (articles.story_id), the first"
        " teller first. The first teller is the earliest by dated_at, the lower id on a tie. A story of one article"
        " has a row too: outlets > 1 picks the ones several outlets carried.",
        {
            "story_id": "The story's id: the id of its first stored article (v_articles.story_id).",
            "articles": "How many articles tell it.",
            "outlets": "How many outlets told it.",
            "outlet_list": "The outlets' keys in the order they first told it, the first teller first.",
            "first_article_id": "The first teller's article.",
            "first_outlet": "The first teller's outlet key.",
            "first_published_at": "When it was first told: the first teller's dated_at (published_at, else"
                                  " fetched_at).",
            "last_published_at": "When it was last told: the latest dated_at of its articles.",
            "title": "The first teller's title.",
            "un_level": "The highest UN relevance of its articles: core, mention or none; NULL when none is scored.",
        },
    ),
    "v_source_health": (
        """
        SELECT f.id AS feed_id, f.outlet, coalesce(s.name, f.outlet) AS outlet_name, f.url, f.last_status,
               f.last_fetched_at, f.last_success_at, f.consecutive_errors, f.last_error, f.next_poll_at,
               f.items_seen_total,
               (SELECT count(*) FROM articles AS a WHERE a.outlet = f.outlet
                  AND a.published_at > now() - interval '24 hours' AND a.published_at <= now())
                   AS outlet_articles_24h,
               (SELECT count(*) FROM articles AS a WHERE a.outlet = f.outlet
                  AND a.published_at > now() - interval '7 days' AND a.published_at <= now())
                   AS outlet_articles_7d,
               (SELECT max(a.published_at) FROM articles AS a WHERE a.outlet = f.outlet AND a.published_at <= now())
                   AS outlet_last_published_at,
               (SELECT count(*) FROM item_failures AS i WHERE i.outlet = f.outlet
                  AND i.resolved_at IS NULL AND i.dismissed_at IS NULL) AS outlet_open_failures,
               (SELECT count(*) FROM item_failures AS i WHERE i.outlet = f.outlet
                  AND i.resolved_at IS NULL AND i.dismissed_at IS NULL AND i.given_up_at IS NOT NULL)
                   AS outlet_given_up_failures
        FROM feeds AS f
        LEFT JOIN sources AS s ON s.outlet = f.outlet
        """,
        "One row per feed: how its polling goes (the feeds table's health counters) and what its outlet brings in."
        " The outlet_ columns count the whole outlet, every feed of it together: an article is not tied to the feed"
        " that listed it. Counts are by publication date, the outlet's index answers them.",
        {
            "feed_id": "The feed's id (feeds.id).",
            "outlet": "The outlet's key.",
            "outlet_name": "The outlet's name; its key when the outlet is not registered.",
            "url": "The feed's URL.",
            "last_status": "The HTTP status of the last fetch; NULL when it got no answer (a timeout, a refused"
                           " connection).",
            "last_fetched_at": "When the feed was last fetched.",
            "last_success_at": "When the feed was last fetched and read without an error; NULL: never.",
            "consecutive_errors": "Failed fetches since the last success: 0 is healthy.",
            "last_error": "What the last failed fetch said; NULL once the feed succeeds again.",
            "next_poll_at": "A failing feed is not polled before this time (its back-off); NULL: at the next run.",
            "items_seen_total": "Items the feed has listed, over all its fetches.",
            "outlet_articles_24h": "The outlet's articles published in the last 24 hours.",
            "outlet_articles_7d": "The outlet's articles published in the last 7 days.",
            "outlet_last_published_at": "The outlet's newest publication date (future dates left out).",
            "outlet_open_failures": "The outlet's items that failed and are not resolved or dismissed (newsmon failures"
                                    " list shows them), given up ones included.",
            "outlet_given_up_failures": "Of those, the ones given up: no longer retried.",
        },
    ),
}

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "sources": {
        "outlet": "The outlet's key, as in sources.toml: bbc, voa, zaobao, un_news, ...",
        "name": "The outlet's name.",
        "parser": "The parser its pages and items go through (newsmon/parsers).",
        "time_zone": "The outlet's time zone (IANA name): its dates without a zone are read in it.",
        "updated_at": "When the row last changed.",
    },
    "feeds": {
        "id": "The feed's id.",
        "outlet": "The outlet's key (sources.outlet).",
        "url": "The feed's URL.",
        "etag": "The ETag of the last stored answer, sent back as If-None-Match.",
        "last_modified": "The Last-Modified header of the last stored answer, verbatim, sent back as"
                         " If-Modified-Since.",
        "last_status": "The HTTP status of the last fetch; NULL when it got no answer.",
        "last_fetched_at": "When the feed was last fetched.",
        "last_success_at": "When the feed was last fetched and read without an error; NULL: never.",
        "consecutive_errors": "Failed fetches since the last success: 0 is healthy.",
        "last_error": "What the last failed fetch said; NULL once the feed succeeds again.",
        "items_seen_total": "Items the feed has listed, over all its fetches.",
        "next_poll_at": "A failing feed is not polled before this time (its back-off); NULL: at the next run.",
    },
    "articles": {
        "id": "The article's id.",
        "outlet": "The outlet's key (sources.outlet).",
        "outlet_article_id": "The outlet's own id of the article, when it has one.",
        "dedup_key": "What makes the article one row per outlet: its outlet id, else its URL, guid or text hash.",
        "url": "The canonical URL (tracking parameters stripped).",
        "guid": "The feed item's guid, when it has one.",
        "title": "The current title.",
        "paragraphs": "The current text as a JSON array of paragraphs.",
        "body": "The current text: paragraphs separated by a blank line.",
        "summary": "The outlet's summary or teaser, when it gives one.",
        "authors": "The bylines as a JSON array; empty when none.",
        "images": "The images as a JSON array of {url, caption}.",
        "published_at": "When the outlet says it published the article (UTC); NULL when it gives no date.",
        "published_raw": "The publication date exactly as the outlet wrote it.",
        "fetched_at": "When newsmon first stored the article.",
        "updated_at": "When the current text was fetched: fetched_at unless the article was revised.",
        "language": "zh-Hans (simplified script) or zh-Hant (traditional), by the text's script.",
        "content_hash": "A hash of the title and paragraphs: a changed hash is a revision.",
        "parser": "The parser that made the current text, with its version of the page layout.",
        "parser_version": "The version of newsmon's parsers that made it (newsmon maintenance re-parses older ones).",
        "revision_count": "How many times the text changed after it was first stored.",
        "search_vector": "Title (weight A) and body (weight B) as newsmon search's tokens: simplified script, lower"
                         " case, Han text as overlapping character pairs (联合国: 联合 合国), other words whole.",
        "story_id": "The story the article tells: the id of the story's first stored article; NULL until assigned.",
    },
    "article_relevance": {
        "article_id": "The article (articles.id).",
        "level": "How the article concerns the United Nations: core, mention or none.",
        "score": "The score behind the level (higher: more central).",
        "bodies": "The UN bodies the article names, as a JSON array.",
        "evidence": "Why: a JSON array of {body, match, paragraph (-1: the title), sentence, role}, at most five.",
        "model": "The fingerprint of the UN lexicon that scored it (newsmon un rescore redoes older ones).",
        "scored_at": "When it was scored.",
    },
    "alert_outbox": {
        "id": "The alert's id, which its messages carry (newsmon-alert-ID).",
        "article_id": "The article alerted about (articles.id).",
        "channel": "The alert channel's name, from sources.toml's [alerts].",
        "level": "The article's UN level when the alert was made: core or mention.",
        "created_at": "When the alert was made, with the article.",
        "attempts": "Sending attempts so far.",
        "last_error": "What the last failed attempt said; NULL when none failed.",
        "last_attempt_at": "When it was last tried.",
        "sending_since": "An attempt began then and its outcome is not recorded yet.",
        "story_id": "The story alerted about: one alert per story and channel; NULL when the article had no story"
                    " yet.",
        "sent_at": "When the channel accepted it; NULL: not sent yet.",
    },
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    for view, (definition, comment, columns) in VIEWS.items():
        op.execute(f"CREATE VIEW {view} AS {definition.strip()}")
        op.execute(f"COMMENT ON VIEW {view} IS {_literal(comment)}")
        for column, column_comment in columns.items():
            op.execute(f"COMMENT ON COLUMN {view}.{column} IS {_literal(column_comment)}")
    for table, columns in TABLE_COLUMNS.items():
        for column, column_comment in columns.items():
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS {_literal(column_comment)}")


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW {view}")
    for table, columns in TABLE_COLUMNS.items():
        for column in columns:
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS NULL")
