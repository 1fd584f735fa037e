"""Cloud Logging as a sink exports it, built from real LogEntry protos.

Each served record becomes the `jsonPayload` of a `google.cloud.logging_v2.types.LogEntry` of a
Cloud Run revision (resource, labels, insert id, entry and receive timestamps), its
structured-logging fields (`contracts.cloud_logging`) lifted into the entry as Cloud Logging does
(`lift`), serialised with the proto's JSON mapping, one entry per line, into the objects a GCS
sink writes: `<LOG_ID>/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json` by the entry's UTC hour.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api.monitored_resource_pb2 import MonitoredResource
from google.cloud.logging_v2.types import LogEntry
from google.logging.type.http_request_pb2 import HttpRequest
from google.logging.type.log_severity_pb2 import INFO
from google.protobuf import json_format

from contracts.cloud_logging import (
    LABELS,
    SEVERITY,
    SPAN_ID,
    TIME,
    TRACE,
    TRACE_SAMPLED,
    log_time,
)
from contracts.prediction_log import prediction_record

PROJECT = "tu-prod"
SERVICE = "ticket-urgency"
STDOUT = "run.googleapis.com/stdout"
REQUESTS = "run.googleapis.com/requests"
CAPTURE_DELAY = timedelta(milliseconds=3)  # stdout line written -> entry timestamp
INSTANCE_LABELS = {"instanceId": "00f1a2b3c4"}  # Cloud Run labels every entry with its instance
LIFTED = {SEVERITY: "severity", TIME: "timestamp", TRACE: "trace", SPAN_ID: "spanId",
          TRACE_SAMPLED: "traceSampled", LABELS: "labels"}  # line key -> LogEntry JSON field
RESOURCE = MonitoredResource(type="cloud_run_revision", labels={
    "project_id": PROJECT, "service_name": SERVICE, "revision_name": f"{SERVICE}-00007-xyz",
    "configuration_name": SERVICE, "location": "europe-west1"})


def _fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "request_id": uuid.uuid4().hex, "ticket_id": "T-1", "model_name": "ticket_urgency",
        "model_version": "3", "variant": "production", "endpoint": "/predict",
        "features": {"title": "VPN down", "description": "Nobody can work", "source": "email",
                     "customer_tier": "premium"},
        "urgency_probability": 0.91, "urgent": True, "threshold": 0.5, "latency_ms": 2.5,
    }
    return {**fields, **changes}


def served(at: datetime, **changes: Any) -> dict[str, Any]:
    """One record exactly as serving builds it (`contracts.prediction_log.prediction_record`)."""
    return prediction_record(**_fields(time=log_time(at), **changes))


def served_v1(at: datetime, **changes: Any) -> dict[str, Any]:
    """One record as serving wrote it before version 2: its time a `timestamp` string with
    milliseconds and +00:00, no severity, trace or labels."""
    return {"record_version": 1,
            "timestamp": at.astimezone(UTC).isoformat(timespec="milliseconds"),
            **_fields(**changes)}


def lift(line: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What Cloud Logging does with a structured line: (the entry fields it sets, in LogEntry's
    JSON mapping, Cloud Run's instance label added; the payload left without them)."""
    fields = {field: line[key] for key, field in LIFTED.items() if key in line}
    fields["labels"] = {**INSTANCE_LABELS, **fields.get("labels", {})}
    return fields, {key: value for key, value in line.items() if key not in LIFTED}


def _entry(log_id: str, at: datetime, **payload: Any) -> LogEntry:
    return LogEntry(log_name=f"projects/{PROJECT}/logs/{log_id.replace('/', '%2F')}",
                    resource=RESOURCE, timestamp=at, receive_timestamp=at + timedelta(seconds=1),
                    labels=INSTANCE_LABELS, insert_id=uuid.uuid4().hex[:16],
                    **payload)


def record_entry(record: Mapping[str, Any], *, lifted: bool = False) -> LogEntry:
    """The stdout entry of one printed record. A current record's structured-logging fields
    become the entry's (its `time` the entry's timestamp). A version 1 record keeps its
    `timestamp` string in the payload and the entry is stamped when the line was captured, a
    moment later; `lifted`: an agent took that timestamp as the entry's anyway."""
    if TIME in record:
        fields, payload = lift(record)
        entry = _entry(STDOUT, datetime.fromisoformat(fields["timestamp"]), json_payload=payload)
        return LogEntry.wrap(json_format.ParseDict(fields, LogEntry.pb(entry)))
    written = datetime.fromisoformat(str(record["timestamp"]))
    if lifted:
        payload = {key: value for key, value in record.items() if key != "timestamp"}
        return _entry(STDOUT, written, json_payload=payload)
    return _entry(STDOUT, written + CAPTURE_DELAY, json_payload=dict(record))


def text_entry(text: str, at: datetime) -> LogEntry:
    """A stdout line that is not JSON (gunicorn's own output, a line cut by a crash)."""
    return _entry(STDOUT, at, text_payload=text)


def json_entry(payload: Mapping[str, Any], at: datetime) -> LogEntry:
    """A stdout JSON line that is not a prediction record."""
    return _entry(STDOUT, at, json_payload=dict(payload))


def request_entry(at: datetime) -> LogEntry:
    """Cloud Run's request log entry of a POST /predict."""
    return _entry(REQUESTS, at, severity=INFO, http_request=HttpRequest(
        request_method="POST", request_url=f"https://{SERVICE}.run.app/predict", status=200))


def export_line(entry: LogEntry) -> str:
    """The entry as one line of a sink's export: the proto's JSON mapping."""
    return json_format.MessageToJson(LogEntry.pb(entry), indent=None)


def export_objects(entries: Iterable[LogEntry], folder: str = STDOUT) -> dict[str, bytes]:
    """Object name -> content, as a GCS sink files `entries` (by the entry's UTC hour)."""
    hours: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        at = entry.timestamp.astimezone(UTC)
        hours[f"{folder}/{at:%Y/%m/%d}/{at:%H}:00:00_{at:%H}:59:59_S0.json"].append(
            export_line(entry))
    return {name: ("\n".join(lines) + "\n").encode() for name, lines in hours.items()}
