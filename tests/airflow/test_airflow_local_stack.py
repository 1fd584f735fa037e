"""`make airflow-up` / `airflow-down` for real: Airflow's components on loopback with their
metadata in a throw-away PostgreSQL database, a training run triggered through the REST API the
way a person triggers it from the UI (no logical date), and a stop that leaves nothing behind.

Needs PostgreSQL on 127.0.0.1:5432 (or TEST_POSTGRES_URI): a failure in CI, a skip elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("airflow.sdk", reason="Airflow's tests run in .venv-airflow: make airflow-test")

from airflow_support import (
    AIRFLOW_MEMORY,
    REPO,
    Project,
    free_port,
    load_airflow_local,
    missing,
    record_wall_time,
)

SCRIPT = REPO / "airflow" / "scripts" / "airflow_local.py"
ADMIN_URI = os.environ.get("TEST_POSTGRES_URI",
                           "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def admin_sql(statement: str, *params: object, fetch: bool = False,
              database: str | None = None) -> list[tuple[Any, ...]]:
    """Run one statement (outside a transaction) on the maintenance or a given database."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(ADMIN_URI)
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                  password=url.password, dbname=database or url.database,
                                  connect_timeout=5)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall()) if fetch else []
    finally:
        connection.close()


@pytest.fixture(scope="module")
def postgres_uri() -> Iterator[str]:
    """A metadata database that does not exist yet (airflow-up creates it); dropped after."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(ADMIN_URI)
    try:
        admin_sql("SELECT 1")
    except psycopg2.OperationalError as exc:
        missing(f"PostgreSQL is not reachable at {url.host}:{url.port} ({str(exc).strip()}); "
                "install and start it (e.g. apt-get install postgresql) or set "
                "TEST_POSTGRES_URI")
    database = f"airflow_up_test_{os.getpid()}"
    admin_sql(f'DROP DATABASE IF EXISTS "{database}"')
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Airflow:
    """`airflow/scripts/airflow_local.py` with a private run folder, port and database."""

    def __init__(self, run_dir: Path, port: int, env: dict[str, str]) -> None:
        self.run_dir, self.port, self.env = run_dir, port, env
        self.url = f"http://127.0.0.1:{port}"
        self._token: str | None = None
        self.data = Path()

    def cli(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(SCRIPT), *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def pids(self) -> dict[str, int]:
        return {p.stem: json.loads(p.read_text())["pid"] for p in self.run_dir.glob("*.pid")}

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call Airflow's REST API as the generated admin (the UI's own login)."""
        if self._token is None:
            password = json.loads(
                (self.run_dir / "simple_auth_manager_passwords.json.generated").read_text())
            self._token = self._request("POST", "/auth/token", {
                "username": "admin", "password": password["admin"]})["access_token"]
        return self._request(method, f"/api/v2{path}", body)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(f"{self.url}{path}", method=method, headers=headers,
                                         data=json.dumps(body).encode() if body else None)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (waiting for its parent to collect it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def airflow(postgres_uri: str, project: Project, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Airflow]:
    """A private airflow-up (stopped at the end whatever happens)."""
    root = tmp_path_factory.mktemp("airflow-up")
    data = project.generate(root / "tickets.csv")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("AIRFLOW") and key not in ("TU_ALERT_WEBHOOK",)}
    port = free_port()
    env.update({"AIRFLOW_RUN_DIR": str(root / "run"), "AIRFLOW_PORT": str(port),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres_uri,
                "AIRFLOW_STARTUP_TIMEOUT": "240",
                "PROJECT_BIN": str(project.bin), "MLFLOW_TRACKING_URI": project.tracking_uri,
                # the scheduled run unpausing creates finds no data yet: it retries, then fails
                "TU_TRAINING_DATA_SOURCE": str(root / "not-there-yet.csv"),
                "TU_SNAPSHOT_DIR": str(root / "snapshots"), "TU_RETRY_DELAY_SECONDS": "1"})
    under_test = Airflow(root / "run", port, env)
    under_test.data = data
    try:
        yield under_test
    finally:
        under_test.cli("down")


def test_up_on_postgres_trigger_from_the_api_and_down(airflow: Airflow, postgres_uri: str,
                                                      project: Project) -> None:
    started = time.monotonic()
    up = airflow.cli("up")
    record_wall_time("airflow-up (PostgreSQL, 4 components, until healthy)",
                     time.monotonic() - started)

    assert up.returncode == 0, up.stdout + up.stderr
    password = json.loads(
        (airflow.run_dir / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
    assert f"{airflow.url}" in up.stdout
    assert f"login: admin / {password}" in up.stdout
    assert "PostgreSQL" in up.stdout
    pids = airflow.pids()
    assert sorted(pids) == ["api-server", "dag-processor", "scheduler", "triggerer"]

    again = airflow.cli("up")  # idempotent: nothing new is started
    assert again.returncode == 0, again.stderr
    assert "was already running" in again.stdout
    assert airflow.pids() == pids

    # unpausing creates today's scheduled run (catchup off); its source is not there: it is
    # retried with backoff by the real scheduler, then fails. Then a person's manual trigger
    # from the UI: no logical date, another source, auto-promotion asked for.
    deadline = time.monotonic() + 120
    while "ticket_urgency_training" not in {d["dag_id"] for d in
                                            airflow.api("GET", "/dags")["dags"]}:
        assert time.monotonic() < deadline, "the dag-processor did not parse the DAGs in 120 s"
        time.sleep(1)
    airflow.api("PATCH", "/dags/ticket_urgency_training", {"is_paused": False})
    triggered = airflow.api("POST", "/dags/ticket_urgency_training/dagRuns",
                            {"logical_date": None,
                             "conf": {"auto_promote": True, "data_source": str(airflow.data)}})
    run_id = triggered["dag_run_id"]
    assert triggered["logical_date"] is None
    started = time.monotonic()
    state = "queued"
    while state in ("queued", "running") and time.monotonic() - started < 300:
        time.sleep(2)
        state = airflow.api("GET", f"/dags/ticket_urgency_training/dagRuns/{run_id}")["state"]
        memory = json.loads(airflow.cli("status", "--json").stdout)
        for key in ("total_rss_mib", "total_pss_mib"):
            peak = f"peak_during_run_{key}"
            AIRFLOW_MEMORY[peak] = max(float(AIRFLOW_MEMORY.get(peak, 0)), memory[key])
    record_wall_time("ticket_urgency_training (airflow-up, REST trigger, queued to done)",
                     time.monotonic() - started)

    tasks = airflow.api("GET", f"/dags/ticket_urgency_training/dagRuns/{run_id}/taskInstances")
    assert state == "success", {t["task_id"]: t["state"] for t in tasks["task_instances"]}
    # the run and its tasks are in the PostgreSQL metadata database
    database = postgres_uri.rsplit("/", 1)[1]
    rows = admin_sql("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s",
                     "ticket_urgency_training", run_id, fetch=True, database=database)
    assert rows == [("success",)]
    assert [(v["version"], v["aliases"]) for v in project.versions()] == [("1", ["production"])]
    runs = airflow.api("GET", "/dags/ticket_urgency_training/dagRuns")["dag_runs"]
    scheduled = [r for r in runs if r["run_type"] == "scheduled"]
    assert [r["state"] for r in scheduled] == ["failed"]
    extract = airflow.api("GET", f"/dags/ticket_urgency_training/dagRuns/"
                                 f"{scheduled[0]['dag_run_id']}/taskInstances/extract")
    assert (extract["state"], extract["try_number"]) == ("failed", 3)  # 2 retries, then failed

    status = json.loads(airflow.cli("status", "--json").stdout)
    assert all(c["running"] for c in status["components"])
    assert status["total_rss_mib"] > 100
    AIRFLOW_MEMORY["idle_after_run"] = {c["component"]: (c["rss_mib"], c["pss_mib"])
                                        for c in status["components"]}

    members = _all_members(airflow)
    started = time.monotonic()
    down = airflow.cli("down")
    record_wall_time("airflow-down", time.monotonic() - started)
    assert down.returncode == 0, down.stderr
    assert down.stdout.count(": stopped (pid") == 4, down.stdout
    assert not [pid for pid in members if alive(pid)]
    assert list(airflow.run_dir.glob("*.pid")) == []
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        urllib.request.urlopen(f"{airflow.url}/api/v2/monitor/health", timeout=2)


def _all_members(airflow: Airflow) -> list[int]:
    """Every process of every component's session (the component and what it forked)."""
    airflow_local = load_airflow_local()
    found = []
    for component, pid in airflow.pids().items():
        started = airflow_local.read_pid_file(
            airflow_local.Config(run_dir=airflow.run_dir, port=airflow.port, components=(),
                                 startup_timeout=1, database_uri="", airflow_bin=Path()),
            component)
        assert started is not None
        assert started.pid == pid
        found += started.members()
    assert len(found) >= 4
    return found
