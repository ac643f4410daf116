"""Archived posts -> Article JSON lines: what `newsmon parse` prints, one object per post."""

from __future__ import annotations

from newsmon.model import Article, ParseError

from . import outlet_of_post, parser_for
from .archive import read_post


def parse_archive_post(path: str, text: str) -> Article:
    post = read_post(path, text)
    return parser_for(outlet_of_post(post)).from_archive(post)


def parse_post(path: str, text: str) -> dict:
    """The JSON object for one post; a post that cannot be parsed gets an `error` instead of a body."""
    try:
        article = parse_archive_post(path, text)
    except (ParseError, ValueError) as error:
        return {"path": path, "error": f"{type(error).__name__}: {error}"}
    return {
        "path": path,
        "outlet": article.outlet,
        "url": article.url,
        "title": article.title,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "authors": article.authors,
        "paragraphs": article.paragraphs,
        "article_id": article.article_id,
        "parser": article.parser,
    }
