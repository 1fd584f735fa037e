"""`ticket_urgency_monitoring` against the real prediction service (gunicorn) and the real
monitoring job, on prediction logs simulated with the project's own tools.

A model is trained and put in production once for the module; the service serves it; traffic
is simulated into two log folders: as trained (nothing to find) and drifted, with delayed labels
that contradict the predictions (a quality breach).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("airflow.sdk", reason="Airflow's tests run in .venv-airflow: make airflow-test")

from airflow_support import (
    REPO,
    Project,
    Webhook,
    free_port,
    record_wall_time,
    run_dag,
    task_states,
    xcom,
)

DAG_ID = "ticket_urgency_monitoring"
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture(scope="module")
def production(project: Project) -> str:
    """Version 1 trained on 1,500 synthetic tickets and promoted to @production."""
    data = project.generate(project.root / "train.csv")
    project.run("ticket-urgency", "ensure-experiment", "--name", "ticket_urgency")
    project.run("ticket-urgency", "train", "--data", str(data))
    project.run("registry-tools", "promote", "--version", "1", "--reason", "monitoring tests")
    return "1"


@pytest.fixture(scope="module")
def logs(project: Project, production: str) -> dict[str, Path]:
    """Simulated prediction logs of the last minutes (so: today, UTC): as trained, drifted, and
    five records (too few for a verdict)."""
    root = project.root / "prediction-logs"
    simulate = ("python", "-m", "demo.traffic", "--rows", "600",
                "--hours", "0.05")
    project.run(*simulate, "--seed", "5", "--out", str(root / "as-trained" / "part.jsonl"))
    truth = root / "labels.csv"
    project.run(*simulate, "--seed", "6", "--source-shift", "0.8", "--new-vocabulary", "0.6",
                "--out", str(root / "drifted" / "part.jsonl"), "--feedback", str(truth))
    flipped = root / "labels-contradicting.csv"  # delayed labels that say the model is wrong
    with truth.open(newline="") as source, flipped.open("w", newline="") as target:
        rows = list(csv.DictReader(source))
        writer = csv.DictWriter(target, fieldnames=["ticket_id", "urgent"])
        writer.writeheader()
        writer.writerows({"ticket_id": r["ticket_id"], "urgent": 1 - int(r["urgent"])}
                         for r in rows)
    project.run("python", "-m", "demo.traffic", "--rows", "5", "--hours", "0.05", "--seed", "7",
                "--out", str(root / "five-records" / "part.jsonl"))
    return {"as-trained": root / "as-trained", "drifted": root / "drifted",
            "contradicting-labels": flipped, "five-records": root / "five-records"}


@pytest.fixture(scope="module")
def service(project: Project, production: str) -> Iterator[str]:
    """The real prediction service (gunicorn, serving/) on a free loopback port."""
    port = free_port()
    env = project.env(MODEL_URI=f"models:/ticket_urgency/{production}", PORT=str(port),
                      HOST="127.0.0.1", PREDICTION_LOG="off")
    log = (project.root / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(project.bin / "gunicorn"), "-c", "serving/gunicorn.conf.py",
         "serving.app:create_app()"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, (project.root / "gunicorn.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            log_text = (project.root / "gunicorn.log").read_text()
            pytest.fail(f"gunicorn not ready in 90 s: {log_text}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def pipeline(project: Project, service: str, tmp_path: Path, webhook: Webhook,
             monkeypatch: pytest.MonkeyPatch) -> Path:
    """What the DAG's tasks read; returns the monitoring output folder."""
    out = tmp_path / "monitoring"
    for name, value in {"PROJECT_BIN": str(project.bin),
                        "MLFLOW_TRACKING_URI": project.tracking_uri, "TU_SERVICE_URL": service,
                        "TU_MONITORING_DIR": str(out), "TU_ALERT_WEBHOOK": webhook.url}.items():
        monkeypatch.setenv(name, value)
    return out


def test_cli_smoke_all_clear(dagbag: Any, pipeline: Path, logs: dict[str, Path],
                             webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    """`airflow dags test` (Airflow's own CLI, a separate process): healthy service, traffic as
    trained -> all clear, the run succeeds and nothing is posted."""
    monkeypatch.setenv("TU_PREDICTION_LOGS", str(logs["as-trained"]))
    started = time.monotonic()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "dags", "test", DAG_ID,
         "-c", json.dumps({"day": TODAY})],
        env={**os.environ}, capture_output=True, text=True, timeout=300, check=False)
    record_wall_time(f"{DAG_ID} (airflow dags test CLI)", time.monotonic() - started)
    output = done.stdout + done.stderr

    assert done.returncode == 0, output[-3000:]
    assert "state=success" in output, output[-3000:]
    assert "no drift, no quality breach" in output
    summary = json.loads((pipeline / TODAY / "summary.json").read_text())
    assert summary["status"] == "ok"
    assert summary["window"]["since"].startswith(TODAY)
    assert summary["counts"]["records"] > 0
    assert webhook.messages == []


def test_drift_and_quality_breach_alert_fail_the_run_and_trigger_training(
        dagbag: Any, pipeline: Path, logs: dict[str, Path], webhook: Webhook,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TU_PREDICTION_LOGS", str(logs["drifted"]))
    monkeypatch.setenv("TU_MONITORING_FEEDBACK", str(logs["contradicting-labels"]))
    monkeypatch.setenv("TU_MLFLOW_UI_URL", "http://mlflow.test:5000")

    run = run_dag(dagbag.dags[DAG_ID], DAG_ID, logical_date=None,
                  run_conf={"day": TODAY, "trigger_training_on_drift": True})

    assert run.state == "failed"  # a finding marks the run failed
    states = task_states(run)
    assert states["check_service"] == ("success", 1)
    assert states["run_monitoring"] == ("success", 1)
    assert states["alert"] == ("failed", 1)  # failed on purpose, not retried
    assert states["trigger_training"][0] == "success"
    assert states["all_clear"][0] == "skipped"
    health = xcom(run, "check_service")
    assert health["model_version"] == "1"
    assert 0 < health["latency_ms"]["health"] < 5000
    assert 0 < health["latency_ms"]["ready"] < 5000
    result = xcom(run, "run_monitoring")
    assert (result["exit_code"], result["finding"]) == (12, "drift_and_quality_breach")
    assert result["summary"]["status"] == "drift_and_quality_breach"
    alert = webhook.last("monitoring.alert")
    assert "data drift and a quality breach" in alert["text"]
    assert "drift in" in alert["text"]
    mlflow_run = result["summary"]["mlflow"]
    assert result["mlflow_run_url"] == (f"http://mlflow.test:5000/#/experiments/"
                                        f"{mlflow_run['experiment_id']}/runs/{mlflow_run['run_id']}")
    assert alert["text"].endswith(f"; MLflow run {result['mlflow_run_url']}")
    assert "\n" not in alert["text"]
    assert "monitoring.failed" not in webhook.events()  # the alert is not reported twice
    from airflow.models.dagrun import DagRun

    triggered = DagRun.find(dag_id="ticket_urgency_training", run_id=f"drift__{run.run_id}")
    assert len(triggered) == 1


def test_insufficient_data_is_a_result_not_a_failure(dagbag: Any, pipeline: Path,
                                                     logs: dict[str, Path], webhook: Webhook,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Five records: the job exits 13; the run succeeds through all_clear, no retry, no alert."""
    monkeypatch.setenv("TU_PREDICTION_LOGS", str(logs["five-records"]))

    run = run_dag(dagbag.dags[DAG_ID], f"{DAG_ID} (five records)", logical_date=None,
                  run_conf={"day": TODAY, "trigger_training_on_drift": True})

    assert run.state == "success"
    states = task_states(run)
    assert states["run_monitoring"] == ("success", 1)
    assert states["all_clear"] == ("success", 1)
    assert states["alert"][0] == "skipped"
    assert states["trigger_training"][0] == "skipped"
    result = xcom(run, "run_monitoring")
    assert (result["exit_code"], result["finding"]) == (13, "insufficient_data")
    assert result["summary"]["status_line"] == (
        "insufficient data: 5 of 100 required records of model ticket_urgency v1")
    assert webhook.messages == []


def test_service_down_fails_the_health_check(dagbag: Any, pipeline: Path, logs: dict[str, Path],
                                             webhook: Webhook,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("TU_SERVICE_URL", down)
    monkeypatch.setenv("TU_PREDICTION_LOGS", str(logs["as-trained"]))

    run = run_dag(dagbag.dags[DAG_ID], f"{DAG_ID} (service down)", logical_date=None,
                  run_conf={"day": TODAY})

    assert run.state == "failed"
    states = task_states(run)
    assert states["check_service"] == ("failed", 1)
    assert states["run_monitoring"][0] == "upstream_failed"
    failure = webhook.last("monitoring.failed")
    assert failure["task_id"] == "check_service"
    assert f"prediction service at {down} is down" in failure["error"]
    assert "GET " + down + "/health" in failure["error"]
