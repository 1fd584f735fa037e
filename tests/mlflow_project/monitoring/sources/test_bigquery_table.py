"""`bq://` prediction logs read from a Cloud Logging sink's table in a BigQuery emulator.

The table is shaped as a sink with partitioned tables makes it for Cloud Run's stdout (LogEntry
columns, `jsonPayload` a RECORD of the record's fields, partitioned by day on `timestamp`) and
filled through the real google-cloud-bigquery client with records built by
`contracts.prediction_log.prediction_record` (current) or as version 1 serving wrote them, a JSON
line that is not a record, a text line and records outside the window; and, end to end, the two
days of served logs of the monitoring tests through such a table to
`python -m mlflow_project.monitoring`'s verdict. JSON numbers reach the sink as protobuf Struct
doubles, so `record_version` is FLOAT64 there. A current record's `time`, severity, trace and
labels are lifted into the entry's columns (structured logging's special fields). How a sink
types a version 1 `timestamp` string is not pinned down (STRING, or TIMESTAMP when it is
detected as one), and an agent may lift it out of the payload into the entry: each form has its
table here, and so does a table holding both versions.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.cloud_logging import TIME, trace_fields
from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.logs import LogCounts
from mlflow_project.monitoring.sources import bigquery as bigquery_source
from mlflow_project.monitoring.sources import open_source
from tests.bigquery_emulator import BigQueryEmulator, bigquery_emulator, sink_table_schema
from tests.mlflow_project.monitoring.sources.sink import INSTANCE_LABELS, lift, served, served_v1
from tests.mlflow_project.monitoring.test_end_to_end import SINCE as E2E_SINCE
from tests.mlflow_project.monitoring.test_end_to_end import WINDOW as E2E_WINDOW
from tests.mlflow_project.monitoring.test_end_to_end import (  # the registered model and logs
    Deployment,
    deployment,
)

__all__ = ["bigquery_emulator", "deployment"]  # fixtures, imported for pytest

pytestmark = pytest.mark.integration

SINCE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(hours=1)
CAPTURE_DELAY = timedelta(milliseconds=3)  # stdout line written -> entry timestamp
TABLE = "run_googleapis_com_stdout"


def _record(at: datetime, form: str, number: int, **changes: Any) -> dict[str, Any]:
    """The `number`th record of a table of `form`: current ones for "current" and every other
    one of "mixed", else version 1."""
    current = form == "current" or (form == "mixed" and number % 2 == 1)
    return (served if current else served_v1)(at, **changes)


def _row(at: datetime, *, payload: Mapping[str, Any] | None = None,
         text: str | None = None) -> dict[str, Any]:
    """A sink row of the entry Cloud Logging made of one stdout line, stamped `at`."""
    row: dict[str, Any] = {
        "logName": "projects/test-project/logs/run.googleapis.com%2Fstdout",
        "resource": {"type": "cloud_run_revision", "labels": {
            "project_id": "test-project", "service_name": "ticket-urgency",
            "revision_name": "ticket-urgency-00007-xyz", "configuration_name": "ticket-urgency",
            "location": "europe-west1"}},
        "timestamp": at.isoformat(), "receiveTimestamp": (at + timedelta(seconds=1)).isoformat(),
        "severity": "DEFAULT", "insertId": uuid.uuid4().hex[:16], "labels": INSTANCE_LABELS,
    }
    if payload is not None:
        row["jsonPayload"] = dict(payload)
    if text is not None:
        row["textPayload"] = text
    return row


def _record_row(record: Mapping[str, Any], form: str) -> dict[str, Any]:
    """The sink row of one printed record: a current record's time, severity, trace and labels
    are the entry's columns; a version 1 record's timestamp lifted, the entry takes it and the
    payload loses it; else the entry is stamped a moment after the record was written."""
    if TIME in record:
        fields, payload = lift(record)
        return {**_row(datetime.fromisoformat(fields["timestamp"]), payload=payload), **fields}
    written = datetime.fromisoformat(str(record["timestamp"]))
    if form == "lifted":
        return _row(written, payload={k: v for k, v in record.items() if k != "timestamp"})
    return _row(written + CAPTURE_DELAY, payload=record)


@pytest.fixture
def sink_table(bigquery_emulator: BigQueryEmulator,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[BigQueryEmulator, str]]:
    """A fresh dataset for this test; BIGQUERY_EMULATOR_HOST points at the emulator."""
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", bigquery_emulator.endpoint)
    dataset = f"logs_{uuid.uuid4().hex[:12]}"
    client = bigquery_emulator.client()
    client.create_dataset(dataset)
    try:
        yield bigquery_emulator, dataset
    finally:
        client.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
        client.close()


def _create_table(emulator: BigQueryEmulator, dataset: str, form: str,
                  rows: list[dict[str, Any]]) -> str:
    from google.cloud import bigquery

    client = emulator.client()
    table = bigquery.Table(f"{emulator.project}.{dataset}.{TABLE}", schema=sink_table_schema(form))
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field="timestamp")
    client.create_table(table)
    errors = client.insert_rows_json(table, rows)
    assert errors == []
    client.close()
    return f"bq://{emulator.project}.{dataset}.{TABLE}"


def _traced(form: str) -> dict[str, Any]:
    """A current record served for a traced request carries its trace."""
    if form not in {"current", "mixed"}:
        return {}
    return {"trace": trace_fields("test-project", "4bf92f3577b34da6a3ce929d0e0e4736",
                                  "00f067aa0ba902b7", True)}


@pytest.mark.parametrize("form", [
    "string",
    pytest.param("timestamp", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "bqemulator 1.4.0: TO_JSON_STRING of a TIMESTAMP is '2026-03-01 12:00:00.5+00', not "
        "BigQuery's RFC 3339 '2026-03-01T12:00:00.5Z', which the record's timestamp refuses"))),
    "lifted",
    "current",
    "mixed",
])
def test_window_records_come_back_as_written(sink_table: tuple[BigQueryEmulator, str],
                                             form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator, dataset = sink_table
    monkeypatch.setattr(bigquery_source, "PAGE_SIZE", 2)  # the rows come in several pages
    inside = [
        _record(SINCE, form, 0),
        _record(SINCE + timedelta(minutes=5), form, 1, ticket_id=None, variant=None,
                urgent=False, urgency_probability=0.0, latency_ms=0.0,
                features={"title": 'Ünïcode "quoted" \\ back', "description": None,
                          "source": None, "customer_tier": "free"}),
        _record(SINCE + timedelta(minutes=30, milliseconds=123), form, 2,
                urgency_probability=1.0, threshold=0.3333333333333333, latency_ms=1234.567,
                features={"title": "line\nbreak", "description": "tab\there", "source": "chat",
                          "customer_tier": None}),
        _record(UNTIL - timedelta(milliseconds=1), form, 3, model_version="12",
                variant="challenger", **_traced(form)),
    ]
    # read (entry stamped in the window, or within a minute after it) but outside the window
    late = [_record(UNTIL, form, 4), _record(UNTIL + timedelta(seconds=30), form, 5)]
    # never read: their entries are stamped before the window or well after it (another day)
    unread = [_record(SINCE - timedelta(minutes=1), form, 6),
              _record(UNTIL + timedelta(days=1), form, 7)]
    rows = [_record_row(r, form) for r in [*inside, *late, *unread]]
    rows += [_row(SINCE + timedelta(minutes=1), payload={"message": "Booting worker"}),
             _row(SINCE + timedelta(minutes=2), text="[INFO] Listening at: http://0.0.0.0:8080")]
    uri = _create_table(emulator, dataset, form, rows)

    counts = LogCounts()
    got = sorted(open_source(uri).records(SINCE, UNTIL, counts), key=lambda r: r.timestamp)

    assert got == [PredictionRecord.model_validate(r) for r in inside]
    assert got[1].features.title == 'Ünïcode "quoted" \\ back'
    assert got[2].threshold == 0.3333333333333333
    assert got[1].urgent is False
    assert (counts.files, counts.lines, counts.malformed, counts.outside_window,
            counts.other_entries) == (1, len(inside) + len(late), 0, len(late), 0)


def test_record_written_just_before_the_window_is_outside_it(
        sink_table: tuple[BigQueryEmulator, str]) -> None:
    """Its entry is stamped inside the window, so the row is read; its own time decides."""
    emulator, dataset = sink_table
    before = _record(SINCE - timedelta(milliseconds=1), "string", 0)
    uri = _create_table(emulator, dataset, "string", [_record_row(before, "string")])

    counts = LogCounts()
    assert list(open_source(uri).records(SINCE, UNTIL, counts)) == []
    assert (counts.lines, counts.outside_window) == (1, 1)


def test_missing_table_is_input_unusable(sink_table: tuple[BigQueryEmulator, str]) -> None:
    emulator, dataset = sink_table
    uri = f"bq://{emulator.project}.{dataset}.{TABLE}"

    with pytest.raises(InputUnusable, match="BigQuery query failed"):
        list(open_source(uri).records(SINCE, UNTIL, LogCounts()))


def _served_rows(served_jsonl: Path) -> list[dict[str, Any]]:
    """The sink rows of what serving printed on Cloud Run (records, and its other lines)."""
    rows = [_row(E2E_SINCE + timedelta(minutes=1), text="[INFO] Starting gunicorn")]
    for line in served_jsonl.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short by a crash: Cloud Logging keeps it as text
            rows.append(_row(E2E_SINCE + timedelta(minutes=2), text=line))
            continue
        rows.append(_record_row(record, "current"))
    return rows


@pytest.mark.parametrize(("traffic", "status", "code"),
                         [("calm", "ok", 0), ("drifted", "drift", 10)])
def test_served_predictions_through_the_bigquery_sink_get_the_monitor_verdict(
        deployment: Deployment, sink_table: tuple[BigQueryEmulator, str],
        tmp_path: Path, traffic: str, status: str, code: int) -> None:
    emulator, dataset = sink_table
    served = getattr(deployment, f"{traffic}_logs") / "predictions-host-1.jsonl"
    uri = _create_table(emulator, dataset, "current", _served_rows(served))

    result = deployment.store.run(
        sys.executable, "-m", "mlflow_project.monitoring", "--logs", uri, *E2E_WINDOW,
        "--engine", "scipy", "--out", str(tmp_path),
        extra_env={"BIGQUERY_EMULATOR_HOST": emulator.endpoint})

    assert result.returncode == code, result.stderr[-3000:]
    assert f"status: {status} (exit {code})" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["records"] == 800
    assert summary["counts"]["malformed_lines"] == 0
