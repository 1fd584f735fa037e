"""Reading a window of prediction logs: validation line by line, the time window, GCS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.logs import INPUT_COLUMNS, LOG_COLUMNS, read_log_window
from tests import support
from tests.mlflow_project.monitoring.helpers import current_record, record, write_lines

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 2, tzinfo=UTC)


def test_valid_records_in_the_window_are_read_in_time_order(tmp_path: Path) -> None:
    write_lines(tmp_path / "b.jsonl", [json.dumps(record("2026-03-01T12:00:00+00:00",
                                                         ticket_id="T-2"))])
    write_lines(tmp_path / "a.jsonl", [json.dumps(record("2026-03-01T09:00:00+01:00")),
                                       json.dumps(record("2026-03-02T00:00:00+00:00")),
                                       json.dumps(record("2026-02-28T23:59:59+00:00"))])
    window = read_log_window(str(tmp_path), SINCE, UNTIL)
    assert list(window.records.columns) == list(LOG_COLUMNS)
    assert window.records["ticket_id"].tolist() == ["T-1", "T-2"]  # 08:00 UTC, then 12:00
    assert window.outside_window == 2  # `until` is excluded, the day before is out
    assert window.malformed == 0
    assert window.files == 2
    assert window.records["urgent"].tolist() == [1, 1]
    assert window.records["source"].tolist() == ["email", "email"]


def test_current_and_version_1_records_are_read_alike(tmp_path: Path) -> None:
    """A folder holding logs from before and after serving moved to version 2."""
    write_lines(tmp_path / "old.jsonl", [json.dumps(record("2026-03-01T09:00:00.000+00:00",
                                                           ticket_id="T-old"))])
    write_lines(tmp_path / "new.jsonl", [
        json.dumps(current_record("2026-03-01T08:00:00.250000Z", ticket_id="T-new",
                                  model_version="4", variant="challenger")),
        json.dumps(current_record("2026-03-01T10:00:00", ticket_id="T-naive")),
        json.dumps(current_record("2026-03-02T00:00:00.000000Z"))])
    window = read_log_window(str(tmp_path), SINCE, UNTIL)
    assert window.records["ticket_id"].tolist() == ["T-new", "T-old"]
    assert window.records["timestamp"].tolist() == [
        datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=UTC)]
    assert window.records["model_version"].tolist() == ["4", "3"]
    assert window.records["variant"].tolist() == ["challenger", "production"]
    assert (window.malformed, window.outside_window) == (1, 1)
    assert window.malformed_examples[0].reason.startswith("time: ")


def test_malformed_lines_are_counted_with_their_reason_and_the_rest_used(
        tmp_path: Path) -> None:
    no_zone = record("2026-03-01T10:00:00")
    lines = [
        json.dumps(record()),
        "{not json",
        json.dumps(record(urgency_probability=1.5)),
        json.dumps({k: v for k, v in record().items() if k != "features"}),
        json.dumps(no_zone),
        json.dumps(record(record_version=3)),
        "[1, 2]",
        "",
        json.dumps(record(ticket_id=None, extra_field="ignored", model_version=4)),
    ]
    path = write_lines(tmp_path / "logs" / "p.jsonl", lines)
    window = read_log_window(str(tmp_path / "logs"), SINCE, UNTIL)
    assert len(window.records) == 2
    assert window.records["model_version"].tolist() == ["3", "4"]
    assert window.records["ticket_id"].isna().tolist() == [False, True]
    assert window.malformed == 6
    assert window.lines == 8  # the blank line is not a record
    reasons = {(e.line, e.reason.split(":")[0]) for e in window.malformed_examples}
    assert reasons == {(2, "Invalid JSON"), (3, "urgency_probability"), (4, "features"),
                       (5, "timestamp"), (6, "record_version"), (7, "Input should be an object")}
    assert all(e.file == str(path) for e in window.malformed_examples)
    assert sum(window.malformed_reasons.values()) == 6


def test_log_files_are_found_in_subfolders_and_other_files_ignored(tmp_path: Path) -> None:
    write_lines(tmp_path / "2026" / "03" / "01" / "w1.jsonl", [json.dumps(record())])
    write_lines(tmp_path / "notes.txt", ["not a log"])
    window = read_log_window(str(tmp_path), SINCE, UNTIL)
    assert window.files == 1
    assert len(window.records) == 1


def test_a_missing_folder_or_one_without_logs_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(InputUnusable, match="no such folder"):
        read_log_window(str(tmp_path / "absent"), SINCE, UNTIL)
    with pytest.raises(InputUnusable, match=r"no \*\.jsonl prediction-log files"):
        read_log_window(str(tmp_path), SINCE, UNTIL)


@pytest.fixture
def gcs_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An in-process GCS emulator with bucket `logs`; yields the bucket name."""
    with support.gcs_emulator("logs") as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield "logs"


def test_logs_are_read_from_a_gcs_prefix(gcs_emulator: str) -> None:
    from mlflow_project.data.io import write_bytes

    line = (json.dumps(record()) + "\n").encode()
    write_bytes(line * 2, f"gs://{gcs_emulator}/serving/2026-03-01/a.jsonl")
    write_bytes(line + b"{broken\n", f"gs://{gcs_emulator}/serving/2026-03-01/b.jsonl")
    write_bytes(line, f"gs://{gcs_emulator}/elsewhere/c.jsonl")
    window = read_log_window(f"gs://{gcs_emulator}/serving/", SINCE, UNTIL)
    assert window.files == 2
    assert len(window.records) == 3
    assert window.malformed == 1
    assert window.malformed_examples[0].file == f"gs://{gcs_emulator}/serving/2026-03-01/b.jsonl"
    with pytest.raises(InputUnusable, match="no"):
        read_log_window(f"gs://{gcs_emulator}/nothing-here/", SINCE, UNTIL)


def test_a_window_larger_than_the_cap_keeps_every_record_and_a_seeded_sample_of_inputs(
        tmp_path: Path) -> None:
    lines = [json.dumps(record(f"2026-03-01T{i // 60:02d}:{i % 60:02d}:00+00:00",
                               ticket_id=f"T-{i}",
                               features={"title": f"title {i}", "description": f"text {i}",
                                         "source": "email", "customer_tier": "premium"}))
             for i in range(600)]
    write_lines(tmp_path / "day.jsonl", lines)

    window = read_log_window(str(tmp_path), SINCE, UNTIL, max_input_rows=100, seed=1)
    again = read_log_window(str(tmp_path), SINCE, UNTIL, max_input_rows=100, seed=1)
    other = read_log_window(str(tmp_path), SINCE, UNTIL, max_input_rows=100, seed=2)

    assert len(window.records) == 600
    assert "title" not in window.records.columns  # texts are kept for the sample only
    assert list(window.inputs.columns) == list(INPUT_COLUMNS)
    assert len(window.inputs) == 100
    sampled = [int(title.split()[1]) for title in window.inputs["title"]]
    assert sampled == sorted(sampled)  # in window order
    assert len(set(sampled)) == 100
    assert window.inputs["description"].tolist() == [f"text {i}" for i in sampled]
    assert min(sampled) < 150  # spread over the day, not the first rows
    assert max(sampled) >= 450
    assert again.inputs.equals(window.inputs)
    assert not other.inputs.equals(window.inputs)


def test_a_window_within_the_cap_keeps_every_input(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", [json.dumps(record(ticket_id=f"T-{i}")) for i in range(5)])
    window = read_log_window(str(tmp_path), SINCE, UNTIL, max_input_rows=100)
    assert len(window.inputs) == len(window.records) == 5
