"""`logging+gs://`: a Cloud Logging sink's GCS export, read day folder by day folder.

The pure parts (day folders, object hours) first; then the source against the GCS emulator
through the real google-cloud-storage client, with entries built as LogEntry protos and exported
as a sink writes them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("google.cloud.logging_v2", reason="google-cloud-logging (a dev dependency)")

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.logs import read_log_window, window_records
from mlflow_project.monitoring.sources import LogCounts, open_source
from mlflow_project.monitoring.sources.cloud_logging import (
    CloudLoggingSource,
    day_prefix,
    day_range,
    object_span,
    overlaps,
)
from registry_tools.ab.logs import read_log
from tests.mlflow_project.monitoring.sources.conftest import Bucket
from tests.mlflow_project.monitoring.sources.sink import (
    REQUESTS,
    STDOUT,
    export_objects,
    json_entry,
    record_entry,
    request_entry,
    served,
    served_v1,
    text_entry,
)

SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
URI = f"logging+gs://sink/{STDOUT}"


def utc(day: int, hour: int = 0, minute: int = 0, second: int = 0, ms: int = 0,
        month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)


# --- pure: which folders and objects a window needs --------------------------------------------

def test_the_window_touches_its_utc_days_only() -> None:
    assert day_range(SINCE, UNTIL) == (date(2026, 3, 1), date(2026, 3, 1))
    assert day_range(SINCE, UNTIL + timedelta(minutes=1)) == (date(2026, 3, 1), date(2026, 3, 2))
    in_paris = datetime.fromisoformat("2026-03-01T00:30:00+01:00")  # 2026-02-28 23:30 UTC
    assert day_range(in_paris, UNTIL) == (date(2026, 2, 28), date(2026, 3, 1))
    assert day_prefix(STDOUT, date(2026, 3, 1)) == f"{STDOUT}/2026/03/01/"


def test_an_objects_hours_come_from_its_name() -> None:
    day = date(2026, 3, 1)
    assert object_span(day, f"{STDOUT}/2026/03/01/08:00:00_08:59:59_S0.json") == (
        utc(1, 8), utc(1, 9))
    assert object_span(day, "23:00:00_23:59:59_A12.json") == (utc(1, 23), utc(2))
    for other in ("08:00:00_08:59:59_S0.jsonl", "notes.json", "25:00:00_25:59:59_S0.json"):
        assert object_span(day, other) is None


def test_only_objects_whose_hours_overlap_the_window_are_read() -> None:
    day = date(2026, 3, 2)
    end = UNTIL + timedelta(minutes=1)
    assert overlaps(day, "00:00:00_00:59:59_S0.json", SINCE, end)
    assert not overlaps(day, "01:00:00_01:59:59_S0.json", SINCE, end)
    assert overlaps(day, "unusual-name.json", SINCE, end)  # no hours in the name: read it
    assert not overlaps(day, "00:00:00_00:59:59_S0.json.tmp", SINCE, end)


def test_the_uri_names_a_log_folder_in_a_bucket() -> None:
    source = open_source(f"{URI}/")
    assert source == CloudLoggingSource(uri=f"{URI}/", bucket="sink", folder=STDOUT)
    for bad in ("logging+gs://sink", "logging+gs://sink/", "logging+gs:///run.googleapis.com"):
        with pytest.raises(InputUnusable, match=r"expected logging\+gs://BUCKET/LOG_FOLDER"):
            open_source(bad)


# --- against the GCS emulator -----------------------------------------------------------------

@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every prefix the storage client lists (a spy on the real client's list_blobs)."""
    from google.cloud import storage

    prefixes: list[str] = []
    real = storage.Client.list_blobs

    def spy(self: storage.Client, *args: Any, **kwargs: Any) -> Any:
        prefixes.append(kwargs.get("prefix") or "")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(storage.Client, "list_blobs", spy)
    return prefixes


def _day_of_traffic() -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Records of 2026-03-01, current ones (their time lifted into the entry) and version 1 ones
    (one with its timestamp lifted, the last printed just before midnight, so its entry lands
    in the next day's folder), around them records of other days, other stdout lines and
    request logs."""
    window = [served(utc(1, 0, 0, 0, 0), ticket_id="T-midnight"),
              served_v1(utc(1, 9, 15), ticket_id=None),
              served(utc(1, 9, 40), model_version="4", variant="challenger"),
              served_v1(utc(1, 23, 59, 59, 999), ticket_id="T-last")]
    entries = [record_entry(window[0]), record_entry(window[1], lifted=True),
               record_entry(window[2]), record_entry(window[3])]
    entries += [record_entry(served(utc(28, 23, 59, month=2))),   # the day before: not listed
                record_entry(served(utc(2, 0, 0, 30))),           # just after: read, outside
                text_entry("[INFO] Booting worker with pid: 7", utc(1, 9)),
                json_entry({"message": "model loaded", "version": "3"}, utc(1, 9, 1))]
    objects = export_objects(entries)
    objects |= export_objects([request_entry(utc(1, 9, 15))], folder=REQUESTS)
    return window, objects


def test_the_windows_records_come_back_equal_and_nothing_else(gcs_bucket: Bucket,
                                                              listed: list[str]) -> None:
    window, objects = _day_of_traffic()
    gcs_bucket.put(objects)
    counts = LogCounts()
    records = list(open_source(URI).records(SINCE, UNTIL, counts))
    assert records == [PredictionRecord.model_validate(record) for record in window]
    assert counts.other_entries == 2          # the gunicorn line and the other JSON line
    assert counts.outside_window == 1         # 2026-03-02 00:00:30, read for the lag
    assert counts.malformed == 0
    assert counts.files == 3                  # 03-01 hours 00 and 09, 03-02 hour 00
    assert counts.lines == 4 + 1 + 2
    assert listed == [f"{STDOUT}/2026/03/01/", f"{STDOUT}/2026/03/02/"]


def test_only_the_window_days_are_listed_and_read(gcs_bucket: Bucket, listed: list[str]) -> None:
    """Objects of other days and hours are full of garbage: none is read."""
    garbage = b"{garbage\n"
    gcs_bucket.put({f"{STDOUT}/2026/02/28/23:00:00_23:59:59_S0.json": garbage,
                    f"{STDOUT}/2026/03/02/01:00:00_01:59:59_S0.json": garbage,
                    f"{STDOUT}/2026/03/03/00:00:00_00:59:59_S0.json": garbage,
                    f"{STDOUT}/2026/03/01/notes.txt": garbage,
                    **export_objects([record_entry(served(utc(1, 12)))])})
    counts = LogCounts()
    assert len(list(window_records(URI, SINCE, UNTIL, counts))) == 1
    assert (counts.malformed, counts.files) == (0, 1)
    assert listed == [f"{STDOUT}/2026/03/01/", f"{STDOUT}/2026/03/02/"]


def test_a_malformed_line_is_counted_with_its_reason(gcs_bucket: Bucket) -> None:
    good = served(utc(1, 10), ticket_id="T-good")
    bad = served(utc(1, 10, 5), urgency_probability=1.5, ticket_id="T-bad")
    name = f"{STDOUT}/2026/03/01/10:00:00_10:59:59_S0.json"
    content = export_objects([record_entry(good), record_entry(bad)])[name]
    gcs_bucket.put({name: content + b'{"insertId": "cut-short", "jsonPa\n[1, 2]\n'})
    window = read_log_window(URI, SINCE, UNTIL)
    assert window.records["ticket_id"].tolist() == [good["ticket_id"]]
    assert window.malformed == 3
    examples = [(e.file, e.line, e.reason) for e in window.malformed_examples]
    assert examples[0] == (f"gs://sink/{name}", 2,
                           "urgency_probability: Input should be less than or equal to 1")
    assert [(line, reason.split(":")[0]) for _, line, reason in examples[1:]] == [
        (3, "Invalid JSON"), (4, "log entry")]


def test_an_open_ended_window_finds_the_day_folders_that_exist(gcs_bucket: Bucket,
                                                               listed: list[str]) -> None:
    """`registry-tools ab status --since all`: no day is enumerated, existing ones are found."""
    old = served(datetime(2025, 12, 31, 23, 30, tzinfo=UTC), model_version="2")
    recent = served(utc(1, 9))
    gcs_bucket.put(export_objects([record_entry(old), record_entry(recent)]))
    gcs_bucket.put({f"{STDOUT}/2026/03/not-a-day/x.json": b"{garbage\n"})
    parsed = read_log(URI, None)
    assert [r.model_version for r in parsed.records] == ["2", "3"]
    assert (parsed.files, parsed.malformed) == (2, 0)
    days = [prefix for prefix in listed if prefix.count("/") == 5]
    assert days == [f"{STDOUT}/2025/12/31/", f"{STDOUT}/2026/03/01/"]
    assert len(listed) == 1 + 2 + 2 + 2  # years; their months; their days; the two days


def test_no_export_for_the_window_is_unusable(gcs_bucket: Bucket) -> None:
    gcs_bucket.put(export_objects([record_entry(served(utc(1, 9)))]))
    with pytest.raises(InputUnusable, match=r"logging\+gs://sink/run.googleapis.com/stderr: no "
                                            r"Cloud Logging export objects .* \(e\.g\. "):
        list(window_records("logging+gs://sink/run.googleapis.com/stderr", SINCE, UNTIL,
                            LogCounts()))
    with pytest.raises(InputUnusable, match=r"logging\+gs://absent/x: cannot list objects"):
        list(window_records("logging+gs://absent/x", SINCE, UNTIL, LogCounts()))
