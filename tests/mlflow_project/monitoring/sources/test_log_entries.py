"""Unwrapping Cloud Logging's LogEntry: which entries are records, and which timestamp counts,
for current records (structured-logging fields lifted into the entry) and version 1 ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("google.cloud.logging_v2", reason="google-cloud-logging (a dev dependency)")

from contracts.cloud_logging import trace_fields
from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.sources.log_entries import (
    ENTRY_LAG,
    MalformedEntry,
    entries_until,
    entry_record,
    load_entry,
    prediction_payload,
)
from mlflow_project.monitoring.sources.records import LogCounts
from tests.mlflow_project.monitoring.sources.sink import (
    export_line,
    json_entry,
    record_entry,
    request_entry,
    served,
    served_v1,
    text_entry,
)

AT = datetime(2026, 3, 1, 10, 0, 0, 120000, tzinfo=UTC)
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)


def _unwrap(line: str) -> PredictionRecord | None:
    payload = prediction_payload(load_entry(line.encode()))
    return None if payload is None else PredictionRecord.model_validate(payload)


@pytest.mark.parametrize("version", [served, served_v1], ids=["current", "v1"])
def test_a_record_comes_back_equal_from_its_exported_entry(version: object) -> None:
    record = version(AT, ticket_id=None, model_version="12")  # type: ignore[operator]
    assert _unwrap(export_line(record_entry(record))) == PredictionRecord.model_validate(record)


def test_a_current_records_logging_fields_are_the_entrys_and_its_time_comes_back() -> None:
    record = served(AT, model_version="12", variant="challenger",
                    trace=trace_fields("tu-prod", "4bf92f3577b34da6a3ce929d0e0e4736",
                                       "00f067aa0ba902b7", True))
    entry = load_entry(export_line(record_entry(record)).encode())
    assert set(entry["jsonPayload"]).isdisjoint({
        "time", "severity", "logging.googleapis.com/trace", "logging.googleapis.com/spanId",
        "logging.googleapis.com/trace_sampled", "logging.googleapis.com/labels"})
    assert entry["timestamp"] == "2026-03-01T10:00:00.120Z"
    assert entry["severity"] == "INFO"
    assert entry["trace"] == "projects/tu-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert (entry["spanId"], entry["traceSampled"]) == ("00f067aa0ba902b7", True)
    assert entry["labels"] == {"instanceId": "00f1a2b3c4", "model_version": "12",
                               "variant": "challenger"}
    unwrapped = _unwrap(export_line(record_entry(record)))
    assert unwrapped is not None
    assert unwrapped.timestamp == AT
    assert (unwrapped.record_version, unwrapped.model_version, unwrapped.variant) == (
        2, "12", "challenger")


def test_the_payloads_own_timestamp_wins_over_the_entrys() -> None:
    """A version 1 record's `timestamp` string is not lifted: the entry is stamped later."""
    record = served_v1(AT)
    entry = load_entry(export_line(record_entry(record)).encode())
    assert entry["timestamp"] == "2026-03-01T10:00:00.123Z"  # captured 3 ms after
    unwrapped = _unwrap(export_line(record_entry(record)))
    assert unwrapped is not None
    assert unwrapped.timestamp == AT


def test_a_timestamp_lifted_into_the_entry_is_put_back() -> None:
    record = served_v1(AT)
    line = export_line(record_entry(record, lifted=True))
    assert '"timestamp": "2026-03-01T10:00:00.120Z"' in line
    assert "jsonPayload" in line
    assert '"timestamp": "2026-03-01T10:00:00.120+00:00"' not in line
    assert _unwrap(line) == PredictionRecord.model_validate(record)


@pytest.mark.parametrize("version", [served, served_v1], ids=["current", "v1"])
def test_a_null_payload_timestamp_takes_the_entrys(version: object) -> None:
    """BigQuery's TO_JSON_STRING gives every column of the table, null where a row has none: a
    table holding both versions has a `timestamp` column, null in the current records' rows."""
    record = version(AT)  # type: ignore[operator]
    payload = {**{k: v for k, v in record.items() if k != "time"}, "timestamp": None}
    unwrapped = prediction_payload({"jsonPayload": payload, "timestamp": "2026-03-01T10:00:00Z"})
    assert unwrapped is not None
    assert unwrapped["time"] == "2026-03-01T10:00:00Z"
    assert PredictionRecord.model_validate(unwrapped).timestamp == datetime(2026, 3, 1, 10,
                                                                            tzinfo=UTC)


def test_a_null_time_column_leaves_a_version_1_records_own_timestamp() -> None:
    """A table where some line kept a `time` in its payload has that column, null elsewhere."""
    payload = {**served_v1(AT), "time": None}
    unwrapped = prediction_payload({"jsonPayload": payload, "timestamp": "2026-03-01T11:00:00Z"})
    assert unwrapped is not None
    assert PredictionRecord.model_validate(unwrapped).timestamp == AT


@pytest.mark.parametrize("entry", [
    text_entry("[2026-03-01 10:00:00 +0000] [1] [INFO] Booting worker with pid: 7", AT),
    json_entry({"message": "model loaded", "severity": "INFO"}, AT),
    json_entry({"record_version": None, "note": "not ours"}, AT),
    request_entry(AT),
], ids=["text", "other-json", "null-version", "request-log"])
def test_entries_that_are_not_prediction_records_are_not_unwrapped(entry: object) -> None:
    assert prediction_payload(load_entry(export_line(entry).encode())) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("line", "reason"), [
    (b'{"insertId": "abc", "jsonPayload": {', "Invalid JSON: Expecting property name"),
    (b"[1, 2]", "log entry: Input should be an object"),
    (b'"text"', "log entry: Input should be an object"),
    (b'{"jsonPayload": "\xff"}', "Invalid JSON: not UTF-8"),
])
def test_a_line_that_is_no_log_entry_says_why(line: bytes, reason: str) -> None:
    with pytest.raises(MalformedEntry, match=reason):
        load_entry(line)


def test_entry_record_counts_other_malformed_and_outside_entries() -> None:
    counts = LogCounts()
    entries = [load_entry(export_line(e).encode()) for e in (
        record_entry(served(AT)),
        text_entry("hello", AT),
        record_entry(served(AT, urgency_probability=1.5)),
        record_entry(served(UNTIL)),
        json_entry({**served_v1(AT), "timestamp": "2026-03-01T10:00:00"}, AT),
        json_entry({**served(AT), "time": "2026-03-01T10:00:00"}, AT),
        record_entry(served_v1(AT)),
        json_entry({**served(AT), "record_version": 3}, AT),
    )]
    kept = [entry_record(counts, "gs://b/o.json", n, e, SINCE, UNTIL)
            for n, e in enumerate(entries, start=1)]
    assert [r is not None for r in kept] == [True, False, False, False, False, False, True,
                                             False]
    assert (counts.other_entries, counts.malformed, counts.outside_window) == (1, 4, 1)
    assert [(m.line, m.reason.split(":")[0]) for m in counts.malformed_examples] == [
        (3, "urgency_probability"), (5, "timestamp"), (6, "time"), (8, "record_version")]


def test_entries_are_read_a_little_past_the_window() -> None:
    assert entries_until(UNTIL) == UNTIL + ENTRY_LAG
    assert timedelta(minutes=1) == ENTRY_LAG
    assert entries_until(datetime.max.replace(tzinfo=UTC)) == datetime.max.replace(tzinfo=UTC)
