"""Cloud Logging's structured-logging fields: the JSON keys it lifts out of a log line.

On Cloud Run every JSON line written to stdout or stderr becomes a LogEntry whose `jsonPayload`
is the object. A few keys are special: Cloud Logging moves them into the entry and removes them
from `jsonPayload` (Google's "Structured logging" document, the same keys the
google-cloud-logging library writes):

- `severity` -> the entry's `severity` (INFO, WARNING, ERROR, ...);
- `time` (an RFC 3339 string) -> the entry's `timestamp` (a string `timestamp` is *not* lifted:
  only `timestamp` as {seconds, nanos} is);
- `logging.googleapis.com/trace` (`projects/PROJECT_ID/traces/TRACE_ID`), `.../spanId` (16 hex
  digits) and `.../trace_sampled` -> `trace`, `spanId`, `traceSampled`, which tie the line to
  Cloud Run's request log entry and to Cloud Trace;
- `logging.googleapis.com/labels` (string to string) -> `labels`, indexed and filterable.

So a sink's export or BigQuery table holds these as the entry's own fields, never in
`jsonPayload`; readers of the logs take them from there. Serving's log lines and the prediction
records (`contracts.prediction_log`) build them here, one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

SEVERITY = "severity"
TIME = "time"
TRACE = "logging.googleapis.com/trace"
SPAN_ID = "logging.googleapis.com/spanId"
TRACE_SAMPLED = "logging.googleapis.com/trace_sampled"
LABELS = "logging.googleapis.com/labels"


def log_time(at: datetime) -> str:
    """`at` as the RFC 3339 string Cloud Logging lifts: UTC, microseconds, `Z`
    (e.g. `2026-03-01T10:00:00.120000Z`)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def trace_fields(project: str, trace_id: str, span_id: str,
                 sampled: bool) -> dict[str, object]:
    """The three trace fields of a line written while serving a traced request: the trace's
    resource name in `project`, the span (16 hex digits) and the sampling decision."""
    return {TRACE: f"projects/{project}/traces/{trace_id}", SPAN_ID: span_id,
            TRACE_SAMPLED: sampled}


def labels_field(labels: Mapping[str, str | None]) -> dict[str, str]:
    """The labels as Cloud Logging takes them: string values only, so an unset one is left
    out rather than sent as null."""
    return {key: value for key, value in labels.items() if value is not None}
