"""Run Airflow 3 on this machine, on loopback: `up`, `down`, `status` (`make airflow-up` ...).

`up` starts Airflow's components as separate processes (api-server, scheduler, dag-processor,
triggerer; the same split as docker-compose.yml), each in its own session with its pid and log in
the run folder, waits until Airflow's health endpoint reports every one of them healthy, and prints
the UI address and the login. Parts already running are left alone, so `up` is idempotent.

`airflow ARGS...` runs Airflow's own CLI against the same home and metadata database (e.g.
`airflow dags trigger ticket_urgency_training`).

`down` stops only what `up` started: a pid file records the pid *and* the process start time, and
a pid whose start time differs (the pid was recycled by another process) is never signalled.

Run it with the Python of Airflow's environment (`.venv-airflow/bin/python`). Settings
(environment variables; see airflow/README.md):

  AIRFLOW_RUN_DIR          run folder = AIRFLOW_HOME (default <repo>/.run/airflow): airflow.cfg,
                           SQLite metadata, pids, component logs, task logs
  AIRFLOW_PORT             UI/API port on 127.0.0.1 (default 8081: `make serve` has 8080)
  AIRFLOW_COMPONENTS       which components (default "api-server scheduler dag-processor triggerer")
  AIRFLOW_STARTUP_TIMEOUT  seconds to wait for health (default 180)
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
                           metadata database (default SQLite in the run folder); a
                           postgresql+psycopg2:// URI is created when missing
  AIRFLOW__CORE__PARALLELISM  default 4 (small machines)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "airflow" / "dags"
ALL_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
HEALTH_KEYS = {"scheduler": "scheduler", "dag-processor": "dag_processor",
               "triggerer": "triggerer"}
# Airflow 3.3's scheduler and triggerer each start a log server (ports 8793 and 8794) bound to
# every interface: `airflow.utils.serve_logs` passes host="" to uvicorn and no setting changes it.
# Here every component runs on one machine with one log folder, and the API server reads task logs
# from those files (a running task's log too; the UI adds a "could not read served logs" line), so
# the log servers are not started and nothing listens beyond loopback.
COMPONENT_OPTIONS = {"scheduler": ("--skip-serve-logs",), "triggerer": ("--skip-serve-logs",)}
STOP_TIMEOUT_SECONDS = 30
ADMIN_USER = "admin"


class AirflowLocalError(RuntimeError):
    """Something is in the way of starting or stopping; the message says what to do."""


@dataclass(frozen=True)
class Config:
    """Where and how the local Airflow runs."""

    run_dir: Path
    port: int
    components: tuple[str, ...]
    startup_timeout: float
    database_uri: str
    airflow_bin: Path

    @property
    def url(self) -> str:
        """The UI and REST API."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def password_file(self) -> Path:
        """Where Airflow's simple auth manager writes the generated admin password."""
        return self.run_dir / "simple_auth_manager_passwords.json.generated"

    def pid_file(self, component: str) -> Path:
        return self.run_dir / f"{component}.pid"

    def log_file(self, component: str) -> Path:
        return self.run_dir / f"{component}.log"


def load_config() -> Config:
    """Read the settings from the environment, with a clear error for a bad value."""
    run_dir = Path(os.environ.get("AIRFLOW_RUN_DIR") or REPO / ".run" / "airflow").resolve()
    try:
        port = int(os.environ.get("AIRFLOW_PORT") or 8081)
        timeout = float(os.environ.get("AIRFLOW_STARTUP_TIMEOUT") or 180)
    except ValueError as exc:
        raise AirflowLocalError(f"AIRFLOW_PORT / AIRFLOW_STARTUP_TIMEOUT: {exc}") from None
    components = tuple((os.environ.get("AIRFLOW_COMPONENTS") or " ".join(ALL_COMPONENTS)).split())
    unknown = sorted(set(components) - set(ALL_COMPONENTS))
    if unknown or "api-server" not in components or "scheduler" not in components:
        raise AirflowLocalError(f"AIRFLOW_COMPONENTS={' '.join(components)!r}: choose from "
                                f"{' '.join(ALL_COMPONENTS)}; api-server and scheduler are needed")
    database = (os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
                or f"sqlite:///{run_dir / 'airflow.db'}")
    return Config(run_dir=run_dir, port=port, components=components, startup_timeout=timeout,
                  database_uri=database, airflow_bin=Path(sys.executable).parent / "airflow")


def airflow_environment(config: Config) -> dict[str, str]:
    """The environment every component gets: loopback, small-machine limits, our DAGs."""
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(config.run_dir),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": config.database_uri,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(config.port),
        "AIRFLOW__API__BASE_URL": config.url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{config.url}/execution/",
        "PATH": os.pathsep.join([str(config.airflow_bin.parent), env.get("PATH", "")]),
    })
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    env.setdefault("AIRFLOW__API__WORKERS", "1")
    env.setdefault("AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES", "1")
    env.setdefault("PROJECT_DIR", str(REPO))
    env.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{REPO / '.mlflow' / 'mlflow.db'}")
    return env


# --- processes -----------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 (state) on, or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    return stat.rsplit(")", 1)[1].split()


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22), or None if it is gone."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def session_id(pid: int) -> int | None:
    """The session id of a live (not zombie) process (field 6), or None."""
    fields = _stat(pid)
    return int(fields[3]) if fields and fields[0] != "Z" else None


def running(pid: int, ticks: int) -> bool:
    """That very process (same start time: not a recycled pid) runs and is not a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == ticks


@dataclass(frozen=True)
class Started:
    """What a pid file records about a component `up` started."""

    component: str
    pid: int
    start_ticks: int

    def alive(self) -> bool:
        """The very process we started still runs (not a recycled pid, not a zombie)."""
        return running(self.pid, self.start_ticks)

    def members(self) -> list[int]:
        """Our process and its descendants: every process of the session we started.

        The pid we started is the session id. Linux never hands out a pid that is still some
        process's session id, so while a member lives the session is ours; if the leader's pid now
        belongs to a process with another start time, none of our members is left.
        """
        leader = start_ticks(self.pid)
        if leader is not None and leader != self.start_ticks:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and session_id(int(entry.name)) == self.pid:
                found.append(int(entry.name))
        return sorted(found)


def read_pid_file(config: Config, component: str) -> Started | None:
    """The pid file of a component, or None when there is none (or it is unreadable)."""
    path = config.pid_file(component)
    try:
        data = json.loads(path.read_text())
        return Started(component=component, pid=int(data["pid"]),
                       start_ticks=int(data["start_ticks"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def component_command(config: Config, component: str) -> list[str]:
    """The command line of one component (without the log servers that would listen on every
    interface: see COMPONENT_OPTIONS)."""
    return [str(config.airflow_bin), component, *COMPONENT_OPTIONS.get(component, ())]


def start_component(config: Config, component: str, env: dict[str, str]) -> Started:
    """Start one component in its own session; record its pid and start time."""
    log = config.log_file(component).open("ab")
    log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} airflow {component} ===\n".encode())
    log.flush()
    command = component_command(config, component)
    process = subprocess.Popen(command, env=env, cwd=config.run_dir,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    log.close()
    ticks = None
    for _ in range(50):
        ticks = start_ticks(process.pid)
        if ticks is not None:
            break
        time.sleep(0.02)
    if ticks is None:
        raise AirflowLocalError(f"{component} exited at once; see {config.log_file(component)}")
    started = Started(component=component, pid=process.pid, start_ticks=ticks)
    config.pid_file(component).write_text(json.dumps(
        {"pid": started.pid, "start_ticks": started.start_ticks, "component": component,
         "command": command}) + "\n")
    return started


def stop_component(config: Config, component: str) -> str:
    """Stop what `up` started for this component; say what happened."""
    started = read_pid_file(config, component)
    if started is None:
        config.pid_file(component).unlink(missing_ok=True)
        return f"{component}: not started by airflow-up"
    members = started.members()
    if not members:
        config.pid_file(component).unlink(missing_ok=True)
        return f"{component}: not running (pid {started.pid} is gone or now another process)"
    if started.alive():
        _signal(started.pid, signal.SIGTERM)  # the component stops its own children first
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while started.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
    leftovers = started.members()
    for pid in leftovers:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while started.members() and time.monotonic() < deadline:
        time.sleep(0.2)
    killed = started.members()
    for pid in killed:
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while started.members() and time.monotonic() < deadline:
        time.sleep(0.1)
    config.pid_file(component).unlink(missing_ok=True)
    forced = f"; {len(killed)} killed after ignoring SIGTERM" if killed else ""
    return f"{component}: stopped (pid {started.pid}, {len(members)} processes{forced})"


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """Total RSS and PSS (proportional: shared pages split among sharers) of these processes."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


# --- database, health, login ---------------------------------------------------------------

def ensure_database(uri: str) -> None:
    """Create a PostgreSQL metadata database that does not exist yet (SQLite needs nothing)."""
    if not uri.startswith("postgresql"):
        return
    import psycopg2  # in Airflow's environment through apache-airflow[postgres]
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    try:
        connection = psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                      password=url.password, dbname="postgres", connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise AirflowLocalError(f"PostgreSQL at {url.host}:{url.port} is not reachable: "
                                f"{str(exc).strip()}") from None
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{url.database}"')
                print(f"created PostgreSQL database {url.database}")
    finally:
        connection.close()


def migrate(config: Config, env: dict[str, str]) -> None:
    """`airflow db migrate`: creates or upgrades the metadata schema (quick when up to date)."""
    with config.log_file("db-migrate").open("ab") as log:
        code = subprocess.call([str(config.airflow_bin), "db", "migrate"], env=env,
                               cwd=config.run_dir, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise AirflowLocalError(f"airflow db migrate failed (exit {code}); see "
                                f"{config.log_file('db-migrate')}")


def health(config: Config) -> dict[str, Any] | None:
    """Airflow's /api/v2/monitor/health, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{config.url}/api/v2/monitor/health", timeout=5) as answer:
            data = json.loads(answer.read())
            return data if isinstance(data, dict) else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def unhealthy(config: Config, report: dict[str, Any] | None) -> list[str]:
    """Which of our components the health report does not call healthy yet."""
    if report is None:
        return ["api-server"]
    waiting = [] if _healthy(report, "metadatabase") else ["metadatabase"]
    for component in config.components:
        key = HEALTH_KEYS.get(component)
        if key and not _healthy(report, key):
            waiting.append(component)
    return waiting


def _healthy(report: dict[str, Any], key: str) -> bool:
    part = report.get(key)
    return isinstance(part, dict) and part.get("status") == "healthy"


def require_free_port(port: int) -> None:
    """Raise AirflowLocalError (`port N on 127.0.0.1 is busy (pid ...); choose another with
    AIRFLOW_PORT=...`) when a process airflow-up did not start holds the API server's port.

    The check is the project's one (`contracts.ports`, standard library only), imported from
    the checkout: this script runs in Airflow's environment, where the project is not installed.
    """
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    from contracts.ports import PortBusy, require_free

    try:
        require_free("127.0.0.1", port, variable="AIRFLOW_PORT")
    except PortBusy as exc:
        raise AirflowLocalError(f"{exc} (airflow-up did not start it)") from exc


def admin_password(config: Config) -> str | None:
    """The password Airflow generated for `admin` (simple auth manager), once it exists."""
    try:
        return str(json.loads(config.password_file.read_text())[ADMIN_USER])
    except (OSError, ValueError, KeyError):
        return None


# --- commands ------------------------------------------------------------------------------

def up(config: Config) -> int:
    """Start what is not running yet, wait until healthy, print the address and the login."""
    config.run_dir.mkdir(parents=True, exist_ok=True)
    env = airflow_environment(config)
    running = {c for c in config.components if (s := read_pid_file(config, c)) and s.alive()}
    missing = [c for c in config.components if c not in running]
    if missing:
        if "api-server" in missing:
            require_free_port(config.port)
        ensure_database(config.database_uri)
        print(f"airflow db migrate ({_database_label(config.database_uri)}) ...", flush=True)
        migrate(config, env)
    started = []
    try:
        for component in missing:
            started.append(start_component(config, component, env))
            print(f"started {component} (pid {started[-1].pid}), log "
                  f"{config.log_file(component)}", flush=True)
        wait_healthy(config, started)
    except BaseException:
        for component in (s.component for s in started):
            print(stop_component(config, component), file=sys.stderr)
        raise
    password = admin_password(config)
    print(f"\nAirflow {'was already running' if not missing else 'is up'}: {config.url}")
    print(f"  login: {ADMIN_USER} / {password or '(not generated yet)'}  "
          f"(from {config.password_file})")
    print(f"  metadata: {_database_label(config.database_uri)}; AIRFLOW_HOME={config.run_dir}")
    print(f"  DAGs: {DAGS_FOLDER}; logs and pids: {config.run_dir}; stop: make airflow-down")
    return 0


def wait_healthy(config: Config, started: list[Started]) -> None:
    """Until the health endpoint calls every component healthy; fail fast if one dies."""
    deadline = time.monotonic() + config.startup_timeout
    waiting: list[str] = []
    while time.monotonic() < deadline:
        for s in started:
            if not s.alive():
                raise AirflowLocalError(f"{s.component} exited during start-up; last lines of "
                                        f"{config.log_file(s.component)}:\n"
                                        f"{_tail(config.log_file(s.component))}")
        waiting = unhealthy(config, health(config))
        if not waiting and admin_password(config):
            return
        time.sleep(1)
    raise AirflowLocalError(f"not healthy after {config.startup_timeout:.0f} s (waiting for "
                            f"{', '.join(waiting) or 'the admin password'}); logs in "
                            f"{config.run_dir}")


def down(config: Config) -> int:
    """Stop every component `up` started (and nothing else)."""
    for component in reversed(ALL_COMPONENTS):
        if config.pid_file(component).exists():
            print(stop_component(config, component))
    return 0


def status(config: Config, as_json: bool = False) -> int:
    """What runs, its pid and memory (RSS and PSS of each component's processes), and health."""
    rows: list[dict[str, Any]] = []
    for component in ALL_COMPONENTS:
        started = read_pid_file(config, component)
        members = started.members() if started else []
        rss, pss = memory_kib(members)
        rows.append({"component": component, "pid": started.pid if started else None,
                     "running": bool(started and started.alive()), "processes": len(members),
                     "rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1)})
    report = health(config)
    total_rss = round(sum(r["rss_mib"] for r in rows), 1)
    total_pss = round(sum(r["pss_mib"] for r in rows), 1)
    if as_json:
        print(json.dumps({"url": config.url, "components": rows, "health": report,
                          "total_rss_mib": total_rss, "total_pss_mib": total_pss}, indent=2))
        return 0
    for r in rows:
        state = "running" if r["running"] else "stopped"
        print(f"  {r['component']:<14} {state:<8} pid {r['pid'] or '-':<8} "
              f"{r['processes']:>2} processes  RSS {r['rss_mib']:>7} MiB  "
              f"PSS {r['pss_mib']:>7} MiB")
    print(f"  {'total':<14} {'':<8} {'':<12} {'':>12}  RSS {total_rss:>7} MiB  "
          f"PSS {total_pss:>7} MiB")
    healthy = report is not None and not unhealthy(config, report)
    print(f"  {config.url}: {'healthy' if healthy else 'not healthy'}")
    return 0


def _database_label(uri: str) -> str:
    if uri.startswith("sqlite"):
        return f"SQLite {uri.removeprefix('sqlite:///')}"
    from sqlalchemy.engine import make_url

    return f"PostgreSQL {make_url(uri).render_as_string(hide_password=True)}"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start Airflow on 127.0.0.1 (no-op for parts already running)")
    sub.add_parser("down", help="stop what `up` started")
    status_parser = sub.add_parser("status", help="components, pids, memory, health")
    status_parser.add_argument("--json", action="store_true", help="print JSON")
    cli_parser = sub.add_parser("airflow", help="Airflow's CLI on this home and database")
    cli_parser.add_argument("args", nargs=argparse.REMAINDER, help="e.g. dags list")
    args = parser.parse_args(argv)
    try:
        config = load_config()
        if args.command == "airflow":
            env = airflow_environment(config)
            os.execve(config.airflow_bin, [str(config.airflow_bin), *args.args], env)
        if args.command == "up":
            return up(config)
        if args.command == "down":
            return down(config)
        return status(config, as_json=args.json)
    except AirflowLocalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
