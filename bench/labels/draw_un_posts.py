"""Draw the posts to label for UN relevance (issue 12), and split them into dev and test before anything is tuned.

    python bench/labels/draw_un_posts.py [--corpus PATH] > /tmp/un_posts.jsonl

Its output, with the texts, went to the readers; un_posts.jsonl keeps its fields but the title and text, with the
labels beside them (README.md here).

Every post of the corpus is parsed as `newsmon parse` does; posts of ../shared/labels/un_dev.jsonl, failed parses and
bodies under 80 characters are left out. Strata, seeded (13): the outlet group (zaobao, voa, bbc, other: as
un_dev.jsonl groups them) crossed with what the text holds: a UN-like term (UN bodies and the look-alikes the
labelling rules name: 联合声明, 秘书长, 人权, WTO, ...) in a long text (over 3,000 characters: features, speeches,
transcripts, round-ups), a UN-like term in a shorter one, or none. Per group 30 long (those a group lacks are drawn
from its short ones), 45 short, 35 without a term; in the other group, half of each stratum from posts in traditional
script. Then each stratum is cut in two halves, dev and test, by a second seed (14): the test half is scored,
never read while rules or weights change.

A line: `line` (in the corpus, from 0), `path`, `outlet`, `group`, `stratum`, `traditional`, `chars`, `split`,
`title`, `text` (the parsed paragraphs, a blank line between): what a reader labels and a model is scored on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import opencc  # noqa: E402

from newsmon.parsers.parse import parse_post  # noqa: E402

UN_LIKE = re.compile(
    r"联合国|聯合國|安理|世卫|世衛|卫生组织|衛生組織|秘书长|秘書長|人权|人權|联大|聯大|维和|維和|难民署|難民署|国际法院|國際法院"
    r"|原子能机构|原子能機構|教科文|粮食计划|糧食計劃|儿童基金|兒童基金|谭德塞|譚德塞|古特雷斯|古特瑞斯|巴切莱特|巴舍萊|联合声明|聯合聲明"
    r"|世贸|世貿|国际刑事|國際刑事|\bUN\b|United Nations|\bWHO\b|UNESCO|UNICEF|UNHCR|WTO"
)
GROUPS = ("zaobao", "voa", "bbc")
QUOTA = {"long": 30, "short": 45, "none": 35}
LONG = 3000
_T2S = opencc.OpenCC("t2s")


def traditional(text: str) -> bool:
    """More than 2% of the Han characters change under OpenCC t2s: the post is written in traditional script."""
    sample = text[:2000]
    han = sum("\u4e00" <= c <= "\u9fff" for c in sample)
    changed = sum(a != b for a, b in zip(sample, _T2S.convert(sample), strict=False))
    return han > 0 and changed / han > 0.02


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz"))
    ap.add_argument("--labelled", default=str(ROOT.parent / "shared/labels/un_dev.jsonl"))
    args = ap.parse_args()
    with open(args.labelled, encoding="utf-8") as lines:
        labelled = {json.loads(line)["path"] for line in lines}
    strata: dict[tuple[str, str, bool], list[dict]] = defaultdict(list)
    seen_titles = set()
    with gzip.open(args.corpus, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            post = json.loads(line)
            if post["path"] in labelled:
                continue
            parsed = parse_post(post["path"], post["text"])
            if "error" in parsed:
                continue
            text = "\n\n".join(parsed["paragraphs"])
            if len(text) < 80 or parsed["title"] in seen_titles:  # one of a re-posted title is enough
                continue
            seen_titles.add(parsed["title"])
            group = parsed["outlet"] if parsed["outlet"] in GROUPS else "other"
            stratum = ("long" if len(text) > LONG else "short") if UN_LIKE.search(parsed["title"] + text) else "none"
            is_traditional = traditional(parsed["title"] + text)
            strata[(group, stratum, is_traditional if group == "other" else False)].append({
                "line": number, "path": post["path"], "outlet": parsed["outlet"], "group": group, "stratum": stratum,
                "traditional": is_traditional, "chars": len(text), "title": parsed["title"], "text": text,
            })
    drawn_rng, split_rng = random.Random(13), random.Random(14)
    drawn = []
    for group in (*GROUPS, "other"):
        short_of_long = {False: 0, True: 0}  # Zaobao's feed posts are seldom long: the rest come from its short ones
        for stratum, quota in QUOTA.items():
            scripts = {False: quota} if group != "other" else {False: quota - quota // 2, True: quota // 2}
            for is_traditional, count in scripts.items():
                members = strata[(group, stratum, is_traditional)]
                wanted = count + (short_of_long[is_traditional] if stratum == "short" else 0)
                chosen = drawn_rng.sample(members, min(wanted, len(members)))
                if stratum == "long":
                    short_of_long[is_traditional] = count - len(chosen)
                split_rng.shuffle(chosen)
                for position, post in enumerate(chosen):
                    post["split"] = "test" if position % 2 else "dev"
                drawn += chosen
                print(f"{group:7} {stratum:5} {'traditional' if is_traditional else 'simplified':11}"
                      f" {len(chosen):3} of {len(members):6,}", file=sys.stderr)
    drawn.sort(key=lambda post: post["line"])
    for post in drawn:
        print(json.dumps(post, ensure_ascii=False))
    print(f"{len(drawn)} posts, {sum(p['split'] == 'test' for p in drawn)} of them test", file=sys.stderr)


if __name__ == "__main__":
    main()
