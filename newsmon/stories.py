"""Near-duplicate stories: the same text across outlets, simplified/traditional twins, a teaser and its full article,
edits of one article.

An article's text (title and body) is normalised as search normalises it (newsmon.search_text: OpenCC t2s, NFKC,
lower case) and stripped to letters and digits, so punctuation, spacing and script do not tell copies
apart. Its set of character 5-gram shingles is hashed to 64-bit integers. Two MinHash signatures summarise it: one of
the whole text and one of its lead (the first LEAD_CHARS characters of the body, which a teaser and its full article
share). Each is cut into bands; `bands()` gives a fixed number of int64 keys per article that a database index can
look up, so finding an article's candidates costs the same whatever the size of the table.

A candidate is then judged on the shingle sets themselves (`same_story`): one story when their Jaccard similarity is
high (copies, twins, edits), or when half or more of the smaller text is inside the larger one and its lead is in the
larger one's opening (a teaser, a cut copy; a digest or a page that embeds the smaller text elsewhere is not its
story). Two articles of one outlet, of about one size, published more than SAME_OUTLET_HOURS apart are different
stories unless nearly identical: that is what a daily template (a tally, a notice of military flights) looks like,
while an outlet's own edits come within hours. Articles with one URL are revisions of one article. Two outlets'
articles under one title (after normalising) are one story with less shared text than others need
(SAME_TITLE_CONTAINMENT): a close rewrite of a wire text keeps its title while its sentences are reworded, and the
same event written up apart shares far less of its text under one title; that rule comes before the containment
rule, whose digest test would otherwise refuse such a rewrite.
The thresholds were tuned on the dev split of bench/labels/story_pairs.jsonl, every pair of it read by two readers
(bench/stories_eval.py scores them).

Everything is deterministic: the hash parameters come from a fixed seed and no step uses Python's salted hash(), so
the same text gives the same bands in every process.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from newsmon import search_text

SHINGLE = 5  # characters per shingle: a Chinese word is 1-4 characters, so 5-grams span words and rarely repeat
PERMUTATIONS = 120  # MinHash values of the whole text
LEAD_PERMUTATIONS = 24  # MinHash values of the lead
ROWS = 3  # values per band: two texts of Jaccard 0.4 share one of the 40 bands 92% of the time, of 0.1 4%
LEAD_CHARS = 120  # the body's opening that a teaser repeats
OPENING_CHARS = 1000  # where in the larger text a contained text's lead must be, to be its teaser or cut copy
SEED = 20201231
MIN_SHINGLES = 20  # a text with fewer (a title alone) is too short to call a copy of anything
SAME_JACCARD = 0.38  # paraphrased rewrites of one wire text (Zaobao of CNA) share 0.4 of their shingles
SAME_CONTAINMENT = 0.5  # the share of the smaller text's shingles found in the larger one (its lead in the opening):
# on the dev split read twice, any cut from 0.41 to 0.64 judges alike (copies and teasers from 0.65 joined, the first
# wrong pair at 0.41); half leaves a margin both ways
LEAD_IN_OPENING = 0.5  # the share of the smaller text's lead shingles found in the larger one's opening
SAME_OUTLET_HOURS = 12
SAME_OUTLET_JACCARD = 0.9  # one outlet's texts further apart in time than that are one story only if nearly equal
TEMPLATE_SIZE_RATIO = 0.5  # ... and of about one size: a teaser or an excerpt posted days later is still the story
SAME_TITLE_CONTAINMENT = 0.3  # two outlets' rewrites of one text under one title share 0.35-0.63, reports of one
# event written apart under one title 0.10-0.26 (the dev split, every pair read twice)
MIN_TITLE_KEY = 8  # characters of a normalised title that is an article's own: shorter ones (一周新闻, 早报) recur
BANDS = PERMUTATIONS // ROWS + LEAD_PERMUTATIONS // ROWS

_NOT_WORD = re.compile(r"[\W_]+")
_rng = np.random.default_rng(SEED)
# multiply-shift hashing: (a * x + b) mod 2**64 with odd a is a universal family; the minimum is taken over it
_A = _rng.integers(1, 2**62, size=(PERMUTATIONS + LEAD_PERMUTATIONS, 1), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**62, size=(PERMUTATIONS + LEAD_PERMUTATIONS, 1), dtype=np.uint64)
_SHINGLE_BASE = np.uint64(1_000_003)  # a prime above every code point
_EMPTY = np.empty(0, dtype=np.uint64)
MINHASH_COLUMNS = 1024


def normalise(text: str) -> str:
    """The search's normal form, letters and digits only: 聯合國 ＵＮ。 -> 联合国un."""
    return _NOT_WORD.sub("", search_text.normalise(text))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise: spreads the polynomial shingle codes over all 64 bits."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def shingles(normalised: str) -> np.ndarray:
    """The sorted distinct 64-bit hashes of the text's character SHINGLE-grams (the whole text if shorter)."""
    return _distinct(_shingle_hashes(normalised)) if normalised else _EMPTY


def _distinct(hashes: np.ndarray) -> np.ndarray:
    """np.unique of uint64 values by sorting: numpy 2's np.unique hashes them first, ten times slower on these sizes."""
    ordered = np.sort(hashes)
    keep = np.empty(len(ordered), dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _shingle_hashes(normalised: str) -> np.ndarray:
    """The hash of the SHINGLE-gram at each position of a non-empty text, in order (one of the whole text if
    shorter)."""
    codes = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    width = min(SHINGLE, len(codes))
    count = len(codes) - width + 1
    rolled = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(width):
            rolled = rolled * _SHINGLE_BASE + codes[offset : offset + count]
        return _mix(rolled)


def _minhash(hashes: np.ndarray, rows: slice) -> np.ndarray:
    """The minimum of each permutation over the hashes, MINHASH_COLUMNS at a time: a permutations x columns array
    stays in the CPU's cache, and a huge post costs no more memory than a short one."""
    lowest = np.full(rows.stop - rows.start, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, len(hashes), MINHASH_COLUMNS):
            values = np.multiply(_A[rows], hashes[None, start : start + MINHASH_COLUMNS])
            values += _B[rows]  # in place: one array of permutations x columns instead of two
            np.minimum(lowest, values.min(axis=1), out=lowest)
    return lowest


@dataclass(frozen=True, eq=False)
class Signature:
    """What the detector keeps of one article: shingle sets of its text, lead and opening, their MinHash values,
    and where it comes from (outlet, URL, time: optional, as a text alone has none)."""

    shingles: np.ndarray  # sorted distinct uint64, title and body
    lead: np.ndarray  # of the first LEAD_CHARS characters of the normalised body
    opening: np.ndarray  # of the first OPENING_CHARS characters of the normalised body
    minhash: np.ndarray  # PERMUTATIONS uint64
    lead_minhash: np.ndarray  # LEAD_PERMUTATIONS uint64
    outlet: str = ""
    url: str = ""
    published_at: datetime | None = None
    title: str = ""  # normalised, letters and digits only

    @property
    def size(self) -> int:
        return len(self.shingles)


def signature(title: str, body: str, *, outlet: str = "", url: str = "",
              published_at: datetime | None = None) -> Signature:
    """The signature of an article from its title and body text (paragraphs joined)."""
    return search_normal_signature(search_text.normalise(title), search_text.normalise(body), outlet=outlet, url=url,
                                   published_at=published_at)


def search_normal_signature(title: str, body: str, *, outlet: str = "", url: str = "",
                            published_at: datetime | None = None) -> Signature:
    """signature() of a title and body already in search's normal form (search_text.normalise), which the caller
    needs for the search vector too: normalising is a third of the cost."""
    normal_title, normal_body = _NOT_WORD.sub("", title), _NOT_WORD.sub("", body)
    if len(normal_body) >= LEAD_CHARS:  # the lead's and the opening's shingles are the text's, from the body's start
        hashes = _shingle_hashes(normal_title + normal_body)
        start = len(normal_title)
        text = _distinct(hashes)
        lead = _distinct(hashes[start : start + LEAD_CHARS - SHINGLE + 1])
        opening = _distinct(hashes[start : start + OPENING_CHARS - SHINGLE + 1])
    else:
        text, lead = shingles(normal_title + normal_body), shingles(normal_body)
        opening = lead
    return Signature(
        text, lead, opening,
        _minhash(text, slice(0, PERMUTATIONS)),
        _minhash(lead, slice(PERMUTATIONS, PERMUTATIONS + LEAD_PERMUTATIONS)),
        outlet, url, published_at, normal_title,
    )


def bands(sig: Signature) -> list[int]:
    """Up to BANDS + 1 int64 keys: two articles that share any key are candidates. Each key hashes one band's values
    with the band's number, so equal values in different bands (or in the text and the lead) are different keys. A text
    too short to be a copy of anything has none, and one with no lead no lead keys: every such text would share them.
    The last key is the title's, when it is long enough to be an article's own.
    """
    if sig.size < MIN_SHINGLES:
        return []
    values = np.concatenate([sig.minhash, sig.lead_minhash]).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        key = _mix(np.arange(1, BANDS + 1, dtype=np.uint64))
        for column in range(ROWS):
            key = _mix(key ^ values[:, column])
    keys = [int(k) for k in key.view(np.int64)]
    keys = keys if len(sig.lead) else keys[:PERMUTATIONS // ROWS]
    if len(sig.title) >= MIN_TITLE_KEY:  # finds the rewrites under one title that share too few shingles for a band
        keys.append(int.from_bytes(hashlib.blake2b(sig.title.encode(), digest_size=8).digest(), "little", signed=True))
    return keys


@dataclass(frozen=True)
class Verdict:
    same: bool
    why: str
    jaccard: float
    containment: float  # of the smaller text in the larger


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    return len(np.intersect1d(part, whole, assume_unique=True)) / len(part) if len(part) else 0.0


def same_story(a: Signature, b: Signature) -> Verdict:
    """Whether two articles are one story told by the same text, and why (see the module's docstring)."""
    smaller, larger = (a, b) if a.size <= b.size else (b, a)
    common = len(np.intersect1d(a.shingles, b.shingles, assume_unique=True))
    union = a.size + b.size - common
    jaccard = common / union if union else 0.0
    containment = common / smaller.size if smaller.size else 0.0

    def verdict(same: bool, why: str) -> Verdict:
        return Verdict(same, why, jaccard, containment)

    if a.url and a.url == b.url:
        return verdict(True, "one URL: revisions of one article")
    if smaller.size < MIN_SHINGLES:
        return verdict(False, f"too short to compare ({smaller.size} shingles)")
    comparable = smaller.size >= TEMPLATE_SIZE_RATIO * larger.size
    if comparable and a.outlet and a.outlet == b.outlet and a.published_at and b.published_at:
        hours = abs((a.published_at - b.published_at).total_seconds()) / 3600
        if hours > SAME_OUTLET_HOURS and jaccard < SAME_OUTLET_JACCARD:
            return verdict(False, f"one outlet {hours:.0f} hours apart, not nearly equal (Jaccard {jaccard:.2f}): "
                                  "a recurring template, not an edit")
    if jaccard >= SAME_JACCARD:
        return verdict(True, f"same text (Jaccard {jaccard:.2f})")
    one_title = len(a.title) >= MIN_TITLE_KEY and a.title == b.title and a.outlet != b.outlet
    if one_title and containment >= SAME_TITLE_CONTAINMENT:
        return verdict(True, f"one title in two outlets, {containment:.0%} of the shorter text in the longer one")
    if containment >= SAME_CONTAINMENT:
        lead_found = _share(smaller.lead, larger.opening)
        if lead_found >= LEAD_IN_OPENING:
            return verdict(True, f"{containment:.0%} of the shorter text is in the longer one, its lead in the opening")
        return verdict(False, f"{containment:.0%} of the shorter text is in the longer one but not its lead "
                              f"({lead_found:.0%} of it in the opening): a digest or an embedded item")
    return verdict(False, f"different texts (Jaccard {jaccard:.2f}, containment {containment:.0%})")
