"""Helpers for tests that run the project's real commands against a real MLflow store."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXPERIMENT = "ticket_urgency_tests"


@dataclass(frozen=True)
class Store:
    """A private tracking store and the environment that points every command at it."""

    root: Path
    uri: str
    env: dict[str, str]

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
        self.run(str(BIN / "ticket-urgency"), "ensure-experiment", "--name", EXPERIMENT)
        args = ["-P", f"data={data}", "-P", f"experiment_name={EXPERIMENT}"]
        for param in params:
            args += ["-P", param]
        return self.run(str(BIN / "mlflow"), "run", "mlflow_project", "-e", "train",
                        "--env-manager", "local", "--experiment-name", EXPERIMENT, *args,
                        extra_env=extra_env)

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
