"""Helpers for tests that run the project's real commands against a real MLflow store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mlflow import MlflowClient

from deploy.local.processes import Service

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXPERIMENT = "ticket_urgency_tests"
ADMIN_URI = os.environ.get("TEST_POSTGRES_URI",
                           "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Store:
    """A private tracking store and the environment that points every command at it."""

    root: Path
    uri: str
    env: dict[str, str]
    # experiments `ensure-experiment` has created here: `make train` ensures one before every
    # `mlflow run`; it is idempotent, so a store pays for it (a process start) once
    ensured: set[str] = field(default_factory=set, compare=False, repr=False)

    def client(self) -> MlflowClient:
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def run(self, *command: str, extra_env: dict[str, str] | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """Run a project command (a console script of the venv) against this store."""
        return subprocess.run(list(command), cwd=REPO, env={**self.env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=timeout, check=False)

    def train(self, data: Path, *params: str, extra_env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
        """`mlflow run mlflow_project -e train` exactly as the README gives it."""
        return self.run(*self.train_command(data, *params), extra_env=extra_env)

    def train_command(self, data: Path, *params: str) -> list[str]:
        """The command line of `train` (run it from REPO with `env`); ensures its experiment."""
        self.ensure_experiment(EXPERIMENT)
        args = ["-P", f"data={data}", "-P", f"experiment_name={EXPERIMENT}"]
        for param in params:
            args += ["-P", param]
        return [str(BIN / "mlflow"), "run", "mlflow_project", "-e", "train", "--env-manager",
                "local", "--experiment-name", EXPERIMENT, *args]

    def ensure_experiment(self, name: str) -> None:
        """`ticket-urgency ensure-experiment --name NAME`, unless it already succeeded here."""
        if name not in self.ensured and self.run(
                str(BIN / "ticket-urgency"), "ensure-experiment", "--name", name).returncode == 0:
            self.ensured.add(name)

    def versions(self, name: str = "ticket_urgency") -> list[str]:
        found = self.client().search_model_versions(f"name = '{name}'")
        return sorted((str(v.version) for v in found), key=int)


def make_store(root: Path) -> Store:
    """A fresh SQLite store under `root`, with the venv's scripts first on PATH."""
    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PATH": f"{BIN}:{os.environ['PATH']}",
           "TU_ACTOR": "integration-test", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    for key in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
        env.pop(key, None)
    return Store(root=root, uri=uri, env=env)


def admin_sql(statement: str) -> None:
    """Run one statement on the PostgreSQL maintenance database, outside a transaction."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(ADMIN_URI)
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                  password=url.password, dbname=url.database, connect_timeout=5)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def require_postgres() -> None:
    """Fail (CI=true) or skip, saying how to get one, when PostgreSQL is not reachable."""
    import psycopg2
    from sqlalchemy.engine import make_url

    try:
        admin_sql("SELECT 1")
    except psycopg2.OperationalError as exc:
        url = make_url(ADMIN_URI)
        message = (f"PostgreSQL is not reachable at {url.host}:{url.port} ({str(exc).strip()}); "
                   "install and start PostgreSQL (e.g. apt-get install postgresql) or set "
                   "TEST_POSTGRES_URI")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def held_port() -> Iterator[int]:
    """A loopback port a real socket of this process listens on until the block ends."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@contextmanager
def gcs_emulator(bucket: str | None = None) -> Iterator[str]:
    """An in-process GCS emulator on a free loopback port, holding `bucket` if given (else no
    bucket at all); yields its URL
    (what STORAGE_EMULATOR_HOST must say). Without gcp-storage-emulator, or when it cannot
    start: a failure in CI, a skip elsewhere."""
    try:
        from gcp_storage_emulator.server import create_server

        port = free_port()
        server = create_server("127.0.0.1", port, in_memory=True, default_bucket=bucket)
        server.start()
    except (ImportError, OSError) as exc:
        message = (f"the GCS emulator cannot start ({exc}); pip install gcp-storage-emulator "
                   "(a dev dependency)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def mlflow_server(backend_store_uri: str, run_dir: Path, port: int) -> Service:
    """A real `mlflow server` (one worker, jobs off) on `backend_store_uri`, artifacts and pid
    file under `run_dir`; start and stop it with `deploy.local.processes`."""
    return Service(
        name="mlflow-server",
        command=[str(BIN / "mlflow"), "server", "--backend-store-uri", backend_store_uri,
                 "--default-artifact-root", str(run_dir / "artifacts"), "--host", "127.0.0.1",
                 "--port", str(port), "--workers", "1"],
        health_url=f"http://127.0.0.1:{port}/health", marker=str(run_dir),
        env={"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
