"""UN relevance of an article: core (the UN system is a principal subject), mention (referenced in substance) or
none, with the UN bodies involved and the evidence (matched spans, with their paragraph and sentence).

It reads the extracted title and paragraphs, never raw HTML, so related-link lists and captions cannot count.
Traditional characters are read through OpenCC (t2s) and compatibility forms through NFKC, so one lexicon of
simplified names serves both scripts. The lexicon (un_lexicon.toml, user-extensible) holds the bodies, the
look-alikes masked before matching (联合早报, 联合声明, 国际刑事法院, WTO, ...), document symbols, and the context
words that tell a UN act from a line in someone's CV. The rules on top, from the labelling guide:
- a UN body in the title, or UN matches in most of the article, make it a principal subject: core;
- a UN body acting in the lead (a statement, vote, report, investigation...) makes it core too;
- any other match in substance is a mention; matches in a CV ("曾任联合国...") count for nothing.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import opencc

from newsmon import settings

LEXICON = Path(__file__).with_name("un_lexicon.toml")
LEVELS = ("none", "mention", "core")
TITLE = -1  # the paragraph number of the title in evidence

# A denial (不是联合国之下的国际组织) before a match, about an organisation after it; and a list of sources' entry
# (title, publisher, 2009年3月, URL). Neither is the UN acting: such matches are not counted.
_DENIED_BEFORE = re.compile(r"(?:不是|并非)$")
_DENIED_AFTER = re.compile(r"[^，。；,;]{0,10}(?:组织|机构)")
_CITATION = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*[，,]\s*(?:https?://|file:|www\.)")
_SENTENCE = re.compile(r"[^。！？!?；;\n]*[。！？!?；;]?")
CORE_COVERAGE = 0.5  # share of paragraphs with UN matches that makes the UN a principal subject
LEAD_PARAGRAPHS = 3  # the lead: what a story is built on comes first



@dataclass(frozen=True)
class Evidence:
    body: str
    match: str  # the matched span, as the article writes it
    paragraph: int  # -1 for the title, else the paragraph's index
    sentence: str  # the sentence around the match (at most 80 characters)
    role: str  # title, lead-data, lead-action, action, mention, post (a job title: at most a mention), cv (not counted:
    # a CV line, a denial, a list of sources' entry)


@dataclass
class Relevance:
    level: str
    score: float
    bodies: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    model: str = ""  # the lexicon's fingerprint: rescoring is needed when it changes
    reasons: list[str] = field(default_factory=list)  # why this level, in words (`newsmon un explain`)

    def to_json(self) -> dict:
        return {
            "level": self.level,
            "score": round(self.score, 2),
            "bodies": self.bodies,
            "evidence": [asdict(e) for e in self.evidence if e.role != "cv"][:5],
        }


def at_least(level: str, threshold: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(threshold)


class Lexicon:
    def __init__(self, data: dict, fingerprint: str):
        self.fingerprint = fingerprint
        self.bodies: dict[str, str] = {}  # alias (as matched) -> body name
        self.weights = {body["name"]: float(body.get("weight", 1.0)) for body in data["body"]}
        self.generic = {body["name"] for body in data["body"] if body.get("generic")}
        zh_aliases: list[str] = []
        en_aliases: list[str] = []
        for body in data["body"]:
            for alias in body.get("zh", []):
                alias = _T2S.convert(alias)
                self.bodies[alias] = body["name"]
                zh_aliases.append(alias)
            for alias in body.get("en", []):
                self.bodies[alias] = self.bodies[alias.upper()] = body["name"]
                en_aliases.append(alias)
        # English names as written and in capitals (headlines); a case-insensitive scan costs ten times more
        english = set(en_aliases) | {a.upper() for a in en_aliases}
        # one trie-shaped pattern: an alternation of 200 names is tried name by name at every position
        self.names = re.compile(f"{_trie(set(zh_aliases))}|(?<![A-Za-z])(?:{_trie(english)})(?![A-Za-z])")
        self.patterns = [
            (re.compile(pattern), body["name"]) for body in data["body"] for pattern in body.get("zh_regex", [])
        ]
        self.documents = [(re.compile(d["pattern"]), d["name"]) for d in data.get("document", [])]
        lookalikes = data.get("lookalikes", {})
        masked = [_T2S.convert(a) for a in lookalikes.get("zh", [])]
        english_masked = set(lookalikes.get("en", [])) | {a.upper() for a in lookalikes.get("en", [])}
        self.lookalikes = re.compile(f"{_trie(masked)}|(?<![A-Za-z])(?:{_trie(english_masked)})(?![A-Za-z])")
        self.longest_lookalike = max((len(a) for a in lookalikes.get("zh", []) + lookalikes.get("en", [])), default=0)
        context = data.get("context", {})
        self.cv = re.compile(_T2S.convert(context["bio"])) if context.get("bio") else None
        self.post = re.compile(context["post"]) if context.get("post") else None
        self.venue = re.compile(context["venue"]) if context.get("venue") else None
        self.data = re.compile(context["data"]) if context.get("data") else None
        self.action = re.compile("|".join(re.escape(_T2S.convert(w)) for w in context.get("action", [])))


def _trie(words) -> str:
    """A regex matching any of the words, longest first, shaped as a prefix tree."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree) or "(?!)"


_T2S = opencc.OpenCC("t2s")


def lexicon_path() -> Path:
    return settings.current().lexicon_path or LEXICON


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> Lexicon:
    content = path.read_bytes()
    return Lexicon(tomllib.loads(content.decode("utf-8")), "un-" + hashlib.sha256(content).hexdigest()[:12])


def load_lexicon(path: Path | None = None) -> Lexicon:
    path = path or lexicon_path()
    return _load(path, path.stat().st_mtime)


# Full-width Latin letters and digits (ＷＨＯ, １５４０) and the ideographic space, folded one to one: the only
# compatibility forms names and symbols come in, so spans keep their positions (full NFKC would also fold "，").
# Replaced match by match: str.translate looks up every character of the text, five times slower on Chinese.
_FULL_WIDTH = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_HAS_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")


def normalise(text: str) -> str:
    """Simplified characters, full-width ASCII folded; the same length as the input where it can be."""
    return _T2S.convert(_HAS_FULL_WIDTH.sub(lambda match: _FULL_WIDTH[match[0]], text))


def classify(title: str, paragraphs: list[str], lexicon: Lexicon | None = None) -> Relevance:
    lexicon = lexicon or load_lexicon()
    evidence: list[Evidence] = []
    if _names_anything(normalise("\n".join([title, *paragraphs])), lexicon):  # most articles name nothing
        for number, original in [(TITLE, title), *enumerate(paragraphs)]:
            evidence.extend(_matches(number, original, lexicon))
    counted = [e for e in evidence if e.role != "cv"]
    reasons: list[str] = []
    if not counted:
        reasons.append("no UN body named outside CV lines, denials and lists of sources" if evidence
                       else "no UN body named")
        return Relevance("none", 0.0, [], evidence, lexicon.fingerprint, reasons)

    weights = {e: _weight(e, lexicon) for e in counted}
    by_unit: dict[int, float] = {}
    for e, w in weights.items():
        by_unit[e.paragraph] = max(by_unit.get(e.paragraph, 0.0), w)
    score = sum(by_unit.values())
    paragraphs_with = sum(1 for n in by_unit if n != TITLE)
    coverage = paragraphs_with / max(1, len(paragraphs))

    in_title = any(e.paragraph == TITLE and e.role == "title" for e in counted)
    lead_action = any(e.role == "lead-action" for e in counted)
    lead_data = any(e.role == "lead-data" for e in counted)
    only_posts = all(e.role == "post" for e in counted)
    if only_posts:
        level = "mention"
        reasons.append("the UN appears only as a job title (驻联合国大使...), which is at most a mention")
    elif in_title:
        level = "core"
        reasons.append("a UN body is named in the title")
    elif lead_data:
        level = "core"
        reasons.append("the lead is built on a UN figure or report")
    elif lead_action and coverage >= CORE_COVERAGE / 2 and paragraphs_with >= 2:
        level = "core"
        reasons.append(f"a UN body acts in the lead and UN matches run through {coverage:.0%} of the paragraphs")
    elif coverage >= CORE_COVERAGE and paragraphs_with >= 3:
        level = "core"
        reasons.append(f"UN matches in {paragraphs_with} of {len(paragraphs)} paragraphs")
    else:
        level = "mention"
        reasons.append(f"UN matches in {paragraphs_with} of {len(paragraphs)} paragraphs, not in the title")
    ranked = sorted(counted, key=lambda e: (-weights[e], e.paragraph))
    return Relevance(level, score, _bodies(counted, lexicon), ranked + [e for e in evidence if e.role == "cv"],
                     lexicon.fingerprint, reasons)


def _matches(number: int, original: str, lexicon: Lexicon) -> list[Evidence]:
    text = normalise(original)
    aligned = len(text) == len(original)  # t2s almost always keeps the length: spans map back
    found = []
    spans = [(m.start(), m.end(), lexicon.bodies[m.group()]) for m in lexicon.names.finditer(text)]
    for pattern, body in lexicon.patterns:
        spans += [(m.start(), m.end(), body) for m in pattern.finditer(text)]
    if "/" in text or "决议" in text:
        for pattern, body in lexicon.documents:
            spans += [(m.start(), m.end(), body) for m in pattern.finditer(text)]
    spans = [span for span in spans if not _inside_lookalike(text, span, lexicon)]
    posts = [m.span() for m in lexicon.post.finditer(text)] if lexicon.post else []
    source = original if aligned else text
    # an entry of a list of sources: the article cites a UN document, it does not report it
    cited = bool(spans) and _CITATION.search(text) is not None
    for start, end, body in _without_overlaps(spans):
        around = _sentence_at(text, start)  # the rules read simplified characters
        sentence = around if source is text else _sentence_at(source, start)  # evidence quotes the article
        window = text[max(0, start - 6) : end + 3]
        post = next((p for p in posts if p[0] <= start < p[1] or start <= p[0] < end), None)
        if (lexicon.cv and lexicon.cv.search(window)) or (post and "前" in text[max(0, post[0] - 3) : post[0]]):
            role = "cv"
        elif number != TITLE and _DENIED_BEFORE.search(text[max(0, start - 3) : start]) \
                and _DENIED_AFTER.match(text[end : end + 12]):
            role = "cv"  # "不是联合国之下的组织": said not to be the UN's
        elif cited:
            role = "cv"
        elif post and text[post[0] : post[1]].endswith(("办事处", "外交代表", "使团", "代表团")):
            role = "cv"  # a state's mission in New York listed among its offices: not about the UN
        elif number < LEAD_PARAGRAPHS and lexicon.data and lexicon.data.search(around):
            role = "lead-data"  # a UN figure the story is built on
        elif post and number < LEAD_PARAGRAPHS and lexicon.venue and lexicon.venue.search(around):
            role = "lead-action"  # an ambassador to the UN speaking at a UN meeting: a state's conduct at the UN
        elif post:
            role = "post"
        elif number == TITLE:
            role = "title"
        elif lexicon.action.search(around):
            role = "lead-action" if number < LEAD_PARAGRAPHS else "action"
        else:
            role = "mention"
        found.append(Evidence(body, source[start:end], number, sentence, role))
    return found


def _names_anything(text: str, lexicon: Lexicon) -> bool:
    if lexicon.names.search(text) or any(pattern.search(text) for pattern, _ in lexicon.patterns):
        return True
    return ("/" in text or "决议" in text) and any(pattern.search(text) for pattern, _ in lexicon.documents)


def _inside_lookalike(text: str, span: tuple[int, int, str], lexicon: Lexicon) -> bool:
    """Whether the match is part of a look-alike (联合国军, 联合早报 is not even a match but 联合国际 is)."""
    reach = lexicon.longest_lookalike
    left = max(0, span[0] - reach)
    for m in lexicon.lookalikes.finditer(text[left : span[1] + reach]):
        if m.start() + left < span[1] and span[0] < m.end() + left:
            return True
    return False


def _without_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Longest match first where names overlap (联合国安理会 over 联合国)."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= other[0] or span[0] >= other[1] for other in kept):
            kept.append(span)
    return sorted(kept)


def _sentence_at(text: str, position: int) -> str:
    for match in _SENTENCE.finditer(text):
        if match.start() <= position < max(match.end(), match.start() + 1):
            sentence = match.group().strip()
            if len(sentence) <= 80:
                return sentence
            offset = position - match.start()
            start = max(0, min(offset - 30, len(sentence) - 80))
            return sentence[start : start + 80]
    return text[max(0, position - 30) : position + 50]


def _weight(evidence: Evidence, lexicon: Lexicon) -> float:
    base = lexicon.weights.get(evidence.body, 1.0)
    position = {"title": 3.0, "lead-data": 2.0, "lead-action": 2.0, "action": 1.5}.get(evidence.role, 1.0)
    return base * position


def _bodies(evidence: list[Evidence], lexicon: Lexicon) -> list[str]:
    names: list[str] = []
    for e in evidence:
        if e.body not in names:
            names.append(e.body)
    specific = [n for n in names if n not in lexicon.generic]
    return specific or names
