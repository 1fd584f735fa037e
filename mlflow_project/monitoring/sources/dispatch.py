"""The one choice of a prediction-log source, by the URI's form.

- a local folder or `gs://BUCKET[/PREFIX]`: `jsonl`, every `*.jsonl` file under it;
- `logging+gs://BUCKET/LOG_FOLDER`: `cloud_logging`, a Cloud Logging sink's GCS export, only the
  window's day folders;
- `bq://PROJECT.DATASET.TABLE`: `bigquery`, a Cloud Logging sink's partitioned table, only the
  window's partitions.

Any other `scheme://` is refused naming these forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.sources.bigquery import SCHEME as BQ_SCHEME
from mlflow_project.monitoring.sources.bigquery import BigQuerySource
from mlflow_project.monitoring.sources.cloud_logging import SCHEME as LOGGING_SCHEME
from mlflow_project.monitoring.sources.cloud_logging import CloudLoggingSource
from mlflow_project.monitoring.sources.jsonl import JsonlSource
from mlflow_project.monitoring.sources.records import LogCounts

FORMS = ("a folder of *.jsonl files, gs://BUCKET[/PREFIX] of *.jsonl files, "
         f"{LOGGING_SCHEME}BUCKET/LOG_FOLDER (a Cloud Logging sink's GCS export) or "
         f"{BQ_SCHEME}PROJECT.DATASET.TABLE (a Cloud Logging sink's BigQuery table)")


class LogSource(Protocol):
    """Where prediction-log records come from."""

    @property
    def uri(self) -> str:
        """The location as given (`--logs`), for messages."""
        ...

    def records(self, since: datetime, until: datetime,
                counts: LogCounts) -> Iterator[PredictionRecord]:
        """The valid records with `since <= timestamp < until`; what was read and skipped (and
        why) is counted in `counts`. Raises InputUnusable when the logs cannot be read."""
        ...


def open_source(uri: str) -> LogSource:
    """The source `uri` names (see the table above); InputUnusable for a URI of no known form.

    Nothing is read or contacted until `records` is called.
    """
    if uri.startswith(BQ_SCHEME):
        return BigQuerySource.from_uri(uri)
    if uri.startswith(LOGGING_SCHEME):
        return CloudLoggingSource.from_uri(uri)
    if "://" in uri and not uri.startswith("gs://"):
        raise InputUnusable(f"{uri}: unknown kind of prediction logs; expected {FORMS}")
    return JsonlSource(uri)
