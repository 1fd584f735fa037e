"""`local-stack up` and the A/B rehearsal refuse a port another process holds, before starting
anything: otherwise a stranger on that port could answer their health checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.local.ab.settings import AbSettings
from deploy.local.ab.target import LocalTarget
from deploy.local.processes import StackError
from tests.support import free_port, held_port

BIN = Path(sys.executable).parent


@pytest.mark.integration
def test_stack_up_refuses_a_busy_mlflow_port_before_starting_anything(tmp_path: Path) -> None:
    """PostgreSQL is deliberately unreachable: the port is checked first, so it is not asked."""
    run_dir = tmp_path / "run"
    with held_port() as port:
        env = {**os.environ, "STACK_RUN_DIR": str(run_dir), "STACK_MLFLOW_PORT": str(port),
               "STACK_GCS_PORT": str(free_port()),
               "STACK_POSTGRES_URI": "postgresql+psycopg2://postgres@127.0.0.1:1/never"}
        result = subprocess.run([str(BIN / "local-stack"), "up"], env=env, capture_output=True,
                                text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.startswith(
        f"error: mlflow-server cannot start: port {port} on 127.0.0.1 is busy (pid {os.getpid()}: ")
    assert result.stderr.rstrip().endswith("; choose another with STACK_MLFLOW_PORT=...")
    assert len(result.stderr.splitlines()) == 1
    assert not run_dir.exists()  # no pid file, no log: the emulator was not started either


def test_ab_up_refuses_a_busy_proxy_port_before_starting_a_server(tmp_path: Path) -> None:
    with held_port() as port:
        target = LocalTarget(AbSettings(run_dir=tmp_path, proxy_port=port), service="svc",
                             model_name="ticket_urgency", tracking_uri="sqlite:///unused.db")
        with pytest.raises(StackError) as refused:
            target.up("1")
    assert str(refused.value).startswith(f"nginx cannot start: port {port} on 127.0.0.1 is busy")
    assert str(refused.value).endswith("choose another with AB_PROXY_PORT=...")
    assert list(tmp_path.rglob("*.pid")) == []
    assert not (tmp_path / "state.json").exists()
