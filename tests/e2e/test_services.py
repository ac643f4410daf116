"""newsmon as a service, as a user runs it: `newsmon up`, `ps`, `down` in a fresh home on a free port (real
PostgreSQL, a real Prefect server and worker, prefect.yaml deployed), operator alerts to a local webhook; the
database that stays up after a command, and what a SIGTERM leaves behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

from newsmon.alerts.receiver import WebhookReceiver
from newsmon.storage.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[2]


def newsmon(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def home_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose newsmon lives in home: none of the test session's newsmon, Prefect or
    database settings (the embedded server, whatever DATABASE_URL the session has)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("NEWSMON_", "PREFECT_")) and name != "DATABASE_URL"}
    return env | {"NEWSMON_HOME": str(home)} | extra


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_of(home: Path) -> list[str]:
    """Every process (but this one) whose command line or environment mentions home, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if str(home) in cmdline or f"NEWSMON_HOME={home}\0" in environ:
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout:.0f} s"
        time.sleep(0.5)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_up_ps_alerts_the_operator_recovers_from_a_crash_and_down_leaves_nothing(tmp_path):
    home, port = tmp_path / "home", free_port()
    with WebhookReceiver() as operator:
        env = home_env(home, NEWSMON_OPERATOR_URL=operator.url)
        try:
            up = newsmon("up", "--port", str(port), env=env, timeout=900)
            assert up.returncode == 0, up.stdout + up.stderr
            assert f"UI at http://127.0.0.1:{port}" in up.stdout
            assert "operator alerts: on (2 Automations" in up.stdout
            ps = newsmon("ps", env=env)
            assert ps.returncode == 0, ps.stdout + ps.stderr
            assert [line.split()[0] for line in ps.stdout.splitlines()[1:5]] == [
                "postgresql", "prefect-server", "worker", "deployments"]
            stack = stack_of(home)
            pids = {"server": stack.server_pid.pid(), "worker": stack.worker_pid.pid(),
                    "postgres": EmbeddedServer(home).running().pid}
            assert None not in pids.values()

            again = newsmon("up", "--port", str(port), env=env, timeout=300)
            assert again.returncode == 0 and "newsmon is already up" in again.stdout, again.stdout + again.stderr
            assert {"server": stack.server_pid.pid(), "worker": stack.worker_pid.pid()} == {
                "server": pids["server"], "worker": pids["worker"]}
            api = f"http://127.0.0.1:{port}/api"
            assert sorted(operator_automations(api)) == [  # updated in place, not duplicated
                "newsmon: ingestion run failed", "newsmon: no successful ingestion for 45 minutes"]

            # a Failed run of the scheduled ingestion deployment (an outlet the registry does not have) tells the
            # operator, through the Prefect server's Automation
            run = subprocess.run(
                [sys.executable, "-m", "prefect", "deployment", "run", "ingest-all/ingest-every-15-min",
                 "-p", 'outlets=["no-such-outlet"]'],
                env=env | {"PREFECT_API_URL": api}, capture_output=True, text=True, timeout=120,
            )
            assert run.returncode == 0, run.stdout + run.stderr
            wait_for(lambda: any("no-such-outlet" in message["json"]["message"] for message in operator.received),
                     300, "operator notification")
            notice = next(m["json"] for m in operator.received if "no-such-outlet" in m["json"]["message"])
            assert notice["title"].startswith("newsmon: ingestion run ") and notice["title"].endswith(" Failed")
            assert f"http://127.0.0.1:{port}/runs/flow-run/" in notice["message"]

            # the proactive Automation, its 45 minutes made 15 s: no run Completed meanwhile, so it tells
            from newsmon.flows.setup import sync_operator_alerts

            assert sync_operator_alerts(api, operator.url, quiet_limit=timedelta(seconds=15))[1] == (
                "newsmon: no successful ingestion for 15 seconds")
            wait_for(lambda: any(m["json"]["title"] == "newsmon: no successful ingestion for 15 seconds"
                                 for m in operator.received), 300, "notification of no successful ingestion")

            # a crash while a flow run works (a trial: it ingests the replay site into the demo's home): the worker
            # and the server die without a word; their PID files stay behind, the flow run is orphaned
            trial = subprocess.run([sys.executable, "-m", "prefect", "deployment", "run", "ingest-all/ingest-replay"],
                                   env=env | {"PREFECT_API_URL": api}, capture_output=True, text=True, timeout=120)
            assert trial.returncode == 0, trial.stdout + trial.stderr
            wait_for(lambda: any("prefect.engine" in found for found in processes_of(home)), 300, "flow run process")
            for name in ("worker", "server"):
                os.kill(pids[name], signal.SIGKILL)
                wait_for(lambda name=name: gone(pids[name]), 30, f"end of the {name}")
            crashed = newsmon("ps", env=env, timeout=300)
            assert crashed.returncode == 1 and "DOWN" in crashed.stdout, crashed.stdout + crashed.stderr
            recovered = newsmon("up", "--port", str(port), env=env, timeout=900)
            assert recovered.returncode == 0, recovered.stdout + recovered.stderr
            assert "Prefect server: starting" in recovered.stdout and "worker: starting" in recovered.stdout
            assert f"PostgreSQL: embedded, pid {pids['postgres']}" in recovered.stdout  # it was not touched
            assert newsmon("ps", env=env, timeout=300).returncode == 0
            assert sorted(operator_automations(api)) == [  # the 15 s one replaced by the configured one
                "newsmon: ingestion run failed", "newsmon: no successful ingestion for 45 minutes"]
            pids |= {"server": stack.server_pid.pid(), "worker": stack.worker_pid.pid()}
        finally:
            down = newsmon("down", env=env, timeout=300)
        assert down.returncode == 0, down.stdout + down.stderr
        assert "newsmon is down" in down.stdout
        assert [name for name, pid in pids.items() if pid is not None and not gone(pid)] == []
        assert processes_of(home) == []
        assert newsmon("ps", env=env, timeout=300).returncode == 1


def operator_automations(api: str) -> list[str]:
    from newsmon.flows.setup import AUTOMATION_PREFIX, client

    with client(api) as prefect:
        return [automation.name for automation in prefect.read_automations()
                if automation.name.startswith(AUTOMATION_PREFIX)]


def stack_of(home: Path):
    """The stack of another home than the session's, for its PID files."""
    from newsmon import services, settings

    return services.Stack(settings.Settings.from_environ({"NEWSMON_HOME": str(home)}))


def test_up_refuses_a_port_another_program_listens_on_and_starts_nothing(tmp_path):
    home = tmp_path / "home"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = newsmon("up", "--port", str(port), env=home_env(home))
    assert result.returncode == 1
    assert f"port {port} is taken by another program (pid {os.getpid()}" in result.stderr
    assert "newsmon up --port N" in result.stderr
    assert processes_of(home) == [] and not (home / "pgdata").exists()


def test_a_sigterm_ends_a_command_normally_and_its_database_stops_when_idle(tmp_path):
    """A command blocked in an import (reading a FIFO nobody writes) gets SIGTERM, as from a Prefect cancellation:
    it exits through the normal interpreter shutdown (status 128 + 15, not death by the signal), and the server it
    started is stopped by its watchdog after the idle time, with nothing left running."""
    home = tmp_path / "home"
    home.mkdir()
    fifo = home / "posts.txt"
    os.mkfifo(fifo)
    env = home_env(home, NEWSMON_DB_IDLE_MINUTES="0.1")  # 6 s
    command = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "import", "--no-prefect", "--format", "text",
                                str(fifo)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server = EmbeddedServer(home)
    try:
        wait_for(lambda: server.running() is not None and server.watchdog_pid.pid() is not None, 120,
                 "embedded server and watchdog")
        postmaster, watchdog = server.running(), server.watchdog_pid.pid()
        time.sleep(1)  # into the blocking read
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=60) == 128 + signal.SIGTERM
        psutil.Process(postmaster.pid).wait(timeout=120)
        psutil.Process(watchdog).wait(timeout=60)
        assert processes_of(home) == []
    finally:
        command.kill()
        server.stop()


def test_db_url_is_a_libpq_url_psql_accepts_and_db_shell_opens_psql(db):
    from newsmon.cli import _psql

    env = dict(os.environ)
    url = newsmon("db", "url", env=env)
    assert url.returncode == 0, url.stderr
    assert url.stdout.startswith("postgresql://")
    psql = _psql()
    assert psql is not None
    answer = subprocess.run([psql, url.stdout.strip(), "-Atc", "SELECT current_database() IS NOT NULL"],
                            capture_output=True, text=True, timeout=60)
    assert answer.stdout.strip() == "t", answer.stderr
    shell = subprocess.run([sys.executable, "-m", "newsmon.cli", "db", "shell"], input="SELECT 6 * 7;\n", cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=60)
    assert shell.returncode == 0 and "42" in shell.stdout, shell.stdout + shell.stderr
