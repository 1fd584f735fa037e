"""Airflow's tests run in Airflow's own environment (`.venv-airflow`, `make airflow-test`).

Airflow reads its configuration when it is first imported, so this file points it at a private
AIRFLOW_HOME, SQLite metadata database and the repository's DAGs *before* anything imports it.
The project's commands are called as subprocesses from its own environment (`PROJECT_BIN`,
default `<repo>/.venv/bin`), exactly as the DAGs call them; nothing here imports MLflow.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from airflow_support import (
    AIRFLOW_MEMORY,
    AIRFLOW_VENV_HINT,
    DAG_WALL_TIMES,
    DAGS_FOLDER,
    REPO,
    Project,
    Webhook,
    missing,
)

# Not just find_spec("airflow"): without Airflow installed, the repository's own airflow/ folder
# would be found as a namespace package (origin None). Nothing is imported by this check.
_SPEC = find_spec("airflow")
AIRFLOW_PRESENT = _SPEC is not None and _SPEC.origin is not None

if AIRFLOW_PRESENT:
    _HOME = Path(tempfile.mkdtemp(prefix="airflow-test-home-"))
    atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
    os.environ.update({
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # retries keep their real count and backoff; only the base delay is short in tests
        "TU_RETRY_DELAY_SECONDS": "1",
    })
    for _name in ("AIRFLOW_CONFIG", "PROJECT_DIR", "TU_TASK_RETRIES", "TU_ALERT_WEBHOOK"):
        os.environ.pop(_name, None)
    # what Airflow's dags-folder bundle does for the scheduler and workers: DAG files import
    # their helper package from the DAGs folder
    sys.path.insert(0, str(DAGS_FOLDER))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how long each DAG took end to end, and Airflow's memory under airflow-up."""
    if DAG_WALL_TIMES:
        terminalreporter.section("DAG wall times")
        for name, seconds in DAG_WALL_TIMES.items():
            terminalreporter.write_line(f"{name}: {', '.join(f'{s:.1f}' for s in seconds)} s")
    if AIRFLOW_MEMORY:
        terminalreporter.section("Airflow memory under airflow-up (MiB; RSS counts shared pages "
                                 "once per process, PSS splits them)")
        for name, value in AIRFLOW_MEMORY.items():
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="session")
def project_bin() -> Path:
    """The bin folder of the project's environment (PROJECT_BIN, default <repo>/.venv/bin)."""
    path = Path(os.environ.get("PROJECT_BIN") or REPO / ".venv" / "bin")
    needed = ("ticket-urgency", "registry-tools", "mlflow", "python", "gunicorn")
    absent = [name for name in needed if not os.access(path / name, os.X_OK)]
    if absent:
        missing(f"the project's environment at {path} lacks {', '.join(absent)}: run "
                "`make install` (or set PROJECT_BIN to its bin folder)")
    return path


@pytest.fixture(scope="module")
def project(project_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A private SQLite tracking store per test module (its tests build on each other)."""
    root = tmp_path_factory.mktemp("mlflow-store")
    return Project(bin=project_bin, root=root, tracking_uri=f"sqlite:///{root / 'mlflow.db'}")


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata tables in the private SQLite database, created once."""
    if not AIRFLOW_PRESENT:
        pytest.skip(AIRFLOW_VENV_HINT)
    from airflow.utils import db

    db.initdb()


@pytest.fixture
def dagbag(airflow_db: None) -> Any:
    """The repository's DAGs, parsed afresh for each test as the dag-processor parses them.

    Fresh, because `dag.test(run_conf=...)` leaves the conf in the DAG object's params, where
    the next in-process run would see it (a worker parses the DAG anew for every task).
    """
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A recording webhook on 127.0.0.1, fresh for each test."""
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            hook.messages.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
