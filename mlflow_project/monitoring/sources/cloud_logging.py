"""Prediction logs from the Cloud Storage export of a Cloud Logging sink: `logging+gs://`.

A sink writing to a bucket files each log's entries under `<LOG_ID>/YYYY/MM/DD/` (UTC days of the
entries' timestamps) in hourly objects named `HH:MM:SS_HH:MM:SS_S<n>.json` (or `A<n>`), one
LogEntry as JSON per line; Cloud Run's stdout is `run.googleapis.com/stdout`. The URI names that
log folder: `logging+gs://BUCKET/run.googleapis.com/stdout` (any prefix before the log id is part
of the folder).

Reads are bounded by the window: only the day folders that entries of [since, until + ENTRY_LAG)
can be in are listed (a window longer than MAX_LISTED_DAYS, such as `ab status --since all`,
lists the year, month and day folders that exist, never the objects of other days), and only the
objects whose hours overlap it are read, streamed line by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.sources.gcs import list_objects, object_lines, storage_client
from mlflow_project.monitoring.sources.log_entries import (
    MalformedEntry,
    entries_until,
    entry_record,
    load_entry,
)
from mlflow_project.monitoring.sources.records import LogCounts

if TYPE_CHECKING:
    from google.cloud import storage

SCHEME = "logging+gs://"
EXPECTED = (f"expected {SCHEME}BUCKET/LOG_FOLDER, the folder of one log's YYYY/MM/DD folders in "
            f"a Cloud Logging sink's bucket (e.g. {SCHEME}BUCKET/run.googleapis.com/stdout)")
MAX_LISTED_DAYS = 92
_OBJECT_NAME = re.compile(r"(\d\d):(\d\d):(\d\d)_(\d\d):(\d\d):(\d\d)_[SA]\d+\.json")


@dataclass(frozen=True)
class CloudLoggingSource:
    """One log's folder in the bucket of a Cloud Logging sink."""

    uri: str
    bucket: str
    folder: str

    @classmethod
    def from_uri(cls, uri: str) -> CloudLoggingSource:
        """Parse `logging+gs://BUCKET/LOG_FOLDER`; InputUnusable naming the form otherwise."""
        bucket, _, folder = uri.removeprefix(SCHEME).partition("/")
        folder = folder.strip("/")
        if not bucket or not folder:
            raise InputUnusable(f"{uri}: {EXPECTED}")
        return cls(uri=uri, bucket=bucket, folder=folder)

    def records(self, since: datetime, until: datetime,
                counts: LogCounts) -> Iterator[PredictionRecord]:
        """The valid records with `since <= timestamp < until`, in object-name order; other
        entries are counted apart, malformed lines with their reason.

        Raises InputUnusable when the window's day folders hold no export object, or on a GCS
        error.
        """
        client = storage_client(self.uri)
        end = entries_until(until)
        objects = self._objects(client, since, end)
        if not objects:
            raise InputUnusable(
                f"{self.uri}: no Cloud Logging export objects (*.json) for entries from "
                f"{since.isoformat()} to {end.isoformat()} in gs://{self.bucket}/{self.folder}/"
                f"YYYY/MM/DD/; {EXPECTED}")
        counts.files = len(objects)
        for blob in objects:
            name = f"gs://{self.bucket}/{blob.name}"
            for number, line in enumerate(object_lines(blob, name), start=1):
                if not line.strip():
                    continue
                counts.lines += 1
                try:
                    entry = load_entry(line)
                except MalformedEntry as exc:
                    counts.add_malformed(name, number, str(exc))
                    continue
                record = entry_record(counts, name, number, entry, since, until)
                if record is not None:
                    yield record

    def _objects(self, client: storage.Client, since: datetime,
                 end: datetime) -> list[storage.Blob]:
        """The export objects of the day folders of [since, end) whose hours overlap it."""
        first, last = day_range(since, end)
        if (last - first).days < MAX_LISTED_DAYS:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        else:
            days = self._existing_days(client, first, last)
        found = []
        for day in days:
            blobs, _ = list_objects(client, self.bucket, day_prefix(self.folder, day), self.uri)
            found += [blob for blob in blobs if overlaps(day, blob.name, since, end)]
        return found

    def _existing_days(self, client: storage.Client, first: date, last: date) -> list[date]:
        """The day folders that exist between `first` and `last`, found folder by folder."""
        days = []
        for year in self._numbered(client, f"{self.folder}/", first.year, last.year):
            for month in self._numbered(client, f"{self.folder}/{year:04d}/", 1, 12):
                if not (first.year, first.month) <= (year, month) <= (last.year, last.month):
                    continue
                for number in self._numbered(client, f"{self.folder}/{year:04d}/{month:02d}/",
                                             1, 31):
                    try:
                        day = date(year, month, number)
                    except ValueError:  # 02/30: not a day folder
                        continue
                    if first <= day <= last:
                        days.append(day)
        return days

    def _numbered(self, client: storage.Client, prefix: str, low: int,
                  high: int) -> list[int]:
        """The numeric sub-folders of `prefix` within [low, high], in order."""
        _, prefixes = list_objects(client, self.bucket, prefix, self.uri, delimiter="/")
        names = (sub.removeprefix(prefix).rstrip("/") for sub in prefixes)
        return sorted(int(name) for name in names if name.isdigit() and low <= int(name) <= high)


def day_range(since: datetime, end: datetime) -> tuple[date, date]:
    """The first and last UTC day that [since, end) touches (`end` itself excluded)."""
    last = max(end - timedelta(microseconds=1), since)
    return since.astimezone(UTC).date(), last.astimezone(UTC).date()


def day_prefix(folder: str, day: date) -> str:
    """The object prefix of one day of a log: `<folder>/YYYY/MM/DD/`."""
    return f"{folder}/{day:%Y/%m/%d}/"


def object_span(day: date, object_name: str) -> tuple[datetime, datetime] | None:
    """[start, end) of the entries an export object holds, from its name
    (`HH:MM:SS_HH:MM:SS_S<n>.json`, the last second included); None for another name."""
    match = _OBJECT_NAME.fullmatch(object_name.rsplit("/", 1)[-1])
    if match is None:
        return None
    h1, m1, s1, h2, m2, s2 = (int(part) for part in match.groups())
    if max(h1, h2) > 23 or max(m1, m2, s1, s2) > 59:
        return None
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    return (midnight + timedelta(hours=h1, minutes=m1, seconds=s1),
            midnight + timedelta(hours=h2, minutes=m2, seconds=s2 + 1))


def overlaps(day: date, object_name: str, since: datetime, end: datetime) -> bool:
    """Whether an object of `day`'s folder may hold entries of [since, end): a `.json` object
    whose hours overlap it, or whose name gives no hours."""
    if not object_name.endswith(".json"):
        return False
    span = object_span(day, object_name)
    return span is None or (span[0] < end and span[1] > since)
