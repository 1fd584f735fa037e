"""The prediction-log record: version 2 is a Cloud Logging structured line; readers take 1 and 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.cloud_logging import log_time, trace_fields
from contracts.prediction_log import RECORD_VERSION, PredictionRecord, prediction_record

AT = datetime(2026, 3, 1, 10, 0, 0, 120000, tzinfo=UTC)
FIELDS: dict[str, Any] = {
    "request_id": "r-1", "ticket_id": "T-1", "model_name": "ticket_urgency",
    "model_version": "3", "variant": "production", "endpoint": "/predict",
    "features": {"title": "VPN down", "description": None, "source": "email",
                 "customer_tier": "premium"},
    "urgency_probability": 0.91, "urgent": True, "threshold": 0.5, "latency_ms": 2.5}


def test_the_time_is_rfc3339_utc_with_microseconds_and_z() -> None:
    assert log_time(AT) == "2026-03-01T10:00:00.120000Z"
    paris = timezone(timedelta(hours=1))
    assert log_time(datetime(2026, 3, 1, 11, 0, 0, 5, tzinfo=paris)) == \
        "2026-03-01T10:00:00.000005Z"


def test_a_record_is_a_structured_line_with_severity_time_labels_and_the_trace() -> None:
    trace = trace_fields("tu-prod", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
                         False)
    record = prediction_record(time=log_time(AT), trace=trace, **FIELDS)
    assert RECORD_VERSION == 2
    assert record == {
        "record_version": 2, "severity": "INFO", "time": "2026-03-01T10:00:00.120000Z",
        "logging.googleapis.com/trace":
            "projects/tu-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736",
        "logging.googleapis.com/spanId": "00f067aa0ba902b7",
        "logging.googleapis.com/trace_sampled": False,
        "logging.googleapis.com/labels": {"model_version": "3", "variant": "production"},
        **FIELDS}
    read = PredictionRecord.model_validate(record)
    assert (read.record_version, read.timestamp, read.model_version) == (2, AT, "3")


def test_without_a_trace_there_is_no_trace_field_and_unset_labels_are_left_out() -> None:
    record = prediction_record(time=log_time(AT), **{**FIELDS, "model_version": None})
    assert not any(key.startswith("logging.googleapis.com/trace") for key in record)
    assert "logging.googleapis.com/spanId" not in record
    assert record["logging.googleapis.com/labels"] == {"variant": "production"}


def test_a_version_1_record_is_still_read() -> None:
    old = {"record_version": 1, "timestamp": "2026-03-01T10:00:00.120+00:00", **FIELDS}
    read = PredictionRecord.model_validate(old)
    assert (read.record_version, read.timestamp) == (1, AT)
    assert read == PredictionRecord.model_validate(prediction_record(time=log_time(AT),
                                                                     **FIELDS)).model_copy(
        update={"record_version": 1})


@pytest.mark.parametrize(("line", "field"), [
    ({"record_version": 3, "time": "2026-03-01T10:00:00Z"}, "record_version"),
    ({"record_version": 2}, "time"),
    ({"record_version": 2, "time": "2026-03-01T10:00:00"}, "time"),
    ({"record_version": 1, "timestamp": "yesterday"}, "timestamp"),
])
def test_an_unknown_version_or_a_missing_or_zoneless_time_is_refused(line: dict[str, Any],
                                                                      field: str) -> None:
    with pytest.raises(ValidationError) as error:
        PredictionRecord.model_validate({**FIELDS, **line})
    assert error.value.errors()[0]["loc"] == (field,)
