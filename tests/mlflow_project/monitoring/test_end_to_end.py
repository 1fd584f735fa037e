"""A registered, promoted model and a day of its prediction logs, monitored the two ways the
platform runs it: `mlflow run -e monitor` (reference found through lineage) and
`python -m mlflow_project.monitoring` (the exit code the DAG maps)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from google.cloud.monitoring_v3 import CreateTimeSeriesRequest

from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
from demo.traffic import log_records, write_jsonl
from mlflow_project.cloud_metrics import names
from mlflow_project.data.io import write_table
from mlflow_project.monitoring.watched_model import find_version, load_watched_model
from mlflow_project.registry.store import move_alias
from mlflow_project.runs import ensure_experiment
from mlflow_project.settings import ProjectSettings
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.job import train
from tests.deploy.cloudrun.descriptors_support import descriptors, mismatches
from tests.mlflow_project.cloud_metrics.fake_monitoring import fake_monitoring
from tests.support import BIN, Store, make_store

pytestmark = pytest.mark.integration

EXPERIMENT = "ticket_urgency-monitoring"
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
WINDOW = ("--since", SINCE.isoformat(), "--until", UNTIL.isoformat())


@dataclass(frozen=True)
class Deployment:
    """The store with `ticket_urgency@production`, its training data and two days of logs."""

    store: Store
    data: Path
    calm_logs: Path
    drifted_logs: Path
    feedback: Path


def _traffic(model, rows: int, seed: int, drift: DriftConfig, folder: Path) -> pd.DataFrame:
    tickets = generate_tickets(GeneratorConfig(rows=rows, seed=seed, drift=drift))
    tickets["ticket_id"] = [f"LIVE-{seed}-{i}" for i in range(rows)]
    write_jsonl(log_records(tickets, model.scorer, model_name=model.name,
                            model_version=model.version, start=SINCE, end=UNTIL, seed=seed),
                folder / "predictions-host-1.jsonl")
    return tickets


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    root = tmp_path_factory.mktemp("monitoring-e2e")
    store = make_store(root / "store")
    data = root / "tickets.csv"
    write_table(generate_tickets(GeneratorConfig(rows=3000, seed=42)), str(data))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", store.uri)
        mlflow.set_tracking_uri(store.uri)
        try:
            with warnings.catch_warnings():  # MLflow's own notes while logging the model
                warnings.simplefilter("ignore")
                outcome = train(TrainConfig(data=str(data), experiment_name="ticket_urgency"),
                                ProjectSettings(actor="monitoring-test"))
            assert outcome.version is not None
            move_alias(store.client(), "ticket_urgency", "production", outcome.version,
                       actor="monitoring-test", reason="end-to-end test")
            model = load_watched_model(find_version("models:/ticket_urgency@production"))
            calm = _traffic(model, 800, 7, DriftConfig(), root / "calm")
            with (root / "calm" / "predictions-host-1.jsonl").open("a") as handle:
                handle.write('{"record_version": 1, "truncated by a crash\n')
            _traffic(model, 800, 8, DriftConfig(source_shift=0.6, new_vocabulary=0.3),
                     root / "drifted")
            labels = pd.concat([calm.iloc[:400][["ticket_id", "urgent"]],
                                pd.DataFrame({"ticket_id": ["OLD-1"], "urgent": [1]})])
            labels.to_csv(root / "feedback.csv", index=False)
            ensure_experiment(EXPERIMENT, None)
        finally:
            mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    return Deployment(store, data, root / "calm", root / "drifted", root / "feedback.csv")


def _monitor(deployment: Deployment, *args: str, extra_env: dict[str, str] | None = None):
    return deployment.store.run(sys.executable, "-m", "mlflow_project.monitoring", *args,
                                extra_env=extra_env)


def _cloud(mode: str, **more: str) -> dict[str, str]:
    return {"TU_CLOUD_METRICS_MODE": mode, "TU_CLOUD_METRICS_PROJECT": "test-project-1", **more}


def test_mlflow_run_logs_metrics_and_the_report_with_the_lineage_reference(
        deployment: Deployment, tmp_path: Path) -> None:
    params = {"logs": deployment.calm_logs, "since": SINCE.isoformat(),
              "until": UNTIL.isoformat(), "feedback": deployment.feedback, "out": tmp_path}
    args = [part for key, value in params.items() for part in ("-P", f"{key}={value}")]
    result = deployment.store.run(str(BIN / "mlflow"), "run", "mlflow_project", "-e", "monitor",
                                  "--env-manager", "local", "--experiment-name", EXPERIMENT,
                                  *args)
    assert result.returncode == 0, result.stderr[-3000:]
    client = deployment.store.client()
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    metrics = run.data.metrics
    for name in ("drift.source.p_value", "drift.customer_tier.p_value", "drift.text.p_value",
                 "drift.text.components_drifted", "drift.text_length.p_value",
                 "drift.oov_share.p_value", "prediction.score.p_value",
                 "prediction.urgent_rate", "quality.f1", "quality.roc_auc", "latency.p99_ms"):
        assert name in metrics, name
    assert metrics["status.drift"] == 0.0
    assert metrics["volume.records"] == 800.0
    assert metrics["volume.malformed_lines"] == 1.0
    assert metrics["quality.labelled"] == 400.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"report.html", "summary.json"} <= artifacts
    assert run.data.tags["monitor.status"] == "ok"
    digest = hashlib.sha256(deployment.data.read_bytes()).hexdigest()
    assert run.data.params["reference_sha256"] == digest
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["reference"]["origin"] == "lineage of ticket_urgency version 1"
    assert summary["reference"]["model_checks_use"].startswith("evaluation/holdout.parquet")
    assert summary["mlflow"]["run_id"] == run.info.run_id


def test_no_drift_exits_0_and_reports_the_malformed_line(deployment: Deployment,
                                                         tmp_path: Path) -> None:
    result = _monitor(deployment, "--logs", str(deployment.calm_logs), *WINDOW,
                      "--engine", "scipy", "--correction", "fdr", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:7]] == [
        "source", "customer_tier", "text", "text_length", "oov_share", "score", "urgent_rate"]
    assert f"summary: {tmp_path / 'summary.json'}" in lines
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "ok"
    assert summary["counts"]["malformed_lines"] == 1
    assert summary["counts"]["records"] == 800
    assert summary["quality"] is None
    assert (tmp_path / "report.html").stat().st_size > 50_000


def test_drift_exits_10(deployment: Deployment, tmp_path: Path) -> None:
    result = _monitor(deployment, "--logs", str(deployment.drifted_logs), *WINDOW,
                      "--out", str(tmp_path))
    assert result.returncode == 10, result.stderr[-3000:]
    assert "status: drift (exit 10)" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["checks"]["source"]["drift"]
    assert summary["checks"]["oov_share"]["drift"]


def test_a_missing_reference_exits_3(deployment: Deployment, tmp_path: Path) -> None:
    result = _monitor(deployment, "--logs", str(deployment.calm_logs), *WINDOW,
                      "--reference", str(tmp_path / "gone.csv"), "--out", str(tmp_path / "o"))
    assert result.returncode == 3
    assert f"input unusable: reference unusable: {tmp_path / 'gone.csv'}: no such file" in (
        result.stderr)
    assert not (tmp_path / "o").exists()


def test_a_dry_run_prints_the_cloud_monitoring_request_of_the_run(deployment: Deployment,
                                                                   tmp_path: Path) -> None:
    result = _monitor(deployment, "--logs", str(deployment.drifted_logs), *WINDOW,
                      "--engine", "scipy", "--out", str(tmp_path), extra_env=_cloud("dry-run"))
    assert result.returncode == 10, result.stderr[-3000:]
    printed = json.loads(result.stdout[result.stdout.index("\n[") + 1:])
    [request] = [CreateTimeSeriesRequest.from_json(json.dumps(entry)) for entry in printed]
    assert request.name == "projects/test-project-1"
    known = descriptors()
    assert [problem for series in request.time_series
            for problem in mismatches(series, known)] == []
    verdicts = {series.metric.labels["feature"]: series.points[0].value.int64_value
                for series in request.time_series if series.metric.type == names.DRIFT_VERDICT}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert verdicts == {name: int(check["drift"]) for name, check in summary["checks"].items()}
    assert verdicts["source"] == 1
    assert len(summary["cloud_metrics"]) == len(request.time_series)


def test_points_cloud_monitoring_would_refuse_fail_in_one_line_after_the_run_is_recorded(
        deployment: Deployment, tmp_path: Path) -> None:
    with fake_monitoring() as fake:
        result = _monitor(deployment, "--logs", str(deployment.calm_logs), *WINDOW,
                          "--engine", "scipy", "--out", str(tmp_path),
                          extra_env=_cloud("on", CLOUD_MONITORING_EMULATOR_HOST=fake.address))
        assert fake.requests == []
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert line.startswith("error: the run is recorded, but its metrics are not in Cloud "
                           f"Monitoring: {names.ROWS_WATCHED}: a point at {UNTIL.isoformat()} "
                           "is outside what Cloud Monitoring accepts")
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "ok"


def _calm_records(deployment: Deployment, folder: Path, count: int, **changes: str) -> Path:
    """The first `count` records of the calm day, with `changes` to each, as a log folder."""
    folder.mkdir()
    lines = (deployment.calm_logs / "predictions-host-1.jsonl").read_text().splitlines()[:count]
    (folder / "predictions-host-1.jsonl").write_text(
        "".join(json.dumps({**json.loads(line), **changes}) + "\n" for line in lines))
    return folder


def test_five_records_exit_13_with_insufficient_data_and_only_rows_watched_points(
        deployment: Deployment, tmp_path: Path) -> None:
    logs = _calm_records(deployment, tmp_path / "logs", 5)
    result = _monitor(deployment, "--logs", str(logs), *WINDOW, "--out", str(tmp_path / "o"),
                      extra_env=_cloud("dry-run"))
    assert result.returncode == 13, result.stderr[-3000:]
    line = "insufficient data: 5 of 100 required records of model ticket_urgency v1"
    assert f"status: {line} (exit 13)" in result.stdout
    assert ("watched: ticket_urgency v1: 5 records (100 required); other versions in the "
            "window: none") in result.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert (summary["status"], summary["status_line"]) == ("insufficient_data", line)
    assert summary["checks"] == {}
    assert summary["watched"]["records"] == 5
    assert line in (tmp_path / "o" / "report.html").read_text()
    printed = json.loads(result.stdout[result.stdout.index("\n[") + 1:])
    [request] = [CreateTimeSeriesRequest.from_json(json.dumps(entry)) for entry in printed]
    [series] = request.time_series
    assert series.metric.type == names.ROWS_WATCHED
    assert series.points[0].value.int64_value == 5


def test_a_window_of_another_version_is_insufficient_data_naming_both(
        deployment: Deployment, tmp_path: Path) -> None:
    logs = _calm_records(deployment, tmp_path / "logs", 300, model_version="7")
    result = _monitor(deployment, "--logs", str(logs), *WINDOW, "--out", str(tmp_path / "o"))
    assert result.returncode == 13, result.stderr[-3000:]
    line = ("insufficient data: 0 of 100 required records of model ticket_urgency v1 (the "
            "window holds ticket_urgency v7: 300 records)")
    assert f"status: {line} (exit 13)" in result.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["status_line"] == line
    assert summary["watched"]["records_by_version"] == {"ticket_urgency v7": 300}
    assert summary["counts"]["records"] == 300
    assert summary["checks"] == {}


def test_the_floor_is_configurable(deployment: Deployment, tmp_path: Path) -> None:
    result = _monitor(deployment, "--logs", str(deployment.calm_logs), *WINDOW,
                      "--engine", "scipy", "--out", str(tmp_path),
                      extra_env={"TU_MONITOR_MIN_RECORDS": "801"})
    assert result.returncode == 13, result.stderr[-3000:]
    assert ("status: insufficient data: 800 of 801 required records of model ticket_urgency v1 "
            "(exit 13)") in result.stdout
