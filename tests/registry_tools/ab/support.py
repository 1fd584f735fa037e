"""Helpers of the A/B tests (here and in tests/deploy): the trained store and its copies.

Two model versions are trained once per session with the project's real training job (data
validation, fit, registration, gate) in a subprocess, into a throw-away SQLite store: v1 promoted
to @production, v2 @challenger (passed the gate). Each test that changes the registry gets its
own copy of the store's database (the artifacts are shared, read-only). The fixtures that use
these helpers (`trained_store`, `registry`, `fake_cloud_run`, `service_path`) are in
tests/conftest.py, the nearest conftest shared by tests/registry_tools/ab and tests/deploy.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient
from typer.testing import CliRunner, Result

from deploy.ab.cli import app

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


def copy_store(trained: Path, into: Path) -> Registry:
    """A copy of the store's database (registry state of its own) sharing its artifacts."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(trained / "mlflow.db", into / "mlflow.db")
    return Registry(f"sqlite:///{into / 'mlflow.db'}")


def ab(*args: str) -> Result:
    """Run `registry-tools ab ARGS` in-process (the sub-app, before it is mounted)."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)
