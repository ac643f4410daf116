"""The package's shape: one import namespace, layers that do not pull each other in, the failure vocabulary the
README documents, entrypoints Prefect can load."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from newsmon.model import Reason

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("flows", "parsers", "storage", "fetch", "relevance", "alerts", "newsmon")


def imported_modules(folder: str) -> dict[str, set[str]]:
    """file -> every module it imports (absolute names; relative imports resolved inside newsmon)."""
    found = {}
    for path in sorted((REPO_ROOT / folder).rglob("*.py")):
        if "replay/site" in path.as_posix():
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = "newsmon" if folder == "newsmon" else f"newsmon.{folder}"
                    names.add(f"{base}.{node.module}" if node.module else base)
                else:
                    names.add(node.module or "")
        found[str(path.relative_to(REPO_ROOT))] = names
    return found


def importers_of(prefix: str, folders: tuple[str, ...]) -> list[str]:
    return [
        f"{path}: {name}"
        for folder in folders
        for path, names in imported_modules(folder).items()
        for name in sorted(names)
        if name == prefix or name.startswith(prefix + ".")
    ]


def test_only_flows_import_prefect():
    assert importers_of("prefect", tuple(layer for layer in LAYERS if layer != "flows")) == []


def test_parsers_know_no_database():
    assert importers_of("sqlalchemy", ("parsers",)) + importers_of("sqlmodel", ("parsers",)) == []
    assert importers_of("newsmon.storage", ("parsers",)) == []


def test_storage_knows_no_parser_fetcher_or_flow():
    for layer in ("newsmon.parsers", "newsmon.fetch", "newsmon.flows", "newsmon.relevance", "newsmon.alerts"):
        assert importers_of(layer, ("storage",)) == []


def test_fetching_knows_no_parser_or_storage():
    for layer in ("newsmon.parsers", "newsmon.storage", "sqlalchemy"):
        assert importers_of(layer, ("fetch",)) == []


def test_the_cli_imports_lightly():
    """`newsmon --help` and friends stay quick: the CLI module pulls in no database, parser or Prefect code until a
    command needs it (bench: `python -X importtime -c 'import newsmon.cli'`)."""
    code = "import sys, newsmon.cli; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert loaded.isdisjoint({"prefect", "sqlalchemy", "lxml", "feedparser", "opencc", "apprise", "httpx"})


def test_the_readme_lists_every_failure_reason_and_only_those():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- reasons -->")[1].split("<!-- /reasons -->")[0]
    listed = re.findall(r"^\| `([a-z0-9-]+)` \| (.+) \|$", section, re.M)
    assert [(name, meaning) for name, meaning in listed] == [(reason.value, reason.meaning) for reason in Reason]


def test_prefect_loads_the_deployment_entrypoints():
    """prefect.yaml's entrypoints are modules of the installed package, as `prefect deploy --all` and a worker load
    them (tests/unit/test_deployments.py checks their parameters)."""
    pytest.importorskip("prefect")
    entrypoints = re.findall(r"entrypoint: (\S+)", (REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    code = (
        "import sys\nfrom prefect.flows import load_flow_from_entrypoint\n"
        "for entrypoint in sys.argv[1:]:\n    print(load_flow_from_entrypoint(entrypoint).name)"
    )
    result = subprocess.run([sys.executable, "-c", code, *entrypoints], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() and len(result.stdout.split()) == len(entrypoints)


def test_a_built_wheel_installs_nothing_but_newsmon(tmp_path):
    """A non-editable install: the wheel's only top-level name is newsmon, with the layer folders inside it and
    the data files (migrations, registry, lexicon, replay site) beside the code; it imports from anywhere."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO_ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("newsmon-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"newsmon", wheel.name.split("-py3")[0] + ".dist-info"}
    sources = {
        f"newsmon/{path.relative_to(REPO_ROOT / layer).as_posix()}" if layer == "newsmon"
        else f"newsmon/{layer}/{path.relative_to(REPO_ROOT / layer).as_posix()}"
        for layer in LAYERS for path in (REPO_ROOT / layer).rglob("*.py") if "__pycache__" not in path.parts
    }
    assert sources - set(names) == set(), "every module of every layer is packaged"
    for data in ("newsmon/storage/alembic.ini", "newsmon/relevance/un_lexicon.toml", "newsmon/sources.toml",
                 "newsmon/replay/site/MANIFEST.json"):
        assert data in names
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = "import newsmon.parsers.zaobao, newsmon.storage.models, newsmon.sources; print(newsmon.parsers.__file__)"
    result = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(target)]!r}; "
                             f"import site; site.main(); {code}"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(target))
