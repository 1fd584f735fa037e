"""Fixtures of the deploy and A/B tests.

Two model versions are trained once per session with the project's real training job (data
validation, fit, registration, gate) in a subprocess, into a throw-away SQLite store: v1 promoted
to @production, v2 @challenger (passed the gate). Each test that changes the registry gets its
own copy of the store's database (the artifacts are shared, read-only). The Cloud Run tests talk
to `fake_cloud_run` through the real `google-cloud-run` client.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner, Result

from deploy.cloudrun.settings import CloudRunSettings
from registry_tools.ab.cli import app
from tests.deploy.cloudrun.fake_cloud_run import FakeCloudRun, serve

REPO = Path(__file__).resolve().parents[2]
MODEL = "ticket_urgency"
TRAIN = """
import logging, sys, warnings
warnings.filterwarnings("ignore"); logging.getLogger("mlflow").setLevel(logging.ERROR)
from mlflow import MlflowClient
from mlflow_project.data.io import write_table
from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.settings import ProjectSettings
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.job import train
from registry_tools.promotion import promote
data = sys.argv[1]
write_table(generate_tickets(GeneratorConfig(rows=2000, seed=5)), data)
# generous margins: v2 only has to pass, these tests are not about the gate
settings = ProjectSettings(actor="deploy-tests", gate_margin_roc_auc=0.2, gate_margin_pr_auc=0.3,
                           gate_margin_recall=0.5)
first = train(TrainConfig(data=data, experiment_name="deploy-tests", min_df=1), settings)
promote(MlflowClient(), "ticket_urgency", first.version, actor="deploy-tests",
        reason="first production", policy=settings.gate_policy)
second = train(TrainConfig(data=data, experiment_name="deploy-tests", min_df=1, C=4.0), settings)
assert (first.version, second.version) == ("1", "2"), (first, second)
assert second.decision is not None and second.decision.passed, second.decision
"""


@dataclass(frozen=True)
class Registry:
    """A private copy of the trained store: v1 @production, v2 @challenger."""

    uri: str

    def client(self) -> MlflowClient:
        """A client bound to this store."""
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def production(self) -> str:
        """The version @production points at."""
        return str(self.client().get_model_version_by_alias(MODEL, "production").version)

    def tags(self, version: str) -> dict[str, str]:
        """The tags of one version."""
        return dict(self.client().get_model_version(MODEL, version).tags)


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's store with two trained, gated versions (about 10 s)."""
    root = tmp_path_factory.mktemp("deploy-store")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    result = subprocess.run([sys.executable, "-c", TRAIN, str(root / "tickets.csv")], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def copy_store(trained: Path, into: Path) -> Registry:
    """A copy of the store's database (registry state of its own) sharing its artifacts."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(trained / "mlflow.db", into / "mlflow.db")
    return Registry(f"sqlite:///{into / 'mlflow.db'}")


@pytest.fixture
def registry(trained_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """This test's own registry, which every `ab` command of the test uses."""
    copied = copy_store(trained_store, tmp_path / "store")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", copied.uri)
    monkeypatch.setenv("TU_ACTOR", "deploy-tests")
    return copied


@pytest.fixture
def fake_cloud_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    """A fake Admin API on loopback; `CLOUD_RUN_API_ENDPOINT` points `ab` at it."""
    fake = FakeCloudRun()
    with serve(fake) as url:
        monkeypatch.setenv("CLOUD_RUN_API_ENDPOINT", url)
        yield fake


@pytest.fixture
def service_path() -> str:
    """The resource name of the default service (the roadmap's project, region, service)."""
    return CloudRunSettings().service_path


def ab(*args: str) -> Result:
    """Run `registry-tools ab ARGS` in-process (the sub-app, before it is mounted)."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def require_tool(found: str | None, tool: str, how: str) -> str:
    """The tool's path; a failure in CI (CI=true), a skip elsewhere, saying how to get it."""
    if found is None:
        message = f"{tool} is not installed: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found
