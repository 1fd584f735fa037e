"""JSONL prediction logs: every `*.jsonl` file under a local folder (recursively) or a `gs://`
prefix, one record per line, as serving's file sink writes them.

Every line is validated; a line that is not JSON or breaks a field's rule is counted as malformed
with the file, line number and the field and rule, and the rest are used. Unknown extra fields
are ignored, so serving may add fields without breaking monitoring; a new `record_version` is
refused line by line. Every file is read, line by line (never whole into memory): the window
filters records, not files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.sources.gcs import list_objects, object_lines, storage_client
from mlflow_project.monitoring.sources.records import LogCounts, window_record

LOG_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class JsonlSource:
    """A folder or `gs://` prefix of `*.jsonl` prediction logs."""

    uri: str

    def records(self, since: datetime, until: datetime,
                counts: LogCounts) -> Iterator[PredictionRecord]:
        """The valid records with `since <= timestamp < until`, in file order (files by name).

        Raises InputUnusable when the location holds no log file or cannot be read.
        """
        files = list(_log_files(self.uri))
        if not files:
            raise InputUnusable(f"{self.uri}: no *{LOG_SUFFIX} prediction-log files found")
        counts.files = len(files)
        for name, lines in files:
            for number, line in enumerate(lines(), start=1):
                if not line.strip():
                    continue
                counts.lines += 1
                record = window_record(counts, name, number,
                                       partial(PredictionRecord.model_validate_json, line),
                                       since, until)
                if record is not None:
                    yield record


def _log_files(uri: str) -> Iterator[tuple[str, Callable[[], Iterator[bytes]]]]:
    """(name, its lines) for each log file, in name order, from a folder or a `gs://` prefix."""
    if uri.startswith("gs://"):
        yield from _gcs_log_files(uri)
        return
    folder = Path(uri)
    if not folder.is_dir():
        raise InputUnusable(f"{uri}: no such folder of prediction logs")
    for path in sorted(folder.rglob(f"*{LOG_SUFFIX}")):
        yield str(path), partial(_local_lines, path)


def _local_lines(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            yield from handle
    except OSError as exc:
        raise InputUnusable(f"{path}: cannot read: {exc.strerror}") from exc


def _gcs_log_files(uri: str) -> Iterator[tuple[str, Callable[[], Iterator[bytes]]]]:
    bucket, _, prefix = uri.removeprefix("gs://").partition("/")
    if not bucket:
        raise InputUnusable(f"{uri}: expected gs://BUCKET or gs://BUCKET/PREFIX")
    blobs, _ = list_objects(storage_client(uri), bucket, prefix, uri)
    for blob in blobs:
        if blob.name.endswith(LOG_SUFFIX):
            name = f"gs://{bucket}/{blob.name}"
            yield name, partial(object_lines, blob, name)
