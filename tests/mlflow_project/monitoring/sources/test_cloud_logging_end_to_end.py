"""Served predictions -> Cloud Logging -> its GCS sink -> `python -m mlflow_project.monitoring
--logs logging+gs://...` -> the verdict, with the registered model of the monitoring end-to-end
tests (`tests/mlflow_project/monitoring/test_end_to_end.py`, whose fixture is reused).

Each record serving printed becomes a Cloud Run stdout LogEntry (its time, severity and labels
lifted into the entry, as Cloud Logging does), the line a crash cut short becomes a text entry,
and gunicorn's own line and the request logs sit beside them, as in a real sink's bucket.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("google.cloud.logging_v2", reason="google-cloud-logging (a dev dependency)")

from google.cloud.logging_v2.types import LogEntry

from tests.mlflow_project.monitoring.sources.conftest import Bucket
from tests.mlflow_project.monitoring.sources.sink import (
    REQUESTS,
    STDOUT,
    export_objects,
    record_entry,
    request_entry,
    text_entry,
)
from tests.mlflow_project.monitoring.test_end_to_end import (  # the registered model and logs
    SINCE,
    WINDOW,
    Deployment,
    deployment,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.integration


def _sink_export(served_jsonl: Path, prefix: str) -> dict[str, bytes]:
    """What a GCS sink holds after serving printed the lines of `served_jsonl` on Cloud Run."""
    entries: list[LogEntry] = [text_entry("[INFO] Starting gunicorn 23.0.0",
                                          SINCE + timedelta(minutes=1))]
    for line in served_jsonl.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # not JSON: Cloud Logging keeps the line as text
            entries.append(text_entry(line, entries[-1].timestamp))
            continue
        entries.append(record_entry(record))
    requests = [request_entry(entry.timestamp) for entry in entries[1:50]]
    return (export_objects(entries, folder=f"{prefix}/{STDOUT}")
            | export_objects(requests, folder=f"{prefix}/{REQUESTS}"))


def _monitor(deployment: Deployment, bucket: Bucket, logs: str, out: Path):  # noqa: F811
    return deployment.store.run(
        sys.executable, "-m", "mlflow_project.monitoring", "--logs", logs, *WINDOW, "--engine",
        "scipy",
        "--out", str(out), extra_env={"STORAGE_EMULATOR_HOST": bucket.host})


def test_calm_traffic_from_the_sink_exits_0(deployment: Deployment,  # noqa: F811
                                            gcs_bucket: Bucket, tmp_path: Path) -> None:
    gcs_bucket.put(_sink_export(deployment.calm_logs / "predictions-host-1.jsonl", "calm"))
    result = _monitor(deployment, gcs_bucket, f"logging+gs://{gcs_bucket.name}/calm/{STDOUT}",
                      tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "status: ok (exit 0)" in result.stdout
    counts = json.loads((tmp_path / "summary.json").read_text())["counts"]
    assert counts["records"] == 800
    assert counts["malformed_lines"] == 0  # the cut line is a text entry, not a record
    assert counts["lines"] == 800 + 2      # + gunicorn's line and the cut line
    assert counts["outside_window"] == 0


def test_drifted_traffic_from_the_sink_exits_10(deployment: Deployment,  # noqa: F811
                                                gcs_bucket: Bucket, tmp_path: Path) -> None:
    gcs_bucket.put(_sink_export(deployment.drifted_logs / "predictions-host-1.jsonl", "drifted"))
    result = _monitor(deployment, gcs_bucket,
                      f"logging+gs://{gcs_bucket.name}/drifted/{STDOUT}", tmp_path)
    assert result.returncode == 10, result.stderr[-3000:]
    assert "status: drift (exit 10)" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["records"] == 800
    assert summary["checks"]["source"]["drift"]
