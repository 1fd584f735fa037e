"""Cloud Logging's LogEntry around our records: which entries are prediction records, and when.

On Cloud Run every line serving prints becomes a LogEntry; a JSON line becomes its `jsonPayload`.
Cloud Logging moves its structured-logging fields out of the payload into the entry
(`contracts.cloud_logging`). A version 2 record's `time`, an RFC 3339 string, is one of them: in
an export or a sink's table the record has no time of its own, the entry's `timestamp` is it.
A version 1 record's `timestamp` string is none of them, so the payload keeps it (agents differ:
should one lift it, the entry's is the same instant). So a record keeps its own time when the
payload still has one and takes the entry's otherwise. The other lifted fields (severity, trace,
labels) are not needed to read a record: it keeps the model version and variant in the payload.

An entry's own timestamp is never earlier than the record's (lifted: equal; else the moment the
line was captured), so reading entries stamped in [since, until + ENTRY_LAG) finds every record of
[since, until).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from contracts.cloud_logging import TIME
from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.sources.records import LogCounts, window_record

ENTRY_LAG = timedelta(minutes=1)


class MalformedEntry(ValueError):
    """A line of an export that is not a LogEntry; the message is the reason."""


def load_entry(line: bytes) -> dict[str, Any]:
    """One exported line as a LogEntry in its JSON form; raises MalformedEntry saying why not."""
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise MalformedEntry(f"Invalid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise MalformedEntry(f"Invalid JSON: not UTF-8 ({exc.reason})") from exc
    if not isinstance(entry, dict):
        raise MalformedEntry("log entry: Input should be an object")
    return entry


def prediction_payload(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The prediction record inside a LogEntry, its `time` the entry's timestamp when the payload
    has no time of its own (`time` lifted; a null `time` or `timestamp` is a column of a sink's
    table that this row does not have); None when the entry is not a prediction record (no
    `jsonPayload` with a `record_version`: other output of the service, request logs)."""
    payload = entry.get("jsonPayload")
    if not isinstance(payload, dict) or payload.get("record_version") is None:
        return None
    if payload.get(TIME) is not None:
        return payload
    record = {key: value for key, value in payload.items() if key != TIME}
    if record.get("timestamp") is None and entry.get("timestamp") is not None:
        record[TIME] = entry["timestamp"]
    return record


def entry_record(counts: LogCounts, where: str, number: int, entry: Mapping[str, Any],
                 since: datetime, until: datetime) -> PredictionRecord | None:
    """The valid record of `entry` when it is one and falls in [since, until); else None, with
    the entry counted as another entry, malformed or outside the window."""
    payload = prediction_payload(entry)
    if payload is None:
        counts.other_entries += 1
        return None
    return window_record(counts, where, number,
                         partial(PredictionRecord.model_validate, payload), since, until)


def entries_until(until: datetime) -> datetime:
    """Where to stop reading entries so that every record before `until` is found."""
    try:
        return until + ENTRY_LAG
    except OverflowError:  # an open-ended window (datetime.max)
        return until
