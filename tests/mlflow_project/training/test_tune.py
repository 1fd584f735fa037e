"""The `tune` entry point through the real `mlflow run`: nested runs, the table, the winner."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.io import write_table
from tests.support import BIN, EXPERIMENT, Store

pytestmark = pytest.mark.integration


def test_tune_cross_validates_each_configuration_in_a_nested_run(store: Store,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "tickets.csv"
    write_table(generate_tickets(GeneratorConfig(rows=1500, seed=4)), str(data))
    store.run(str(BIN / "ticket-urgency"), "ensure-experiment", "--name", EXPERIMENT)
    result = store.run(str(BIN / "mlflow"), "run", "mlflow_project", "-e", "tune",
                       "--env-manager", "local", "--experiment-name", EXPERIMENT,
                       "-P", f"data={data}", "-P", f"experiment_name={EXPERIMENT}",
                       "-P", "features=word", "-P", "C=0.5,8", "-P", "cv_folds=3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best by cv.pr_auc: train with --features word --C" in result.stdout
    client = store.client()
    experiment = client.get_experiment_by_name(EXPERIMENT).experiment_id
    (parent,) = client.search_runs([experiment], "tags.mlflow.parentRunId IS NULL")
    children = client.search_runs([experiment],
                                  f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(float(c.data.params["C"]) for c in children) == [0.5, 8.0]
    assert all("cv.pr_auc" in c.data.metrics and "cv.roc_auc.std" in c.data.metrics
               for c in children)
    mlflow.set_tracking_uri(store.uri)
    table = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=parent.info.run_id, artifact_path="tune/configurations.json")).read_text())
    best = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=parent.info.run_id, artifact_path="tune/best_config.json")).read_text())
    winner = max(children, key=lambda c: c.data.metrics["cv.pr_auc"])
    assert best["C"] == float(winner.data.params["C"])
    assert len(table["data"]) == 2
    assert parent.data.params["cv_folds"] == "3"
    assert store.versions() == []  # tuning registers nothing


def test_tune_refuses_an_unknown_feature_set(store: Store, tmp_path: Path) -> None:
    result = store.run(str(BIN / "ticket-urgency"), "tune", "--data", str(tmp_path / "x.csv"),
                       "--features", "word,glyphs")
    assert result.returncode == 2
    assert "glyphs" in result.stderr
