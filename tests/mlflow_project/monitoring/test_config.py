"""The run's window and output locations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlflow_project.monitoring.config import default_out, output_file, resolve_window
from mlflow_project.monitoring.errors import BadArguments

NOW = datetime(2026, 3, 5, 6, 30, tzinfo=UTC)


def test_the_default_window_is_the_24_hours_before_until() -> None:
    assert resolve_window(None, None, NOW) == (NOW - timedelta(hours=24), NOW)
    since, until = resolve_window(None, "2026-03-02", NOW)
    assert (since, until) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))


def test_timestamps_with_an_offset_are_converted_and_naive_ones_are_utc() -> None:
    since, until = resolve_window("2026-03-01T02:00:00+02:00", "2026-03-01T12:00", NOW)
    assert since == datetime(2026, 3, 1, 0, tzinfo=UTC)
    assert until == datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_bad_timestamp_names_the_option() -> None:
    with pytest.raises(BadArguments, match="--until: 'noon' is not an ISO-8601"):
        resolve_window(None, "noon", NOW)


def test_outputs_go_to_a_local_folder_or_a_gcs_prefix(tmp_path: Path) -> None:
    assert default_out(".run/monitoring/", NOW) == ".run/monitoring/20260305T063000Z"
    assert output_file("gs://bucket/monitoring/day/", "summary.json") == (
        "gs://bucket/monitoring/day/summary.json")
    assert output_file(str(tmp_path / "out"), "report.html") == str(
        tmp_path / "out" / "report.html")
