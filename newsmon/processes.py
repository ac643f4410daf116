"""Processes newsmon starts in the background and stops again: PID files, detached starts with a log, stops that
leave no descendant behind, and SIGTERM turned into a normal exit.

A PID file names a process only while that process is older than the file: a PID the system gave to another
process after a crash (a stale file) is not ours, and stopping it would kill a stranger."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

_CREATED_BEFORE_SLACK = 2.0  # seconds: process start times and file times come from different clocks' roundings


class PidFile:
    def __init__(self, path: Path):
        self.path = path

    def write(self, pid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{pid}\n", encoding="ascii")

    def pid(self) -> int | None:
        """The running process this file names, else None (no file, or a stale one)."""
        try:
            pid = int(self.path.read_text(encoding="ascii").strip())
            written = self.path.stat().st_mtime
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            return pid if process.create_time() <= written + _CREATED_BEFORE_SLACK else None
        except (OSError, ValueError, psutil.Error):
            return None

    def remove(self, only_if: int | None = None) -> None:
        """Remove the file (only if it still names only_if, when given: a successor may have written it)."""
        try:
            if only_if is None or int(self.path.read_text(encoding="ascii").strip()) == only_if:
                self.path.unlink()
        except (OSError, ValueError):
            pass


def spawn(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> int:
    """Start argv detached: its own session (a terminal's Ctrl-C or a closing shell does not reach it), stdin from
    /dev/null, stdout and stderr appended to log, no other inherited descriptor. Returns its PID."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
            env=dict(env) if env is not None else None, start_new_session=True, close_fds=True,
        )
    # it may outlive us (then init adopts it); while we live, reap it when it ends, or it lingers as a zombie
    threading.Thread(target=process.wait, daemon=True).start()
    return process.pid


def stop(pid: int, timeout: float = 30.0, sig: int = signal.SIGTERM) -> bool:
    """Stop a process and its descendants: sig to the process (it ends its children its own way) and up to timeout
    seconds for it to exit; then SIGTERM to every descendant still there, and SIGKILL to what is left 10 s later.
    Returns whether the process was running."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
        root.send_signal(sig)
    except psutil.NoSuchProcess:
        return False
    psutil.wait_procs([root], timeout=timeout)
    alive = [process for process in tree if _running(process)]
    for last_resort in (signal.SIGTERM, signal.SIGKILL):
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(last_resort)
        _, alive = psutil.wait_procs(alive, timeout=10.0)
    return True


def exit_on_sigterm() -> None:
    """Make SIGTERM (what `kill`, systemd and a Prefect cancellation send) end the process like Ctrl-C or the end of
    main does: finally blocks, context managers and atexit hooks run. Python's default is to die on the spot."""

    def terminate(signum, frame):
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def pid_alive(pid: int) -> bool:
    try:
        return _running(psutil.Process(pid))
    except psutil.Error:
        return False


def _running(process: psutil.Process) -> bool:
    """Running, and not a zombie (an exited child its parent has not reaped yet)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False

