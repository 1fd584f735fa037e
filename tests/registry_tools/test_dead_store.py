"""registry-tools with a dead tracking server: one line naming it, exit 1, nothing moved.

MLflow's own HTTP defaults kept `registry-tools promote` retrying a closed port for minutes;
every CLI now applies the project's retry/timeout defaults (`mlflow_project.tracking_store`).
The seconds a failure takes are measured by `make probe-dead-store`, not asserted here.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from deploy.local.processes import start, stop
from mlflow_project.registry import audit
from mlflow_project.registry.gate import GatePolicy
from mlflow_project.registry.lock import live_tickets
from mlflow_project.tracking_store import HTTP_DEFAULTS, unreachable_server
from registry_tools.promotion import promote
from tests.support import BIN, free_port, mlflow_server

MODEL = "ticket_urgency"
HANG_GUARD = 60  # seconds: MLflow's defaults took over 200 s; the project's take a few


def _closed_port_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HTTP_DEFAULTS}
    env["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{port}"
    return env


@pytest.mark.parametrize("command", [
    ("promote", "--version", "1"),
    ("promote", "--from", "challenger"),
    ("rollback",),
    ("status",),
    ("history",),
])
def test_a_dead_tracking_server_is_one_line_naming_it_and_exit_1(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    port = free_port()
    result = subprocess.run([str(BIN / "registry-tools"), *command], cwd=tmp_path,
                            env=_closed_port_env(port), capture_output=True, text=True,
                            timeout=HANG_GUARD, check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    first, last = result.stderr.strip().splitlines()  # no warning per retried attempt
    assert first.startswith("tracking store: ")
    assert re.fullmatch(rf"error: tracking server http://127\.0\.0\.1:{port} unreachable "
                        r"\(.*Connection refused\)", last), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


class _DyingClient(MlflowClient):
    """A client of a real server that stops the server right before reading the candidate,
    i.e. after the registry lock was taken and before any alias moved."""

    def __init__(self, tracking_uri: str, kill: Iterator[None]) -> None:
        super().__init__(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self._kill = kill

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        next(self._kill, None)
        return super().get_model_version(name, version)


@pytest.fixture
def store_with_production(tmp_path: Path) -> str:
    """A SQLite store: v1 @production (one audited promotion), v2 awaiting promotion."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(MODEL)
    for _ in range(2):
        client.create_model_version(MODEL, "mlflow-artifacts:/model", tags={})
    promote(client, MODEL, "1", actor="test", reason="first", policy=GatePolicy(), force=True)
    return uri


def test_a_server_dying_mid_promotion_moves_no_alias_and_writes_no_audit_entry(
        store_with_production: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = MlflowClient(tracking_uri=store_with_production)
    history = audit.entries(before, MODEL)
    port = free_port()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    service = mlflow_server(store_with_production, run_dir, port)
    start(service, run_dir, timeout=180)

    def kill_once() -> Iterator[None]:
        stop(service, run_dir)
        yield

    for variable, value in HTTP_DEFAULTS.items():
        monkeypatch.setenv(variable, value)
    try:
        client = _DyingClient(f"http://127.0.0.1:{port}", kill_once())
        with pytest.raises(MlflowException) as raised:
            promote(client, MODEL, "2", actor="test", reason="second", policy=GatePolicy(),
                    force=True)
    finally:
        stop(service, run_dir)
    assert unreachable_server(raised.value) is not None
    after = MlflowClient(tracking_uri=store_with_production)
    assert str(after.get_model_version_by_alias(MODEL, "production").version) == "1"
    assert audit.entries(after, MODEL) == history
    assert not after.get_model_version(MODEL, "2").aliases
    # the lock ticket taken before the server died stays until its lease ends (it names its
    # holder, so a waiter's LockTimeout says who): a dead server cannot be told to delete it
    assert [t.holder for t in live_tickets(after, MODEL)] == ["test: promote v2"]
