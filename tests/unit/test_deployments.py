"""prefect.yaml deploys the whole job (live ingestion on a schedule, a replay trial by hand, alert delivery, nightly
maintenance, archive imports on demand) from any directory, and says the Prefect version the pins and CI agree on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {deployment["name"]: deployment for deployment in PREFECT_YAML["deployments"]}


def test_the_lowest_prefect_is_the_same_in_pyproject_prefect_yaml_and_ci():
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    lowest = re.search(r'"prefect>=([\d.]+),<[\d.]+"', pyproject).group(1)
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^PREFECT_LOWEST := (\S+)$", makefile, re.M).group(1) == lowest
    assert str(PREFECT_YAML["prefect-version"]) == lowest
    assert "make test-prefect-lowest" in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_whole_job_is_deployed_and_only_the_live_parts_on_a_schedule():
    scheduled = {name: [s["cron"] for s in d["schedules"]] for name, d in DEPLOYMENTS.items() if d["schedules"]}
    assert scheduled == {
        "ingest-every-15-min": ["*/15 * * * *"],
        "deliver-alerts-every-5-min": ["*/5 * * * *"],
        "maintenance-nightly": ["30 3 * * *"],
    }
    assert set(DEPLOYMENTS) - set(scheduled) == {"ingest-replay", "import-archives"}
    assert DEPLOYMENTS["ingest-replay"]["parameters"] == {"replay": True}
    assert DEPLOYMENTS["ingest-every-15-min"]["parameters"] == {}


def test_nothing_is_pulled_and_the_entrypoints_are_modules_of_the_installed_package():
    """No checkout path pinned: `pull: []` (null would make `prefect deploy` add a step into the deploying
    directory), and module entrypoints, which the worker imports from its environment wherever it runs."""
    assert PREFECT_YAML["pull"] == []
    for deployment in DEPLOYMENTS.values():
        assert re.fullmatch(r"newsmon\.flows\.\w+\.\w+", deployment["entrypoint"]), deployment["entrypoint"]


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_deployment_loads_with_parameters_its_flow_takes(name):
    """A scheduled run has no one to give it parameters: its deployment gives all its flow needs. The archive
    import is run by hand with its paths (`-p paths=...`)."""
    from prefect.flows import load_flow_from_entrypoint

    deployment = DEPLOYMENTS[name]
    flow = load_flow_from_entrypoint(deployment["entrypoint"], use_placeholder_flow=False)
    assert set(deployment["parameters"]) <= set(flow.parameters.properties)
    if deployment["schedules"] or name == "ingest-replay":
        flow.validate_parameters(deployment["parameters"])  # raises when a required parameter is missing
    else:
        assert flow.parameters.required == ["paths"]
