"""`newsmon search` and `newsmon show` as a user runs them: a subprocess on the imported archive sample."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsmon.reading import readable_url

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "corpus" / "archive-sample"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared beside the checkout")


def newsmon(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": "Asia/Shanghai", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)


def json_hits(*args: str) -> list[dict]:
    result = newsmon("search", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_search_and_show_on_the_imported_sample(db):
    imported = newsmon("import", "--no-prefect", str(SAMPLE))
    assert imported.returncode == 0, imported.stderr

    simplified, traditional = json_hits("联合国", "--limit", "100"), json_hits("聯合國", "--limit", "100")
    assert simplified == traditional and len(simplified) >= 10
    assert all("[" in hit["snippet"] for hit in simplified)  # the match marked in the snippet
    both = json_hits("联合国", "安理会")
    assert both and {hit["id"] for hit in both} <= {hit["id"] for hit in simplified}
    assert {hit["un_level"] for hit in json_hits("联合国", "--un", "core")} == {"core"}
    assert {hit["outlet"] for hit in json_hits("联合国", "--outlet", "voa")} == {"voa"}
    assert json_hits("联合国", "--outlet", "VOA") == json_hits("联合国", "--outlet", "voa")
    for command in ("search", "export"):
        unknown = newsmon(command, "联合国", "--outlet", "美国之音")  # a name, not the key
        assert unknown.returncode == 2 and unknown.stdout == ""
        assert unknown.stderr.startswith(f"newsmon {command}: no outlet '美国之音' in this database; its outlets: ")
        assert ", voa, " in unknown.stderr
    assert json_hits("联合国", "--since", "2099-01-01") == []
    assert len(json_hits("联合国", "--limit", "2")) == 2
    council = json_hits("安理会", "--body", "Security Council")
    assert council and all(hit["un_level"] for hit in council)

    table = newsmon("search", "古特雷斯")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "TIME", "OUTLET", "UN", "TITLE"]
    first = json_hits("古特雷斯")[0]
    assert lines[1].split()[0] == str(first["id"]) and "古特雷斯" in lines[2]
    assert lines[3].strip() == readable_url(first["url"])

    rows = list(csv.DictReader(io.StringIO(newsmon("search", "世卫组织", "--format", "csv").stdout)))
    assert [int(row["id"]) for row in rows] == [hit["id"] for hit in json_hits("世卫组织")]
    assert set(rows[0]) == {"id", "published_at", "outlet", "outlet_name", "un_level", "title", "snippet", "url",
                            "score"}

    shown = newsmon("show", str(council[0]["id"]))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert text.startswith(council[0]["title"] + "\n") and readable_url(council[0]["url"]) in text
    assert "UN         core: " in text or "UN         mention: " in text
    assert "Security Council" in text and "revisions  none" in text and "published  " in text
    published = next(line for line in text.splitlines() if line.startswith("published  "))
    # an archived post's date is its archive's epoch header, said as such, or the outlet's own date text
    assert re.search(r" \((the archive's time stamp, ms: <!--\d+-->|as the outlet gives it: .+)\)$", published)


def test_search_and_show_refuse_what_they_cannot_answer(db):
    empty = newsmon("search", "!!")
    assert empty.returncode == 2 and "nothing to search for" in empty.stderr
    bad_time = newsmon("search", "联合国", "--since", "last week")
    assert bad_time.returncode == 2 and "give an age (12h, 7d, 2w) or a date" in bad_time.stderr
    none = newsmon("search", "联合国")
    assert none.returncode == 0 and none.stdout == "" and "no article matches 联合国" in none.stderr
    missing = newsmon("show", "999999")
    assert missing.returncode == 1 and "no article 999999" in missing.stderr
