"""Trials through Prefect, from production settings: `newsmon demo`, then the ingest-replay deployment's run
(ingest-all with replay=true: it serves the replay site itself) and the README's old `-p replay_base=...` run. All
of them work in the demo's home and database; the production database, its feeds' validators and its alert channel
are left alone; the demo's webhook gets the demo's alerts."""

import re
from pathlib import Path

import pytest
import yaml

from newsmon import settings
from newsmon.replay import ReplayServer
from tests.trials import count, production, snapshot

pytestmark = pytest.mark.prefect

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def test_the_demo_and_replay_runs_never_touch_production(prefect_harness, database_url, tmp_path, capsys):
    from newsmon.cli import main
    from newsmon.flows.ingest import ingest_all

    deployed = {d["name"]: d for d in yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]}
    with production(database_url, tmp_path / "home") as prod, settings.use(prod.settings):
        before = snapshot(prod.engine)

        assert main(["demo"]) == 0
        out = capsys.readouterr().out
        received = int(re.search(r"the webhook received (\d+) alert", out).group(1))
        assert received > 0 and "53 new" in out and "\nevents: 54 articles given an event\n" in out
        program = re.search(r"^look around: (.+) --demo status, ", out, re.MULTILINE).group(1)
        assert program == "newsmon" or Path(program).exists()  # runnable as printed, the virtualenv active or not

        replayed = ingest_all(**deployed["ingest-replay"]["parameters"], return_state=True)
        assert replayed.is_completed() and replayed.message == "0 new, 0 errors, 0 alerts sent"  # the demo's data
        with ReplayServer() as replay:
            by_base = ingest_all(outlets=["bbc"], replay_base=replay.base_url, return_state=True)
        assert by_base.is_completed() and by_base.message == "0 new, 0 errors, 0 alerts sent"

        assert snapshot(prod.engine) == before
        assert prod.team.received == []
        assert count(prod.demo_engine(), "SELECT count(*) FROM articles") == 54  # 53 polled, 1 more from the archive

        # what the demo stored is read with --demo; without it, production's
        capsys.readouterr()
        assert main(["--demo", "status"]) == 0
        assert re.search(r"^total\s+54\s", capsys.readouterr().out, re.MULTILINE)
        assert main(["--demo", "search", "联合国", "--format", "json"]) == 0
        assert '"outlet": "un_news"' in capsys.readouterr().out
        assert main(["search", "联合国", "--format", "json"]) == 0 and capsys.readouterr().out == ""
        assert main(["status"]) == 0
        assert re.search(r"^total\s+1\s", capsys.readouterr().out, re.MULTILINE)
        with pytest.raises(SystemExit) as refused:  # nothing that fetches or sends runs on the demo's settings
            main(["--demo", "run"])
        assert refused.value.code == 2 and "not with run" in capsys.readouterr().err
