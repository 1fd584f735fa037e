"""The real stack's start-up time, memory, and train-and-register time against the embedded default.

Starts a private stack (own ports, run folder and database; PostgreSQL on 127.0.0.1:5432 or
STACK_POSTGRES_URI), then in the same run:
  - cold `local-stack up` (from nothing) and warm `local-stack up` (already running: a no-op),
  - the stack's resident memory (server and its workers, emulator),
  - `mlflow run ... -e train` on the same data against the stack and against a SQLite store.
Run: make bench-stack
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ADMIN_URI = os.environ.get("STACK_POSTGRES_URI",
                           "postgresql+psycopg2://postgres@127.0.0.1:5432/mlflow").rsplit("/", 1)[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=REPO, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def _admin(statement: str) -> None:
    url = make_url(f"{ADMIN_URI}/postgres")
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                  password=url.password, dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def _train(env: dict[str, str], data: Path) -> float:
    _timed([str(BIN / "ticket-urgency"), "ensure-experiment", "--name", "bench"], env)
    return _timed([str(BIN / "mlflow"), "run", "mlflow_project", "-e", "train",
                   "--env-manager", "local", "--experiment-name", "bench",
                   "-P", f"data={data}", "-P", "experiment_name=bench"], env)


def main() -> None:
    """Print the figures as a small table."""
    from deploy.local.stack.settings import StackSettings
    from deploy.local.stack.stack import status

    database = f"mlflow_bench_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = StackSettings(run_dir=Path(tmp) / "run", mlflow_port=_free_port(),
                                 gcs_port=_free_port(),
                                 postgres_uri=f"{ADMIN_URI}/{database}")
        env = {**os.environ, "STACK_RUN_DIR": str(settings.run_dir),
               "STACK_POSTGRES_URI": settings.postgres_uri,
               "STACK_MLFLOW_PORT": str(settings.mlflow_port),
               "STACK_GCS_PORT": str(settings.gcs_port),
               "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
               "PATH": f"{BIN}:{os.environ['PATH']}"}
        data = Path(tmp) / "tickets.csv"
        _timed([str(BIN / "python"), "-m", "demo", "generate", "--rows", "5000",
                "--out", str(data)], env)
        try:
            cold = _timed([str(BIN / "local-stack"), "up"], env)
            warm = _timed([str(BIN / "local-stack"), "up"], env)
            memory = {s.name: s.rss_mb or 0.0 for s in status(settings)}
            on_stack = _train({**env, "MLFLOW_TRACKING_URI": settings.tracking_uri}, data)
            embedded = _train({**env, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db"}, data)
        finally:
            subprocess.run([str(BIN / "local-stack"), "down"], env=env, check=False,
                           capture_output=True)
            _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"{'measure':44} {'value':>10}")
    print(f"{'stack-up, cold (s)':44} {cold:10.1f}")
    print(f"{'stack-up, warm: already running (s)':44} {warm:10.2f}")
    for name, rss in memory.items():
        print(f"{'memory of ' + name + ' (MB RSS)':44} {rss:10.0f}")
    print(f"{'train+register 5k tickets, stack (s)':44} {on_stack:10.1f}")
    print(f"{'train+register 5k tickets, embedded (s)':44} {embedded:10.1f}")
    print(f"{'stack / embedded':44} {on_stack / embedded:9.2f}x")


if __name__ == "__main__":
    main()
