"""Prediction-log records for the A/B figures, read by monitoring's reader of the log contract.

The one reader (`mlflow_project.monitoring.logs.window_records`) and the one record
(`contracts.prediction_log.PredictionRecord`): every source that reader knows (a folder or `gs://`
prefix of `*.jsonl` files, a Cloud Logging sink's GCS export `logging+gs://...` or BigQuery table
`bq://...`), each record validated, malformed lines counted (with reasons) rather than silently
dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.logs import LogCounts, window_records

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ParsedLog:
    """The records at or after `since`, and how many lines were malformed."""

    records: list[PredictionRecord]
    files: int
    malformed: int


def read_log(location: str, since: datetime | None) -> ParsedLog:
    """Records of the prediction logs at `location` (any form `window_records` reads) from
    `since` on.

    Records without a model version are left out: they cannot be attributed to a variant.
    """
    counts = LogCounts()
    records = [record for record in window_records(location, since or EARLIEST, LATEST, counts)
               if record.model_version is not None]
    return ParsedLog(records, counts.files, counts.malformed)
