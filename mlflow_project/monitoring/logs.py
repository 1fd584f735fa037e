"""Read the prediction logs of a time window from a local folder or a `gs://` prefix.

The logs are the contract with serving (`contracts.prediction_log`): one JSON object per line in
`*.jsonl` files. Every line is validated; a line that is not JSON or breaks a field's
rule is counted as malformed with the file, line number and the field and rule (the first few are
kept as examples), and the rest are used. Unknown extra fields are ignored, so serving may add
fields without breaking monitoring; a new `record_version` is refused line by line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from contracts.prediction_log import PredictionRecord

# The project's one GCS client factory (anonymous against STORAGE_EMULATOR_HOST).
from mlflow_project.data.io import DataSourceError, gcs_client
from mlflow_project.monitoring.errors import InputUnusable

LOG_SUFFIX = ".jsonl"
MAX_EXAMPLES = 20
LOG_COLUMNS: tuple[str, ...] = (
    "timestamp", "request_id", "ticket_id", "model_name", "model_version", "variant", "endpoint",
    "title", "description", "source", "customer_tier", "urgency_probability", "urgent",
    "threshold", "latency_ms",
)


@dataclass(frozen=True)
class MalformedLine:
    """Where a malformed line is and which rule it broke."""

    file: str
    line: int
    reason: str


@dataclass
class LogCounts:
    """What a read went through: files, lines, and the lines it skipped and why."""

    files: int = 0
    lines: int = 0
    malformed: int = 0
    outside_window: int = 0
    malformed_reasons: Counter[str] = field(default_factory=Counter)
    malformed_examples: list[MalformedLine] = field(default_factory=list)


@dataclass
class LogWindow(LogCounts):
    """The valid records of a window (`LOG_COLUMNS`, oldest first) and what was skipped."""

    records: pd.DataFrame = field(default_factory=pd.DataFrame)


def read_log_window(uri: str, since: datetime, until: datetime) -> LogWindow:
    """Records with `since <= timestamp < until` from every `*.jsonl` under `uri`, as a frame.

    Raises InputUnusable when the location holds no log file or cannot be read.
    """
    window = LogWindow()
    rows = [_row(record) for record in window_records(uri, since, until, window)]
    frame = pd.DataFrame.from_records(rows, columns=list(LOG_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    window.records = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return window


def window_records(uri: str, since: datetime, until: datetime,
                   counts: LogCounts) -> Iterator[PredictionRecord]:
    """The valid records with `since <= timestamp < until` under `uri`, in file order; the files,
    lines, malformed lines (with reasons) and records outside the window are counted in `counts`.

    The one reader of the log contract: monitoring's frame and the A/B figures both use it.
    Raises InputUnusable when the location holds no log file or cannot be read.
    """
    sources = list(_log_files(uri))
    if not sources:
        raise InputUnusable(f"{uri}: no *{LOG_SUFFIX} prediction-log files found")
    counts.files = len(sources)
    for name, read in sources:
        for number, line in enumerate(read().splitlines(), start=1):
            if not line.strip():
                continue
            counts.lines += 1
            record = _valid_record(counts, name, number, line)
            if record is None:
                continue
            if not since <= record.timestamp < until:
                counts.outside_window += 1
                continue
            yield record


def parse_record(line: bytes) -> PredictionRecord:
    """Validate one log line; raises pydantic's ValidationError naming the field and rule."""
    return PredictionRecord.model_validate_json(line)


def describe_error(error: ValidationError) -> str:
    """A short reason for a malformed line: the first broken field and its rule."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].split(" at line ")[0]
    return f"{location}: {message}" if location else message


def _valid_record(counts: LogCounts, name: str, number: int,
                  line: bytes) -> PredictionRecord | None:
    try:
        return parse_record(line)
    except ValidationError as error:
        reason = describe_error(error)
        counts.malformed += 1
        counts.malformed_reasons[reason] += 1
        if len(counts.malformed_examples) < MAX_EXAMPLES:
            counts.malformed_examples.append(MalformedLine(name, number, reason))
        return None


def _row(record: PredictionRecord) -> tuple[object, ...]:
    features = record.features
    return (record.timestamp, record.request_id, record.ticket_id, record.model_name,
            record.model_version, record.variant, record.endpoint, features.title,
            features.description, features.source, features.customer_tier,
            record.urgency_probability, int(record.urgent), record.threshold, record.latency_ms)


def _log_files(uri: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, reader) for each log file, in name order, from a folder or a `gs://` prefix."""
    if uri.startswith("gs://"):
        yield from _gcs_log_files(uri)
        return
    folder = Path(uri)
    if not folder.is_dir():
        raise InputUnusable(f"{uri}: no such folder of prediction logs")
    for path in sorted(folder.rglob(f"*{LOG_SUFFIX}")):
        yield str(path), partial(_read_local, path)


def _read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputUnusable(f"{path}: cannot read: {exc.strerror}") from exc


def _gcs_log_files(uri: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    from google.api_core import exceptions as gexc

    bucket, _, prefix = uri.removeprefix("gs://").partition("/")
    if not bucket:
        raise InputUnusable(f"{uri}: expected gs://BUCKET or gs://BUCKET/PREFIX")
    try:
        blobs = sorted(gcs_client(uri).list_blobs(bucket, prefix=prefix), key=lambda b: b.name)
    except DataSourceError as exc:  # no credentials: the message says what to set
        raise InputUnusable(str(exc)) from exc
    except gexc.GoogleAPICallError as exc:
        raise InputUnusable(f"{uri}: cannot list objects: {exc.message}") from exc
    for blob in blobs:
        if blob.name.endswith(LOG_SUFFIX):
            name = f"gs://{bucket}/{blob.name}"
            yield name, partial(_read_blob, blob, name)


def _read_blob(blob: Any, name: str) -> bytes:
    from google.api_core import exceptions as gexc

    try:
        return bytes(blob.download_as_bytes())
    except gexc.GoogleAPICallError as exc:
        raise InputUnusable(f"{name}: cannot read from GCS: {exc.message}") from exc
