"""Background processes: PID files that never name a stranger, detached starts, stops that take the descendants,
SIGTERM as a normal exit; and what `newsmon up` assumes of prefect.yaml."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import yaml

from newsmon import processes

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_pid_file_names_only_a_running_process_older_than_itself(tmp_path):
    pid_file = processes.PidFile(tmp_path / "run" / "x.pid")
    assert pid_file.pid() is None  # no file
    pid_file.write(os.getpid())
    assert pid_file.pid() == os.getpid()
    # a crash left the file; the system later gave its PID to a process started after it was written
    pid_file.write(os.getpid())
    old = time.time() - 3600
    os.utime(pid_file.path, (old, old))
    assert pid_file.pid() is None
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    pid_file.write(dead.pid)
    assert pid_file.pid() is None
    pid_file.remove(only_if=dead.pid + 1)  # someone else's now: kept
    assert pid_file.path.exists()
    pid_file.remove(only_if=dead.pid)
    assert not pid_file.path.exists()


def test_a_detached_process_logs_to_its_file_and_stop_takes_its_children(tmp_path):
    log = tmp_path / "logs" / "tree.log"
    code = ("import subprocess, sys, time; print('parent', flush=True); "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)")
    pid = processes.spawn([sys.executable, "-c", code], log)
    parent = psutil.Process(pid)
    assert os.getsid(pid) == pid  # a session of its own: a terminal's Ctrl-C does not reach it
    deadline = time.monotonic() + 30
    while not parent.children() and time.monotonic() < deadline:
        time.sleep(0.1)
    (child,) = parent.children()
    assert processes.stop(pid, timeout=10)
    assert not processes.pid_alive(pid) and not processes.pid_alive(child.pid)
    assert log.read_text().strip() == "parent"
    assert processes.stop(pid) is False


def test_sigterm_exits_through_finally_blocks_and_atexit(tmp_path):
    marker = tmp_path / "cleaned"
    code = (
        "import atexit, pathlib, sys, time\n"
        "from newsmon.processes import exit_on_sigterm\n"
        "exit_on_sigterm()\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'atexit')\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 128 + signal.SIGTERM
    assert marker.read_text() == "atexit"


def test_up_assumes_the_work_pool_and_the_scheduled_ingestion_prefect_yaml_declares():
    from newsmon.flows import setup

    declared = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {deployment["name"]: deployment for deployment in declared["deployments"]}
    assert {deployment["work_pool"]["name"] for deployment in deployments.values()} == {setup.POOL}
    ingest = deployments[setup.INGEST_DEPLOYMENT]
    assert ingest["entrypoint"].endswith(".ingest_all") and ingest["schedules"]
    assert setup.deployment_names(REPO_ROOT / "prefect.yaml") == list(deployments)
