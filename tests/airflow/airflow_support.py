"""Helpers of the Airflow tests (importable without Airflow: nothing here imports it)."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "airflow" / "dags"
AIRFLOW_VENV_HINT = "Airflow's tests run in .venv-airflow: make airflow-test"

DAG_WALL_TIMES: dict[str, list[float]] = {}
AIRFLOW_MEMORY: dict[str, Any] = {}  # measured by the airflow-up test


def record_wall_time(name: str, seconds: float) -> None:
    """Remember a DAG run's wall time for the summary at the end of the session."""
    DAG_WALL_TIMES.setdefault(name, []).append(seconds)


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(message: str) -> None:
    """Something a test needs is absent: a failure in CI, a skip (saying how to get it)
    elsewhere."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Project:
    """Runs the project's commands against one private MLflow store, as the DAG tasks do."""

    bin: Path
    root: Path
    tracking_uri: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "MLFLOW_TRACKING_URI": self.tracking_uri,
               "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "TU_ACTOR": "airflow-test",
               "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", **extra}
        for name in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
            env.pop(name, None)
        return env

    def run(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """`<PROJECT_BIN>/<args[0]> args[1:]`; fails the test with its output if it fails."""
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=REPO, env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=False)
        assert done.returncode == 0, (f"{' '.join(args)} exited {done.returncode}:\n"
                                      f"{done.stdout}\n{done.stderr}")
        return done

    def generate(self, out: Path, rows: int = 1500, seed: int = 11) -> Path:
        """Synthetic tickets from the project's generator."""
        self.run("python", "-m", "demo", "generate", "--rows", str(rows), "--seed", str(seed),
                 "--out", str(out))
        return out

    def code_hash(self) -> str:
        """The training code's hash, part of every version's fingerprint."""
        return self.run("python", "-c", "from mlflow_project.training.lineage import "
                        "code_sha256; print(code_sha256())").stdout.strip()

    def versions(self) -> list[dict[str, Any]]:
        """`registry-tools status --json`: every registered version (oldest first), with its
        aliases as a list."""
        rows = json.loads(self.run("registry-tools", "status", "--json").stdout)
        assert isinstance(rows, list)
        for row in rows:  # the CLI joins aliases with commas
            row["aliases"] = sorted(filter(None, str(row["aliases"]).split(",")))
        return sorted(rows, key=lambda row: int(row["version"]))


@dataclass
class Webhook:
    """A local HTTP endpoint that accepts JSON POSTs and keeps them."""

    url: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def events(self) -> list[str]:
        return [str(m.get("event")) for m in self.messages]

    def last(self, event: str) -> dict[str, Any]:
        found = [m for m in self.messages if m.get("event") == event]
        assert found, f"no {event!r} message; received {self.events()}"
        return found[-1]


def run_dag(dag: Any, name: str, **kwargs: Any) -> Any:
    """`dag.test(...)`, timed; returns the finished DagRun (its state is the test's to assert)."""
    started = time.monotonic()
    run = dag.test(**kwargs)
    record_wall_time(name, time.monotonic() - started)
    return run


def task_states(run: Any) -> dict[str, tuple[str | None, int]]:
    """task_id -> (state, try_number) of a finished run."""
    return {ti.task_id: (str(ti.state) if ti.state else None, ti.try_number)
            for ti in run.get_task_instances()}


def xcom(run: Any, task_id: str) -> Any:
    """The return value a task of the run pushed."""
    ti = run.get_task_instance(task_id)
    assert ti is not None, f"no task instance {task_id}"
    return ti.xcom_pull(task_ids=task_id)


def load_airflow_local() -> ModuleType:
    """`airflow/scripts/airflow_local.py` (what `make airflow-up/down` run) as a module."""
    path = REPO / "airflow" / "scripts" / "airflow_local.py"
    spec = importlib.util.spec_from_file_location("airflow_local", path)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules.get("airflow_local")
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["airflow_local"] = module
        spec.loader.exec_module(module)
    return module


def wrapper_bin(folder: Path, project_bin: Path, scripts: dict[str, str]) -> Path:
    """A PROJECT_BIN whose commands are the real ones except `scripts` (name -> sh body; `@REAL@`
    stands for the real bin folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("ticket-urgency", "registry-tools", "mlflow", "python"):
        target = folder / name
        if name in scripts:
            target.write_text("#!/bin/sh\n" + scripts[name].replace("@REAL@", str(project_bin)))
            target.chmod(0o755)
        else:
            target.symlink_to(project_bin / name)
    return folder
