"""`--experiment-name` (what `make batch-predict` passes): the job records its own MLflow run,
in one process, as `mlflow run -e batch_predict` would (test_batch_mlproject.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Run
from typer.testing import CliRunner

from mlflow_project.batch.cli import app
from mlflow_project.batch.tracking import ENTRY_POINT, ENTRY_POINT_TAG


@pytest.fixture(autouse=True)
def _not_under_mlflow_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)


def _runs(experiment: str) -> list[Run]:
    client = MlflowClient()
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"experiment {experiment} was not created"
    return client.search_runs([found.experiment_id])


def test_the_job_creates_the_experiment_and_records_a_finished_run(
        messy_csv: Path, out_dir: Path) -> None:
    output = out_dir / "p.parquet"
    result = CliRunner().invoke(app, ["--experiment-name", "batch-in-process", "--input",
                                      str(messy_csv), "--output", str(output),
                                      "--chunk-size", "100", "--no-progress"])
    assert result.exit_code == 0, result.stderr
    (run,) = _runs("batch-in-process")
    assert run.info.status == "FINISHED"
    assert run.data.tags[ENTRY_POINT_TAG] == ENTRY_POINT
    assert run.data.params["input"] == str(messy_csv)
    assert run.data.params["output"] == str(output)
    assert run.data.params["chunk_size"] == "100"
    assert run.data.params["model_version"] == "1"
    assert run.data.metrics["scored"] == 395
    assert run.data.metrics["rejected_rows"] == 5
    artifacts = {f.path for f in MlflowClient().list_artifacts(run.info.run_id)}
    assert "batch_summary.json" in artifacts


def test_a_refused_batch_leaves_a_failed_run(messy_csv: Path, out_dir: Path) -> None:
    result = CliRunner().invoke(app, ["--experiment-name", "batch-refused", "--input",
                                      str(messy_csv), "--output", str(out_dir / "p.csv"),
                                      "--max-reject-share", "0"])
    assert result.exit_code == 3
    (run,) = _runs("batch-refused")
    assert run.info.status == "FAILED"
    assert "scored" not in run.data.metrics


def test_without_an_experiment_name_nothing_is_recorded(messy_csv: Path, out_dir: Path) -> None:
    result = CliRunner().invoke(app, ["--input", str(messy_csv),
                                      "--output", str(out_dir / "p.csv")])
    assert result.exit_code == 0, result.stderr
    assert not MlflowClient().search_runs(
        [e.experiment_id for e in MlflowClient().search_experiments()],
        f"tags.`{ENTRY_POINT_TAG}` = '{ENTRY_POINT}' and params.output = '{out_dir / 'p.csv'}'")
