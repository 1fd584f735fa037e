"""The `tune` entry point through the real `mlflow run`: nested runs, the table, the winner."""

from __future__ import annotations

import json
import math
import re
import statistics
from pathlib import Path

import mlflow
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.io import write_table
from mlflow_project.training.config import ModelConfig
from mlflow_project.training.tune import Standing, decide
from tests.support import BIN, EXPERIMENT, Store

pytestmark = pytest.mark.integration


def test_tune_cross_validates_each_configuration_in_a_nested_run(store: Store,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "tickets.csv"
    write_table(generate_tickets(GeneratorConfig(rows=1500, seed=4)), str(data))
    store.ensure_experiment(EXPERIMENT)
    result = store.run(str(BIN / "mlflow"), "run", "mlflow_project", "-e", "tune",
                       "--env-manager", "local", "--experiment-name", EXPERIMENT,
                       "-P", f"data={data}", "-P", f"experiment_name={EXPERIMENT}",
                       "-P", "features=word", "-P", "C=0.5,8", "-P", "cv_folds=3",
                       "-P", "refit=never")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best by cv.pr_auc: train with --features word --C" in result.stdout
    assert re.search(r"^winner .* cv\.pr_auc \d\.\d{4} ± \d\.\d{4}", result.stdout, re.MULTILINE)
    assert re.search(r"^default +word C=1: cv\.pr_auc", result.stdout, re.MULTILINE)
    client = store.client()
    experiment = client.get_experiment_by_name(EXPERIMENT).experiment_id
    (parent,) = client.search_runs(
        [experiment], f"tags.mlflow.parentRunId IS NULL and params.data = '{data}'")
    children = client.search_runs([experiment],
                                  f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(float(c.data.params["C"]) for c in children) == [0.5, 1.0, 8.0]  # + default
    assert all("cv.pr_auc" in c.data.metrics and "cv.roc_auc.std" in c.data.metrics
               for c in children)
    fold_history = client.get_metric_history(children[0].info.run_id, "fold.pr_auc")
    assert sorted(m.step for m in fold_history) == [0, 1, 2]
    assert "refit.standard_error" in parent.data.metrics
    mlflow.set_tracking_uri(store.uri)
    table = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=parent.info.run_id, artifact_path="tune/configurations.json")).read_text())
    best = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=parent.info.run_id, artifact_path="tune/best_config.json")).read_text())
    winner = max(children, key=lambda c: c.data.metrics["cv.pr_auc"])
    assert best["C"] == float(winner.data.params["C"])
    assert len(table["data"]) == 3
    assert parent.data.params["cv_folds"] == "3"
    assert store.versions() == []  # tuning registers nothing


def test_tune_refuses_an_unknown_feature_set(store: Store, tmp_path: Path) -> None:
    result = store.run(str(BIN / "ticket-urgency"), "tune", "--data", str(tmp_path / "x.csv"),
                       "--features", "word,glyphs")
    assert result.returncode == 2
    assert "glyphs" in result.stderr


def test_a_winner_clearly_above_the_default_is_refitted_through_train_and_gated(
        store: Store, tmp_path: Path) -> None:
    """Urgent tickets carry a unique code containing "outage": word n-grams (min_df 2) cannot
    see it, character n-grams can, so word+char beats the default by far more than the noise."""
    tickets = generate_tickets(GeneratorConfig(rows=1200, seed=5))
    urgent = tickets["urgent"].astype(bool)
    tickets.loc[urgent, "description"] = [f"{text} zoutage{i}q" for i, text in
                                          enumerate(tickets.loc[urgent, "description"])]
    data = tmp_path / "tickets.csv"
    write_table(tickets, str(data))
    store.ensure_experiment(EXPERIMENT)
    result = store.run(str(BIN / "mlflow"), "run", "mlflow_project", "-e", "tune",
                       "--env-manager", "local", "--experiment-name", EXPERIMENT,
                       "-P", f"data={data}", "-P", f"experiment_name={EXPERIMENT}",
                       "-P", "features=word,word+char", "-P", "C=1", "-P", "cv_folds=3",
                       timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "-> refit (" in result.stdout
    client = store.client()
    experiment = client.get_experiment_by_name(EXPERIMENT).experiment_id
    (parent,) = client.search_runs(
        [experiment], f"tags.mlflow.parentRunId IS NULL and params.data = '{data}'")
    (refit,) = client.search_runs(
        [experiment], f"tags.mlflow.parentRunId = '{parent.info.run_id}' and "
                      "tags.`mlflow.project.entryPoint` = 'train'")
    assert refit.info.status == "FINISHED"
    assert (refit.data.params["features"], float(refit.data.params["C"])) == ("word+char", 1.0)
    assert refit.info.run_id in result.stdout
    (version,) = client.search_model_versions("name = 'ticket_urgency'")
    assert version.run_id == refit.info.run_id
    assert version.tags["validation_status"] in ("passed", "failed")  # judged by the gate
    challenger = client.get_model_version_by_alias("ticket_urgency", "challenger")
    assert (version.tags["validation_status"] == "passed") == (challenger.version ==
                                                                version.version)


def standing(features: str, c: float, *per_fold: float) -> Standing:
    return Standing(ModelConfig(features=features, C=c), per_fold)  # type: ignore[arg-type]


DEFAULT = ModelConfig()


def test_decide_refits_only_a_gain_above_one_standard_error_of_the_paired_differences() -> None:
    default = standing("word", 1.0, 0.80, 0.90, 0.70)
    steady = standing("word+char", 1.0, 0.82, 0.92, 0.72)  # +0.02 on every fold: SE 0
    decision = decide([default, steady], DEFAULT)
    assert decision.winner is steady
    assert decision.runner_up is default
    assert decision.gain == pytest.approx(0.02)
    assert decision.refit
    noisy = standing("word+char", 1.0, 0.90, 0.80, 0.73)  # +0.01 on average
    decision = decide([default, noisy], DEFAULT)
    assert decision.winner is noisy
    assert decision.gain == pytest.approx(0.01)
    assert decision.standard_error == pytest.approx(
        statistics.stdev([0.10, -0.10, 0.03]) / math.sqrt(3))
    assert not decision.refit
    assert "within the noise" in decision.summary


def test_decide_never_refits_a_winning_default() -> None:
    default = standing("word", 1.0, 0.9, 0.9, 0.9)
    decision = decide([standing("word", 4.0, 0.5, 0.6, 0.7), default], DEFAULT)
    assert decision.winner is default
    assert not decision.refit
    assert decision.summary.startswith("no refit: the default configuration is the best")
