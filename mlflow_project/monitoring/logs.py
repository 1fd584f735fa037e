"""Read the prediction logs of a time window, from any source `open_source` knows.

The logs are the contract with serving (`contracts.prediction_log`): one record per prediction,
as JSONL files (a local folder or a `gs://` prefix), a Cloud Logging sink's GCS export
(`logging+gs://BUCKET/LOG_FOLDER`) or its BigQuery table (`bq://PROJECT.DATASET.TABLE`); see
`mlflow_project.monitoring.sources`. Every record is validated; one that is not JSON or breaks a
field's rule is counted as malformed with where it is and the field and rule (the first few are
kept as examples), and the rest are used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.sources import LogCounts, open_source

__all__ = ["INPUT_COLUMNS", "LOG_COLUMNS", "LogCounts", "LogWindow", "read_log_window",
           "window_records"]

LOG_COLUMNS: tuple[str, ...] = (
    "timestamp", "ticket_id", "model_name", "model_version", "variant", "source",
    "customer_tier", "urgency_probability", "urgent", "latency_ms",
)
INPUT_COLUMNS: tuple[str, ...] = ("title", "description", "source", "customer_tier")
DEFAULT_MAX_INPUT_ROWS = 50_000


@dataclass
class LogWindow(LogCounts):
    """What the checks need of a window, and what was skipped.

    `records`: every valid record (`LOG_COLUMNS`, oldest first), without the ticket texts;
    `inputs`: the model inputs (`INPUT_COLUMNS`) of a uniform random sample of at most
    `max_input_rows` records (all of them when fewer), in window order.
    """

    records: pd.DataFrame = field(default_factory=pd.DataFrame)
    inputs: pd.DataFrame = field(default_factory=pd.DataFrame)


def read_log_window(uri: str, since: datetime, until: datetime, *,
                    max_input_rows: int = DEFAULT_MAX_INPUT_ROWS, seed: int = 0) -> LogWindow:
    """Records with `since <= timestamp < until` from the logs at `uri`.

    Memory stays bounded by what the checks use, whatever the traffic: a record keeps only its
    timestamp, identities, categories, score, label and latency (repeated strings shared), and
    the ticket texts are kept for a seeded reservoir sample of `max_input_rows` records, which
    is what the input-drift checks compare with the reference (itself capped the same way).
    Raises InputUnusable when the location holds no logs or cannot be read.
    """
    window = LogWindow()
    columns = _Columns()
    sample = _Reservoir(max_input_rows, seed)
    for record in window_records(uri, since, until, window):
        columns.add(record)
        sample.offer(record)
    window.records = columns.frame()
    window.inputs = sample.frame()
    return window


def window_records(uri: str, since: datetime, until: datetime,
                   counts: LogCounts) -> Iterator[PredictionRecord]:
    """The valid records with `since <= timestamp < until` at `uri`; what was read and skipped
    (files, lines, other log entries, malformed lines with reasons, records outside the window)
    is counted in `counts`.

    The one reader of the log contract: monitoring's frame and the A/B figures both use it, so
    every source `open_source` knows serves both. Raises InputUnusable when the location holds
    no logs or cannot be read.
    """
    yield from open_source(uri).records(since, until, counts)



class _Columns:
    """The window's records as columns, repeated strings stored once."""

    def __init__(self) -> None:
        self.values: dict[str, list[object]] = {name: [] for name in LOG_COLUMNS}
        self._interned: dict[str, str] = {}

    def add(self, record: PredictionRecord) -> None:
        shared = self._shared
        row = (record.timestamp, record.ticket_id, shared(record.model_name),
               shared(record.model_version), shared(record.variant),
               shared(record.features.source), shared(record.features.customer_tier),
               record.urgency_probability, int(record.urgent), record.latency_ms)
        for name, value in zip(LOG_COLUMNS, row, strict=True):
            self.values[name].append(value)

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.values, columns=list(LOG_COLUMNS))
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        frame["urgent"] = frame["urgent"].astype("int64")
        return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)

    def _shared(self, value: str | None) -> str | None:
        return None if value is None else self._interned.setdefault(value, value)


class _Reservoir:
    """A uniform random sample of at most `size` records' inputs (Algorithm R), seeded."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.seen = 0
        self.kept: list[tuple[int, tuple[str | None, ...]]] = []
        self._rng = np.random.default_rng(seed)

    def offer(self, record: PredictionRecord) -> None:
        features = record.features
        entry = (self.seen, (features.title, features.description, features.source,
                             features.customer_tier))
        if len(self.kept) < self.size:
            self.kept.append(entry)
        else:
            slot = int(self._rng.integers(0, self.seen + 1))
            if slot < self.size:
                self.kept[slot] = entry
        self.seen += 1

    def frame(self) -> pd.DataFrame:
        rows = [inputs for _, inputs in sorted(self.kept, key=lambda kept: kept[0])]
        return pd.DataFrame.from_records(rows, columns=list(INPUT_COLUMNS))
