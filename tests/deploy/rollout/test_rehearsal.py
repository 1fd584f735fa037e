"""`make rollout-rehearsal` for real (nginx, gunicorn, a SQLite registry), and `ab start`
refusing, on the local target, a challenger that fails its smoke test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from contracts.traffic import Route
from deploy.local.ab import nginx
from deploy.local.ab.servers import free_port
from deploy.local.ab.state import load_state
from mlflow_project.registry.naming import STATUS_PASSED, TAG_VALIDATION_STATUS
from tests.deploy.conftest import REPO, require_tool
from tests.registry_tools.ab.support import MODEL, Registry, ab, copy_store

pytestmark = pytest.mark.integration


def nginx_or_none() -> str | None:
    try:
        return nginx.binary()
    except nginx.NginxError:
        return None


def test_the_rehearsal_rolls_a_healthy_version_out_and_a_broken_one_back(
        tmp_path: Path) -> None:
    require_tool(nginx_or_none(), "nginx", nginx.INSTALL_HINT)
    result = subprocess.run(
        [sys.executable, "-m", "deploy.rollout.rehearsal", "--run-dir",
         str(tmp_path / "run"), "--window-seconds", "3"],
        cwd=REPO, capture_output=True, text=True, timeout=400, check=False)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    ordered = [
        "rollout of model v2 (ticket-urgency-api-v2)",
        "smoke test of http://127.0.0.1:", "GET /metadata: model version 2",
        "step 10%: ticket-urgency-api-v1 (v1) 90% [production], ticket-urgency-api-v2 (v2) 10%",
        "step 50%:", "step 100%: ticket-urgency-api-v2 (v2) 100% [production]",
        "done: ticket-urgency-api-v2 (model v2) serves all traffic",
        "rollout of model v3 (ticket-urgency-api-v3)", "GET /metadata: model version 3",
        "step 10%: ticket-urgency-api-v2 (v2) 90% [production], ticket-urgency-api-v3 (v3) 10%",
        "rollback: ticket-urgency-api-v2 (v2) 100% [production]",
        "rolled back: step 10% breached",
        "ok   v2 done", "ok   v3 rolled back",
        "ok   ticket-urgency-api-v2 serves 100% at the end",
        "ok   no failed request outside v3 (0 seen)", "rehearsal passed"]
    position = 0
    for line in ordered:  # each after the one before
        position = out.index(line, position) + len(line)
    assert "step 50%: ticket-urgency-api-v2 (v2) 50%" not in out  # v3 never got past 10 %
    assert "FAIL" not in out


@pytest.fixture
def with_broken_challenger(trained_store: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """v1 @production, v3 passed the gate but fails every `web` ticket (the smoke ticket's
    source); the rehearsal serves v1 on a port of its own."""
    require_tool(nginx_or_none(), "nginx", nginx.INSTALL_HINT)
    from demo.flaky import register_flaky
    from demo.model import fit_demo_pipeline

    registry = copy_store(trained_store, tmp_path / "store")
    for key, value in {"MLFLOW_TRACKING_URI": registry.uri, "TU_ACTOR": "deploy-tests",
                       "AB_RUN_DIR": str(tmp_path / "ab"), "AB_PROXY_PORT": str(free_port()),
                       "AB_TARGET": "local", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"
                       }.items():
        monkeypatch.setenv(key, value)
    mlflow.set_tracking_uri(registry.uri)
    broken = register_flaky(fit_demo_pipeline(rows=1000, seed=3, min_df=1), "deploy-tests",
                            ["web"])
    assert broken.version == "3"
    registry.client().set_model_version_tag(MODEL, "3", TAG_VALIDATION_STATUS, STATUS_PASSED)
    assert ab("up").exit_code == 0
    try:
        yield registry
    finally:
        assert ab("down").exit_code == 0


def test_ab_start_refuses_a_challenger_failing_its_smoke_test_and_gives_it_no_traffic(
        with_broken_challenger: Registry, tmp_path: Path) -> None:
    result = ab("start", "--version", "3", "--percent", "20", "--reason", "rehearsal")
    assert result.exit_code == 3
    assert "failed its smoke test and got no traffic" in result.output
    assert "/predict answered 500" in result.output
    routes = load_state(tmp_path / "ab").routes
    assert routes == [Route("ticket-urgency-api-v1", 100, "production"),
                      Route("ticket-urgency-api-v3", 0, "challenger")]
    assert "ab" not in with_broken_challenger.tags("3")
