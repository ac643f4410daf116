"""Search text: what an article is indexed as and what a query asks for, made by one normaliser so both agree.

Text is normalised to simplified Chinese (OpenCC t2s), compatibility forms folded (NFKC: full-width Latin and
digits), Latin lower-cased. Tokens: a run of Han characters becomes its overlapping character pairs (联合国 ->
联合 合国; a lone character stays itself), any other run of letters or digits is one word. Each token has a
position; a phrase is consecutive positions, and punctuation or a line break leaves a gap, so a phrase never spans
them. An article is stored as a PostgreSQL tsvector literal (title weighted A, body B) with a GIN index on it; a
query becomes a tsquery of phrases ANDed (联合国 安理会 -> 联合 <-> 合国 & 安理 <-> 理会).

A one-character Chinese query is a prefix match on the pairs (联:*): it finds the character where it starts a pair
or stands alone, not where it ends a run of Han characters (the 国 of 联合国). Positions stop at PostgreSQL's
limit, 16,383: text beyond that is not indexed (news articles are far shorter)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from operator import add

import opencc

from newsmon.model import nfkc

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# a run of Han characters | a run of other letters or digits | what breaks a phrase (not spaces or tabs)
_PIECE = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)|[^\\w \t]+|_+")
_ONE_HAN = re.compile(f"[{_HAN}]")
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')
_QUERY_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"'})
MAX_POSITION = 16_383  # PostgreSQL's largest tsvector position
LONGEST_WORD = 100  # a longer run of letters is not a word (base64, a URL's hash): skipped, its position kept
TITLE_GAP = 2  # the body's first position is past the title's last by this, so no phrase joins them

_T2S = opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Simplified script, compatibility forms folded, lower case: 聯合國ＵＮ -> 联合国un."""
    return _T2S.convert(nfkc(text)).lower()


@lru_cache(maxsize=4096)
def _normalised_character(character: str) -> str:
    return normalise(character)


def tokens(normalised: str, start: int = 1) -> list[tuple[str, int]]:
    """(token, position) of normalised text from position start; a separator other than spaces and tabs (punctuation,
    a line break) leaves a one-position gap."""
    found: list[tuple[str, int]] = []
    for han, word, position in _pieces(normalised, start):
        if han:
            found.extend(zip(map(add, han, han[1:]), range(position, position + len(han) - 1), strict=False))
        else:
            found.append((word, position))
    return found


def _pieces(normalised: str, start: int) -> Iterator[tuple[str, str, int]]:
    """(han, "", position) for a run of two or more Han characters, whose pairs take the positions from position on,
    and ("", word, position) for any other token (a lone Han character, a run of letters or digits); cut so that no
    position passes MAX_POSITION."""
    position, broken = start, False
    for han, word in _PIECE.findall(normalised):
        if not (han or word):
            broken = True
            continue
        if broken:
            position += 1
            broken = False
        if position > MAX_POSITION:
            return
        if len(han) > 1:
            yield han[:MAX_POSITION - position + 2], "", position
            position += len(han) - 1
        else:
            if len(han or word) <= LONGEST_WORD:
                yield "", han or word, position
            position += 1


# ":{position}{weight}" for every position, made once: an article's tsvector literal is its tokens joined to these
_SUFFIXES = {weight: [f":{position}{weight}" for position in range(MAX_POSITION + 1)] for weight in "AB"}


def _entries(normalised: str, start: int, weight: str, out: list[str]) -> int:
    """Append the tsvector entries (token:positionWEIGHT) of normalised text to out; return the last token's position
    (start - 1 if none). String concatenation in C over the pieces: the search vector is made for every article."""
    suffixes, last = _SUFFIXES[weight], start - 1
    for han, word, position in _pieces(normalised, start):
        if han:
            last = position + len(han) - 2
            out.extend(map(add, map(add, han, han[1:]), suffixes[position:last + 1]))
        else:
            out.append(word + suffixes[position])
            last = position
    return last


def search_vector(title: str, body: str) -> str:
    """The tsvector literal of an article: title tokens weighted A, body tokens B."""
    return normalised_search_vector(normalise(title), normalise(body))


def normalised_search_vector(title: str, body: str) -> str:
    """search_vector of a title and body already normalised (normalise), for a caller that needs them for more."""
    entries: list[str] = []
    last = _entries(title, 1, "A", entries)
    _entries(body, last + TITLE_GAP, "B", entries)
    return " ".join(entries)


class QueryError(ValueError):
    """A query that asks for nothing searchable."""


@dataclass(frozen=True)
class Query:
    text: str  # as the user typed it
    tsquery: str  # for PostgreSQL's to_tsquery-free cast: '联合' <-> '合国' & 'security' <-> 'council'
    # every token ANDed, no phrases: the GIN index answers it exactly, while a phrase makes PostgreSQL read every
    # candidate's tsvector to check positions
    candidates: str
    phrases: tuple[str, ...]  # each part normalised, for finding the snippet


def parse_query(text: str) -> Query:
    """A query: words and "quoted phrases", each a phrase of its tokens, all ANDed. Raises QueryError when no part
    has a letter or digit."""
    terms = []
    every_token: dict[str, None] = {}  # in order, once each
    phrases = []
    for quoted, bare in _QUERY_PART.findall(text.translate(_QUERY_QUOTE_MARKS)):
        part = normalise(quoted or bare)
        found = list(tokens(part))
        if not found:
            continue
        if len(found) == 1 and _ONE_HAN.fullmatch(found[0][0]):
            terms.append(f"'{found[0][0]}':*")
            every_token[terms[-1]] = None
        else:
            every_token.update((f"'{token}'", None) for token, _ in found)
            term = f"'{found[0][0]}'"
            for (_, before), (token, position) in pairwise(found):
                term += f" <{position - before}> '{token}'"
            terms.append(f"({term})" if len(found) > 1 else term)
        phrases.append(part.strip())
    if not terms:
        raise QueryError(f"nothing to search for in {text!r}: give a word of letters, digits or Chinese characters")
    return Query(text, " & ".join(terms), " & ".join(every_token), tuple(phrases))


def snippet(body: str, phrases: tuple[str, ...], width: int = 80, mark: tuple[str, str] = ("[", "]")) -> str:
    """About width characters of the original body around the first place a phrase occurs, the match marked;
    the body's start when none is found as written (a phrase matched across punctuation, say).

    The body is normalised character by character to map a match back to the original: t2s converts nearly every
    character on its own and to one character, and where a character's normal form is longer (NFKC's ﬁ -> fi),
    each of its characters maps back to it."""
    origin: list[int] = []
    normalised_parts = []
    for index, character in enumerate(body):
        normal = _normalised_character(character)
        normalised_parts.append(normal)
        origin.extend([index] * len(normal))
    normalised = "".join(normalised_parts)
    found = [(at, len(phrase)) for phrase in phrases if phrase and (at := normalised.find(phrase)) >= 0]
    flat = " ".join(body.split())
    if not found:
        return flat[:width] + ("…" if len(flat) > width else "")
    at, length = min(found)
    start, end = origin[at], origin[at + length - 1] + 1
    before = max(0, start - width // 3)
    after = min(len(body), max(end, before + width))
    text = (body[before:start] + mark[0] + body[start:end] + mark[1] + body[end:after])
    return ("…" if before else "") + " ".join(text.split()) + ("…" if after < len(body) else "")
