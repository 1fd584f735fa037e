"""The Makefile's server targets check their port first: a busy one stops make before any server
(or, for `make demo`, any training) starts, with the one line naming the port and the variable."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import REPO, held_port

pytestmark = pytest.mark.integration


def make(*args: str, store: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    """`make ARGS` in the checkout against a private store (MAKEFLAGS of a calling make unset)."""
    base = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO,
                          env={**base, "MLFLOW_TRACKING_URI": f"sqlite:///{store}", **(env or {})},
                          capture_output=True, text=True, timeout=300, check=False)


def test_make_ui_on_a_busy_port_exits_non_zero_without_starting_mlflow(tmp_path: Path) -> None:
    with held_port() as port:
        result = make("ui", f"PORT={port}", store=tmp_path / "mlflow.db")
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"error: port {port} on 127.0.0.1 is busy (pid {os.getpid()}: " in result.stderr
    assert "choose another with PORT=..." in result.stderr
    assert "mlflow ui" not in result.stdout


def test_make_demo_on_a_busy_port_stops_before_training(tmp_path: Path) -> None:
    with held_port() as port:
        result = make("demo", f"DEMO_PORT={port}", f"DEMO_DIR={tmp_path / 'demo'}",
                      store=tmp_path / "mlflow.db")
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"error: port {port} on 127.0.0.1 is busy" in result.stderr
    assert "choose another with DEMO_PORT=..." in result.stderr
    assert "generate" not in result.stdout
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize(("args", "env", "port"), [
    ((), {"PORT": "8123"}, "5000"),  # PORT in the environment is make serve's, not the UI's
    (("PORT=5001",), {}, "5001"),
])
def test_make_ui_takes_its_port_from_the_command_line_only(
        tmp_path: Path, args: tuple[str, ...], env: dict[str, str], port: str) -> None:
    result = make("-n", "ui", *args, store=tmp_path / "mlflow.db", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"-m contracts.ports 127.0.0.1 {port} --variable PORT" in result.stdout
    assert f"--host 127.0.0.1 --port {port}\n" in result.stdout
