"""Prediction-log records for the A/B figures, read by monitoring's reader of the log contract.

One reader of the serving/monitoring contract (`mlflow_project.monitoring.logs`): every
`*.jsonl` file under a folder or a `gs://` prefix, each line validated, malformed lines counted
(with reasons) rather than silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow_project.monitoring.logs import read_log_window
from registry_tools.ab.analysis import PredictionRecord

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ParsedLog:
    """The records at or after `since`, and how many lines were malformed."""

    records: list[PredictionRecord]
    files: int
    malformed: int


def read_log(location: str, since: datetime | None) -> ParsedLog:
    """Records of every log file under `location` (a folder or `gs://` prefix) from `since` on.

    Records without a model version are left out: they cannot be attributed to a variant.
    """
    window = read_log_window(location, since or EARLIEST, LATEST)
    records = [
        PredictionRecord(timestamp=row["timestamp"].to_pydatetime(),
                         request_id=str(row["request_id"]),
                         model_version=str(row["model_version"]), variant=row["variant"],
                         urgency_probability=float(row["urgency_probability"]),
                         urgent=bool(row["urgent"]), latency_ms=float(row["latency_ms"]),
                         ticket_id=row["ticket_id"])
        for row in window.records.to_dict("records") if row["model_version"] is not None]
    return ParsedLog(records, window.files, window.malformed)
