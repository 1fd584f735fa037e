"""The real `mlflow run` CLI end to end on a SQLite store: register, gate, promote, refuse.

The tests in this module share one store and run in order: first version, retrain (no duplicate),
promotion, a worse model refused by the gate, then bad data refused.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.cloud_metrics import names
from mlflow_project.data.io import write_table
from mlflow_project.registry.version_record import read_record
from tests.mlflow_project.cloud_metrics.fake_monitoring import fake_monitoring
from tests.support import BIN, EXPERIMENT, Store, free_port

pytestmark = pytest.mark.integration

MODEL = "ticket_urgency"


def test_first_run_registers_a_gated_challenger_with_lineage(store: Store,
                                                             tickets_csv: Path) -> None:
    result = store.train(tickets_csv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "gate: passed" in result.stdout
    client = store.client()
    assert store.versions() == ["1"]
    version = client.get_model_version(MODEL, "1")
    assert client.get_model_version_by_alias(MODEL, "challenger").version in ("1", 1)
    tags = version.tags
    assert tags["validation_status"] == "passed"
    assert tags["data_sha256"] == hashlib.sha256(tickets_csv.read_bytes()).hexdigest()
    assert len(tags["fingerprint"]) == 64
    assert tags["git_commit"]
    assert 0.0 < float(tags["threshold"]) < 1.0
    assert float(tags["metric.roc_auc"]) > 0.85
    assert len(tags) <= 12, sorted(tags)  # what a person filters on; the rest is in lineage.json
    folder = store.root / "lineage-v1"
    folder.mkdir()
    record = json.loads(Path(client.download_artifacts(version.run_id, "lineage.json",
                                                       str(folder))).read_text())
    assert len(record["lineage"]["code_sha256"]) == 64
    assert record["lineage"]["evaluation_rule"]
    assert record["training"]["metrics"]["brier"] >= 0.0
    assert record["gate"]["status"] == "passed"
    text = version.description
    assert f"sha256 {tags['data_sha256'][:12]}" in text
    assert "**Gate**: passed against the absolute bars" in text
    assert "**Challenger**: @challenger set by integration-test at 20" in text
    assert "passed the absolute bars" in text.split("**Challenger**", 1)[1]


def test_the_training_run_is_named_after_its_data_and_day(store: Store,
                                                          tickets_csv: Path) -> None:
    run = store.client().get_run(store.client().get_model_version(MODEL, "1").run_id)
    digest = hashlib.sha256(tickets_csv.read_bytes()).hexdigest()
    assert run.info.run_name == f"train-{digest[:12]}-{datetime.now(UTC).date().isoformat()}"
    assert "nothing_registered" not in run.data.tags


def test_the_run_logs_metrics_artifacts_and_dataset(store: Store) -> None:
    client = store.client()
    run_id = client.get_model_version(MODEL, "1").run_id
    run = client.get_run(run_id)
    for metric in ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "threshold"):
        assert metric in run.data.metrics, metric
    assert run.data.metrics["recall"] >= 0.6
    assert run.data.params["target_recall"] in ("0.8", "0.8 ")
    names = {a.path for folder in ("data", "evaluation")
             for a in client.list_artifacts(run_id, folder)}
    assert {"data/rejects.csv", "data/profile.json", "evaluation/confusion_matrix.png",
            "evaluation/roc_curve.png", "evaluation/pr_curve.png", "evaluation/calibration.png",
            "evaluation/classification_report.txt", "evaluation/holdout.parquet",
            "data/trained_keys.parquet", "evaluation/gate_vs_vnone.json"} <= names
    for metric in ("expected_recall", "expected_recall.low", "expected_recall.high",
                   "cv.roc_auc", "cv.pr_auc"):
        assert metric in run.data.metrics, metric
    assert (run.data.metrics["expected_recall.low"] <= run.data.metrics["expected_recall"]
            <= run.data.metrics["expected_recall.high"])
    (dataset_input,) = run.inputs.dataset_inputs
    sha_tags = {t.key: t.value for t in dataset_input.tags}
    assert sha_tags["sha256"] == client.get_model_version(MODEL, "1").tags["data_sha256"]


def test_the_logged_model_carries_only_inference_code_and_pinned_requirements(
        store: Store, tmp_path: Path) -> None:
    mlflow.set_tracking_uri(store.uri)
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}/1", dst_path=str(tmp_path)))
    bundled = {p.relative_to(local / "code").as_posix() for p in (local / "code").rglob("*.py")}
    assert "mlflow_project/model/scoring.py" in bundled
    assert all(p.startswith("mlflow_project/model/") or p == "mlflow_project/__init__.py"
               for p in bundled), bundled
    requirements = (local / "requirements.txt").read_text().split()
    assert any(r.startswith("scikit-learn==") for r in requirements)
    assert not any(r.split("==")[0] in ("torch", "pytest", "alibi-detect")
                   for r in requirements), requirements


def test_pyfunc_and_fast_path_agree_on_the_registered_model(store: Store,
                                                             tickets_csv: Path) -> None:
    mlflow.set_tracking_uri(store.uri)
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}/1")
    tickets = pd.read_csv(tickets_csv, keep_default_na=False).head(200)
    features = tickets[["title", "description", "source", "customer_tier"]]
    frame = model.predict(features)
    probabilities, labels = model.unwrap_python_model().predict_records(
        features.to_dict(orient="records"))
    assert list(frame.columns) == ["urgency_probability", "urgent"]
    assert frame["urgency_probability"].to_numpy() == pytest.approx(probabilities, abs=1e-9)
    assert (frame["urgent"].to_numpy() == labels).all()


def test_retraining_the_same_inputs_registers_nothing_new(store: Store,
                                                         tickets_csv: Path) -> None:
    result = store.train(tickets_csv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "same data, code and parameters as version 1" in result.stdout
    assert store.versions() == ["1"]
    [run] = store.client().search_runs(
        [store.client().get_experiment_by_name(EXPERIMENT).experiment_id],
        filter_string="tags.nothing_registered != ''", max_results=1,
        order_by=["attributes.start_time DESC"])
    assert run.info.run_name.endswith("-nothing-registered")
    assert run.data.tags["nothing_registered"] == "same data, code and parameters as version 1"


def test_a_completed_run_reports_its_completion_to_cloud_monitoring(
        store: Store, tickets_csv: Path) -> None:
    with fake_monitoring() as fake:
        result = store.train(tickets_csv, extra_env={
            "TU_CLOUD_METRICS_MODE": "on", "TU_CLOUD_METRICS_PROJECT": "test-project-1",
            "CLOUD_MONITORING_EMULATOR_HOST": fake.address})
    assert result.returncode == 0, result.stderr[-3000:]
    [request] = fake.requests
    [series] = request.time_series
    assert series.metric.type == names.TRAINING_COMPLETED
    assert series.metric.labels["model_version"] == "1"
    assert series.points[0].value.int64_value == 0  # same inputs: nothing new registered


def test_an_unreachable_cloud_monitoring_fails_training_in_one_line(
        store: Store, tickets_csv: Path) -> None:
    result = store.train(tickets_csv, extra_env={
        "TU_CLOUD_METRICS_MODE": "on", "TU_CLOUD_METRICS_PROJECT": "test-project-1",
        "TU_CLOUD_METRICS_TIMEOUT_SECONDS": "1",
        "CLOUD_MONITORING_EMULATOR_HOST": f"http://127.0.0.1:{free_port()}"})
    assert result.returncode != 0
    assert ("error: training finished, but its completion is not in Cloud Monitoring: "
            "projects/test-project-1: Cloud Monitoring did not take the points (0 of 1 series "
            "written)") in result.stderr


def test_promotion_moves_production_and_records_who_when_why(store: Store) -> None:
    result = store.run(str(BIN / "registry-tools"), "promote", "--from", "challenger",
                       "--reason", "first release")
    assert result.returncode == 0, result.stderr
    assert "nothing -> v1" in result.stdout
    client = store.client()
    assert str(client.get_model_version_by_alias(MODEL, "production").version) == "1"
    assert "challenger" not in client.get_registered_model(MODEL).aliases
    text = client.get_model_version(MODEL, "1").description
    assert "**Production**: @production set by integration-test at 20" in text
    assert text.endswith(": first release")
    assert "**Challenger**: @challenger removed by integration-test" in text
    status = store.run(str(BIN / "registry-tools"), "status", "--json")
    [row] = json.loads(status.stdout)
    assert (row["promoted_by"], row["promotion_reason"]) == ("integration-test", "first release")


def test_a_fresh_process_predicts_with_the_production_model(store: Store) -> None:
    result = store.run(str(BIN / "ticket-urgency"), "predict", "--model-uri",
                       f"models:/{MODEL}@production")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["model"] for line in lines] == [f"{MODEL} v1"] * 2
    outage, monitor = lines
    assert outage["urgent"] == 1
    assert monitor["urgent"] == 0


def test_the_gate_refuses_a_model_worse_than_production(store: Store, tickets_csv: Path) -> None:
    # Same data, a crippled vocabulary: only words in at least 800 tickets survive. The bars are
    # relaxed so that only the comparison with production can refuse it.
    relaxed_bars = {"TU_GATE_MIN_ROC_AUC": "0.5", "TU_GATE_MIN_PR_AUC": "0.0"}
    result = store.train(tickets_csv, "features=word", "min_df=800", "ngram_max=1",
                         extra_env=relaxed_bars)
    assert result.returncode == 0, result.stderr[-3000:]
    assert store.versions() == ["1", "2"]
    client = store.client()
    tags = client.get_model_version(MODEL, "2").tags
    assert tags["validation_status"] == "failed"
    assert "may be worse than production's" in tags["validation_reason"]
    assert "95% interval" in tags["validation_reason"]
    gate = read_record(client, client.get_model_version(MODEL, "2").run_id)["gate"]
    assert gate["overall"]["roc_auc"]["difference"]["high"] < 0
    assert (gate["status"], gate["baseline_version"]) == ("failed", "1")
    assert tags["gate_baseline_version"] == "1"
    assert "**Gate**: failed against production v1 at " in client.get_model_version(
        MODEL, "2").description
    aliases = client.get_registered_model(MODEL).aliases
    assert {k: str(v) for k, v in aliases.items()} == {"production": "1"}


def test_the_gate_refuses_a_model_below_the_absolute_bars(store: Store, tmp_path: Path) -> None:
    noisy = tmp_path / "noisy.csv"
    write_table(generate_tickets(GeneratorConfig(rows=3000, seed=11, label_noise=0.45)),
                str(noisy))
    result = store.train(noisy)
    assert result.returncode == 0, result.stderr[-3000:]
    tags = store.client().get_model_version(MODEL, "3").tags
    assert tags["validation_status"] == "failed"
    assert "below the bar" in tags["validation_reason"]
    assert "challenger" not in store.client().get_registered_model(MODEL).aliases


def test_promoting_a_failed_version_is_refused_unless_forced_with_a_reason(store: Store) -> None:
    tools = str(BIN / "registry-tools")
    refused = store.run(tools, "promote", "--version", "3")
    assert refused.returncode == 3
    assert "validation_status 'failed'" in refused.stderr
    no_reason = store.run(tools, "promote", "--version", "3", "--force")
    assert no_reason.returncode == 3
    assert "--force needs --reason" in no_reason.stderr
    assert str(store.client().get_model_version_by_alias(MODEL, "production").version) == "1"


def _bad_source_rows(frame: pd.DataFrame) -> pd.DataFrame:
    broken = frame.copy()
    broken.loc[broken.index[::5], "source"] = "carrier pigeon"
    return broken


@pytest.mark.parametrize(("case", "make", "message"), [
    ("empty", lambda f: f.head(0), "the data has no rows"),
    ("one class", lambda f: f[f["urgent"] == 0], "class urgent (1) is absent"),
    ("too many rejects", _bad_source_rows, "break the contract, more than the allowed 5.0%"),
])
def test_bad_data_is_refused_and_nothing_is_registered(store: Store, tmp_path: Path, case: str,
                                                       make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    write_table(make(generate_tickets(GeneratorConfig(rows=1000, seed=3))), str(path))
    before = store.versions()
    result = store.train(path)
    assert result.returncode != 0, case
    assert "training refused, nothing registered" in result.stderr
    assert message in result.stderr
    assert store.versions() == before
    runs = store.client().search_runs(
        [store.client().get_experiment_by_name(EXPERIMENT).experiment_id],
        filter_string=f"params.data = '{path}'")
    assert [r.info.status for r in runs] == ["FAILED"]
    assert runs[0].info.run_name.endswith("-nothing-registered")
    assert runs[0].data.tags["nothing_registered"].startswith("data refused: ")


def test_rejected_rows_are_quarantined_with_the_run(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "some_bad.csv"
    write_table(_bad_source_rows(generate_tickets(GeneratorConfig(rows=1000, seed=3))),
                str(path))
    store.train(path, "max_reject_share=0.5")
    client = store.client()
    (run,) = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id],
                                filter_string=f"params.data = '{path}'")
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id,
                                                artifact_path="data/rejects.csv",
                                                tracking_uri=store.uri)
    rejects = pd.read_csv(local)
    assert len(rejects) == 200
    assert set(rejects["column"]) == {"source"}
    assert rejects["row_number"].tolist() == list(range(1, 1001, 5))


@pytest.mark.parametrize(("content", "message"), [
    (b"\x00\x01garbage\xff" * 50, "cannot parse as CSV"),
    (None, "no such file"),
])
def test_unreadable_data_gives_a_clear_error(store: Store, tmp_path: Path, content: bytes | None,
                                             message: str) -> None:
    path = tmp_path / "tickets.csv"
    if content is not None:
        path.write_bytes(content)
    result = store.train(path)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]


def test_parameters_that_cannot_fit_give_a_clear_error(store: Store, tickets_csv: Path) -> None:
    before = store.versions()
    result = store.train(tickets_csv, "features=word", "min_df=3900")
    assert result.returncode != 0  # mlflow run reports any failure of its command as 1
    assert "error: cannot fit the model with these parameters" in result.stderr
    assert store.versions() == before


def test_a_run_under_another_experiment_is_refused(store: Store, tickets_csv: Path) -> None:
    result = store.run(str(BIN / "mlflow"), "run", "mlflow_project", "-e", "train",
                       "--env-manager", "local", "--experiment-name", "elsewhere",
                       "-P", f"data={tickets_csv}", "-P", f"experiment_name={EXPERIMENT}")
    assert result.returncode != 0
    assert "pass --experiment-name ticket_urgency_tests to mlflow run" in result.stderr


def test_validate_and_snapshot_commands(store: Store, tickets_csv: Path, tmp_path: Path) -> None:
    tool = str(BIN / "ticket-urgency")
    copy = tmp_path / "snap" / "tickets.csv"
    snap = store.run(tool, "snapshot", "--source", str(tickets_csv), "--dest", str(copy))
    assert snap.returncode == 0, snap.stderr
    assert copy.read_bytes() == tickets_csv.read_bytes()
    assert json.loads(snap.stdout)["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    good = store.run(tool, "validate", "--data", str(copy))
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["rejected_rows"] == 0
    bad = tmp_path / "bad.csv"
    write_table(_bad_source_rows(generate_tickets(GeneratorConfig(rows=500, seed=2))), str(bad))
    refused = store.run(tool, "validate", "--data", str(bad), "--rejects", str(tmp_path / "r.csv"))
    assert refused.returncode == 3
    assert "break the contract" in refused.stderr
    assert len(pd.read_csv(tmp_path / "r.csv")) == 100
    missing = store.run(tool, "snapshot", "--source", str(tmp_path / "nope.csv"),
                        "--dest", str(tmp_path / "x.csv"))
    assert missing.returncode == 3
    assert not (tmp_path / "x.csv").exists()


def test_verdict_finds_the_version_trained_on_a_snapshot(store: Store, tickets_csv: Path) -> None:
    sha = hashlib.sha256(tickets_csv.read_bytes()).hexdigest()
    found = store.run(str(BIN / "registry-tools"), "verdict", "--data-sha256", sha)
    assert found.returncode == 0, found.stderr
    verdict = json.loads(found.stdout)
    assert verdict["version"] == "2"  # the newest trained on this data (v2 failed the gate)
    assert verdict["validation_status"] == "failed"
    missing = store.run(str(BIN / "registry-tools"), "verdict", "--data-sha256", "0" * 64)
    assert missing.returncode == 3
