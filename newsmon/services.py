"""`newsmon up`, `ps` and `down`: newsmon as background services on one machine.

up starts, each only if it does not run yet: PostgreSQL (the embedded server, kept up with no idle limit, unless
DATABASE_URL names one), with a database `prefect` beside `newsmon`; a Prefect server on it (not SQLite); the work
pool; a process worker whose environment carries newsmon's settings; then it deploys prefect.yaml and makes the
operator Automations (newsmon.flows.setup). A second up while everything runs changes nothing; an up after a crash
finds the stale PID files and starts what is missing. down stops all of it, and the demo's database, and leaves no
process behind: each service with its descendants (a worker's flow runs), SIGKILL for what does not stop.

Under the home: run/*.pid and run/stack.json (the port and prefect.yaml of the running stack), logs/*.log (the
server's and the worker's output, the last deploy's), pgdata/log (PostgreSQL's)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from newsmon import processes, settings
from newsmon.storage.server import EmbeddedServer

DEFAULT_PORT = 4200
_SERVER_START_TIMEOUT = 180.0  # seconds: the first start runs Prefect's migrations, slow on a loaded machine
_WORKER_START_TIMEOUT = 90.0
_DEPLOY_TIMEOUT = 600.0


class ServiceError(Exception):
    """up could not do its part: the message says what and where to look."""


_WHAT_RUNS = "newsmon ps shows what runs, newsmon down stops it"


@dataclass(frozen=True)
class Health:
    name: str
    pid: int | None
    up: bool
    detail: str

    def line(self) -> str:
        pid = str(self.pid) if self.pid else "-"
        return f"{self.name:16} {pid:>8}  {'up' if self.up else 'DOWN':5} {self.detail}"


class Stack:
    def __init__(self, current: settings.Settings | None = None):
        self.settings = current or settings.current()
        home = self.settings.home
        self.home = home
        self.run_dir = home / "run"
        self.log_dir = home / "logs"
        self.state_path = self.run_dir / "stack.json"
        self.server_pid = processes.PidFile(self.run_dir / "prefect-server.pid")
        self.worker_pid = processes.PidFile(self.run_dir / "prefect-worker.pid")
        self.server_log = self.log_dir / "prefect-server.log"
        self.worker_log = self.log_dir / "prefect-worker.log"
        self.deploy_log = self.log_dir / "deploy.log"
        self.database = EmbeddedServer(home)
        self.worker_name = f"newsmon-{socket.gethostname()}"

    # -- state --------------------------------------------------------------------------------------------------

    def state(self) -> dict | None:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def api_url(self) -> str | None:
        """The Prefect API of this home's stack while its server runs (newsmon up), else None."""
        state = self.state()
        if state is None or self.server_pid.pid() is None:
            return None
        return f"{self.ui_url(state['host'], state['port'])}/api"

    @staticmethod
    def ui_url(host: str, port: int) -> str:
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    # -- up -----------------------------------------------------------------------------------------------------

    def up(self, host: str, port: int, prefect_file: Path, say: Callable[[str], None] = print) -> str:
        """Start what does not run; returns the UI address. Raises ServiceError."""
        state = self.state()
        server = self.server_pid.pid()
        if state and (state["host"], state["port"]) != (host, port) and server is not None:
            raise ServiceError(f"newsmon is up at {self.ui_url(state['host'], state['port'])} already; "
                               "newsmon down first to move it")
        if server is None and (taker := _port_taker(host, port)) is not None:
            raise ServiceError(f"port {port} is taken by another program ({taker}): choose another with "
                               "newsmon up --port N")
        ui = self.ui_url(host, port)
        api = f"{ui}/api"
        if state and all(health.up for health in self.health()):
            say(f"newsmon is already up: nothing started, nothing deployed. UI at {ui}")
            self._operator_alerts(api, say)  # the one thing a second up does: follow a changed operator URL
            return ui
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps({"host": host, "port": port, "prefect_file": str(prefect_file)}),
                                   encoding="utf-8")
        database_url = self._database(say)
        self._server(host, port, api, database_url, say)
        from newsmon.flows import setup

        if setup.ensure_work_pool(api):
            say(f"work pool {setup.POOL}: created")
        wait_for_worker = self._worker(api, say)
        self._deploy(api, prefect_file, say)  # while the worker starts
        wait_for_worker()
        self._operator_alerts(api, say)
        say(f"newsmon is up. UI at {ui}; logs in {self.log_dir}; newsmon ps, newsmon down")
        return ui

    def _operator_alerts(self, api: str, say: Callable[[str], None]) -> None:
        from newsmon.flows import setup

        automations = setup.sync_operator_alerts(api, self._operator_url())
        if automations:
            say(f"operator alerts: on ({len(automations)} Automations: {'; '.join(automations)})")
        else:
            say("operator alerts: off (set [operator] url in sources.toml or NEWSMON_OPERATOR_URL, then newsmon up)")

    def _database(self, say: Callable[[str], None]) -> str:
        """PostgreSQL up, the newsmon database at head, the prefect database there; the Prefect server's URL."""
        from newsmon.storage import connect

        if self.settings.database_url:
            where = "DATABASE_URL"
        else:
            postmaster = self.database.keep()
            where = f"embedded, pid {postmaster.pid}, {self.database.pgdata}"
        with connect.connect():  # creates and migrates the newsmon database when needed
            pass
        if configured := os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL"):
            say(f"PostgreSQL: {where}; Prefect's database: PREFECT_SERVER_DATABASE_CONNECTION_URL")
            return configured
        prefect_url = connect.database_url("prefect")
        connect.ensure_database(prefect_url)
        say(f"PostgreSQL: {where}; databases newsmon and prefect")
        return "postgresql+asyncpg" + prefect_url[prefect_url.index("://"):]

    def _server(self, host: str, port: int, api: str, database_url: str, say: Callable[[str], None]) -> None:
        if (pid := self.server_pid.pid()) is not None and _answers(api) and _ready(api):
            say(f"Prefect server: running, pid {pid}")
            return
        if pid is not None:  # alive but not answering: hung; start afresh
            processes.stop(pid)
        if (taker := _port_taker(host, port)) is not None:
            raise ServiceError(f"port {port} is taken by another program ({taker}): choose another with "
                               "newsmon up --port N")
        env = self._environment(api) | {
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": database_url,
            "PREFECT_UI_URL": self.ui_url(host, port),
        }
        pid = processes.spawn([sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port",
                               str(port)], self.server_log, env)
        self.server_pid.write(pid)
        say(f"Prefect server: starting, pid {pid} (log {self.server_log})")
        self._wait(lambda: _answers(api) and _ready(api), pid, _SERVER_START_TIMEOUT, "the Prefect server",
                   self.server_log)

    def _worker(self, api: str, say: Callable[[str], None]) -> Callable[[], None]:
        """Start the worker if it does not run; returns what waits until the API sees it online."""
        from newsmon.flows import setup

        def online() -> bool:
            return any(w.name == self.worker_name and w.status == "ONLINE" for w in setup.workers(api))

        if (pid := self.worker_pid.pid()) is not None:
            say(f"worker: running, pid {pid}")
        else:
            pid = processes.spawn([sys.executable, "-m", "prefect", "worker", "start", "--pool", setup.POOL,
                                   "--type", "process", "--name", self.worker_name],
                                  self.worker_log, self._environment(api))
            self.worker_pid.write(pid)
            say(f"worker: starting, pid {pid} (log {self.worker_log})")
        started = pid
        return lambda: self._wait(online, started, _WORKER_START_TIMEOUT, "the worker", self.worker_log)

    def _deploy(self, api: str, prefect_file: Path, say: Callable[[str], None]) -> None:
        """`prefect --no-prompt deploy --all` from prefect.yaml's folder (the repository root)."""
        from newsmon.flows import setup

        argv = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)]
        self.deploy_log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.deploy_log, "wb") as log:
            result = subprocess.run(argv, cwd=prefect_file.parent, env=self._environment(api), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, timeout=_DEPLOY_TIMEOUT)
        if result.returncode != 0:
            raise ServiceError(f"prefect deploy failed (exit {result.returncode}; {_WHAT_RUNS}); the end of "
                               f"{self.deploy_log}:\n{_tail(self.deploy_log)}")
        names = setup.deployment_names(prefect_file)
        say(f"deployed {len(names)} from {prefect_file}: {', '.join(names)}")

    def _wait(self, ready: Callable[[], bool], pid: int, timeout: float, what: str, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while not _safely(ready):
            if not processes.pid_alive(pid):
                raise ServiceError(f"{what} exited ({_WHAT_RUNS}); the end of {log}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise ServiceError(f"{what} did not come up in {timeout:.0f} s ({_WHAT_RUNS}); the end of {log}:\n"
                                   f"{_tail(log)}")
            time.sleep(0.5)

    def _environment(self, api: str) -> dict[str, str]:
        """What the server, the worker (and through it every flow run) and `prefect deploy` run with: newsmon's
        settings as this process has them, and the stack's Prefect API."""
        current = self.settings
        env = dict(os.environ) | {
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(current.prefect_home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "NEWSMON_HOME": str(current.home),
            "NEWSMON_SOURCES": str(current.sources_path),
            "NEWSMON_DB_IDLE_MINUTES": f"{current.db_idle_minutes:g}",
        }
        optional = {"DATABASE_URL": current.database_url, "NEWSMON_RSSHUB_BASE": current.rsshub_base,
                    "NEWSMON_UN_LEXICON": str(current.lexicon_path) if current.lexicon_path else None}
        for name, value in optional.items():
            if value:
                env[name] = value
            else:
                env.pop(name, None)
        env.pop("PREFECT_API_KEY", None)  # a Prefect Cloud key in the shell is not for the local server
        current.prefect_home.mkdir(parents=True, exist_ok=True)
        return env

    def _operator_url(self) -> str | None:
        """NEWSMON_OPERATOR_URL, else the registry's [operator] url, its ${NAME} references filled in."""
        from newsmon.alerts.secrets import resolve_url
        from newsmon.sources import load_registry

        url = self.settings.operator_url or load_registry().operator_url
        return resolve_url(url, "", None).url if url else None

    # -- ps -----------------------------------------------------------------------------------------------------

    def health(self) -> list[Health]:
        state = self.state() or {}
        api = f"{self.ui_url(state.get('host', '127.0.0.1'), state.get('port', DEFAULT_PORT))}/api"
        found = [self._database_health()]
        server = self.server_pid.pid()
        answers = server is not None and _answers(api)
        ready = answers and _ready(api)
        found.append(Health("prefect-server", server, ready,
                            f"{api}/health answers" + ("" if ready else ", but /ready does not: no database")
                            if answers else f"{api}/health does not answer"))
        worker = self.worker_pid.pid()
        from newsmon.flows import setup

        online = answers and _safely(lambda: any(w.name == self.worker_name and w.status == "ONLINE"
                                                for w in setup.workers(api)))
        found.append(Health("worker", worker, worker is not None and online,
                            f"{self.worker_name} in {setup.POOL}: " + ("online" if online else "not online")))
        found.append(self._deployments_health(api, state) if answers else
                     Health("deployments", None, False, "unknown: no Prefect server"))
        return found

    def _deployments_health(self, api: str, state: dict) -> Health:
        from newsmon.flows import setup

        try:
            declared = set(setup.deployment_names(Path(state["prefect_file"])))
            present = {name.split("/", 1)[1] for name in setup.deployed(api)}
        except Exception as error:  # the server answers its health check but not this: its database is down
            return Health("deployments", None, False, f"unknown: {type(error).__name__}: {error}"[:200])
        missing = sorted(declared - present)
        return Health("deployments", None, not missing, f"{len(declared & present)} of {len(declared)}"
                      + (f"; missing: {', '.join(missing)}" if missing else ""))

    def _database_health(self) -> Health:
        import psycopg

        from newsmon.storage.connect import libpq_url

        if self.settings.database_url:
            pid, url, where = None, libpq_url(self.settings.database_url), "DATABASE_URL"
        else:
            postmaster = self.database.running()
            if postmaster is None:
                return Health("postgresql", None, False, f"not running ({self.database.pgdata})")
            pid, url = postmaster.pid, postmaster.url("postgres")
            kept = self.database.kept()
            where = "embedded, " + ("kept up by newsmon up" if kept else "its watchdog stops it when idle")
        try:
            with psycopg.connect(url, connect_timeout=5) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error as error:
            return Health("postgresql", pid, False, f"{where}: does not answer: {error}".strip())
        return Health("postgresql", pid, True, f"{where}: answers")

    # -- down ---------------------------------------------------------------------------------------------------

    def down(self, say: Callable[[str], None] = print) -> None:
        for name, pid_file in (("worker", self.worker_pid), ("Prefect server", self.server_pid)):
            pid = pid_file.pid()
            if pid is not None and processes.stop(pid):
                say(f"{name}: stopped (pid {pid})")
            pid_file.remove()
        for pid in self._orphaned_flow_runs():
            if processes.stop(pid):
                say(f"flow run left by a worker that died: stopped (pid {pid})")
        for database in (self.database, EmbeddedServer(self.settings.demo().home)):
            if database.stop():
                say(f"PostgreSQL: stopped ({database.pgdata})")
        self.state_path.unlink(missing_ok=True)
        say("newsmon is down")

    def _orphaned_flow_runs(self) -> list[int]:
        """Flow runs of this home whose worker was killed (its own stop takes the others along): Prefect's engine
        processes (python -m prefect.engine) with this NEWSMON_HOME in their environment."""
        found = []
        for process in psutil.process_iter(["pid", "cmdline"]):
            try:
                if "prefect.engine" in " ".join(process.info["cmdline"] or ()) and (
                    process.environ().get("NEWSMON_HOME") == str(self.home)
                ):
                    found.append(process.info["pid"])
            except psutil.Error:  # gone meanwhile, or another user's
                continue
        return found


def _answers(api: str) -> bool:
    """/health answers true: the server runs."""
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=5) as response:
            return response.status == 200 and json.loads(response.read()) is True
    except (OSError, ValueError):
        return False


def _ready(api: str) -> bool:
    """/ready answers 200: the server reaches its database (/health says nothing of it)."""
    try:
        with urllib.request.urlopen(f"{api}/ready", timeout=10) as response:
            return response.status == 200
    except OSError:  # urllib raises HTTPError (an OSError) for the 503 of a server without its database
        return False


def _safely(check: Callable[[], bool]) -> bool:
    """A health check that may fail on the way (a server still starting answers errors): False then."""
    try:
        return check()
    except Exception:
        return False


def _port_taker(host: str, port: int) -> str | None:
    """Who listens on the port, if anyone: 'pid N (name)' when the system tells, else 'a listener'."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        if probe.connect_ex(("127.0.0.1" if host in ("0.0.0.0", "") else host, port)) != 0:
            return None
    try:
        for connection in psutil.net_connections(kind="tcp"):
            listening = connection.status == psutil.CONN_LISTEN and getattr(connection.laddr, "port", None) == port
            if listening and connection.pid:
                return f"pid {connection.pid}, {psutil.Process(connection.pid).name()}"
    except psutil.Error:
        pass
    return "a listener"


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
