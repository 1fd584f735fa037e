"""Tests for reading and writing ticket tables on local disk (gs:// is tested elsewhere)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlflow_project.data import io as data_io
from mlflow_project.data.io import DataSourceError, read_table, split_gcs_uri, write_table


@pytest.fixture
def tickets() -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": ["T-1", "T-2", "T-3"],
        "title": ["VPN down", 'Quote "inside", comma', "NA"],
        "description": ["line one\nline two", "\u00fcmlaut \u2013 dash", "None"],
        "source": ["email", "web", "null"],
        "urgent": [1, 0, 1],
    })


def _files_in(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_csv_round_trip_returns_the_text_of_every_cell(tmp_path: Path,
                                                       tickets: pd.DataFrame) -> None:
    target = tmp_path / "tickets.csv"
    write_table(tickets, str(target))
    frame, _ = read_table(str(target))
    # CSV is read as text; words that pandas would take for missing values stay text.
    pd.testing.assert_frame_equal(frame, tickets.astype(str))


def test_csv_empty_cell_is_read_as_missing(tmp_path: Path) -> None:
    target = tmp_path / "gaps.csv"
    write_table(pd.DataFrame({"title": ["", "x"], "description": ["d", None]}), str(target))
    frame, _ = read_table(str(target))
    assert frame["title"].isna().tolist() == [True, False]
    assert frame["description"].isna().tolist() == [False, True]


def test_parquet_round_trip_preserves_values_and_dtypes(tmp_path: Path,
                                                        tickets: pd.DataFrame) -> None:
    target = tmp_path / "tickets.parquet"
    write_table(tickets, str(target))
    frame, _ = read_table(str(target))
    pd.testing.assert_frame_equal(frame, tickets)


@pytest.mark.parametrize("name", ["tickets.csv", "tickets.parquet"])
def test_write_creates_nested_directories_and_leaves_no_temp_file(
        tmp_path: Path, tickets: pd.DataFrame, name: str) -> None:
    target = tmp_path / "a" / "b" / "c" / name
    write_table(tickets, str(target))
    assert target.is_file()
    assert _files_in(target.parent) == {name}


def test_write_replaces_an_existing_file(tmp_path: Path, tickets: pd.DataFrame) -> None:
    target = tmp_path / "tickets.csv"
    write_table(tickets, str(target))
    write_table(tickets.head(1), str(target))
    frame, _ = read_table(str(target))
    assert len(frame) == 1
    assert _files_in(tmp_path) == {"tickets.csv"}


def test_failed_write_leaves_no_temp_file_and_keeps_the_old_file(
        tmp_path: Path, tickets: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "tickets.csv"
    write_table(tickets, str(target))
    before = target.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(data_io.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_table(tickets.head(1), str(target))
    assert _files_in(tmp_path) == {"tickets.csv"}
    assert target.read_bytes() == before


def test_write_refuses_unsupported_suffix(tmp_path: Path, tickets: pd.DataFrame) -> None:
    target = tmp_path / "tickets.json"
    with pytest.raises(DataSourceError, match=re.escape("tickets.json")):
        write_table(tickets, str(target))
    assert not target.exists()


@pytest.mark.parametrize("name", ["tickets.csv", "tickets.parquet"])
def test_read_hash_is_sha256_of_the_file_bytes(tmp_path: Path, tickets: pd.DataFrame,
                                               name: str) -> None:
    target = tmp_path / name
    write_table(tickets, str(target))
    _, digest = read_table(str(target))
    assert digest == hashlib.sha256(target.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_content_gives_same_hash_and_changed_content_a_different_one(
        tmp_path: Path, tickets: pd.DataFrame, suffix: str) -> None:
    first, second, changed = (tmp_path / f"{n}{suffix}" for n in ("first", "second", "changed"))
    write_table(tickets, str(first))
    write_table(tickets, str(second))
    altered = tickets.copy()
    altered.loc[0, "title"] = "VPN down again"
    write_table(altered, str(changed))
    _, first_hash = read_table(str(first))
    _, second_hash = read_table(str(second))
    _, changed_hash = read_table(str(changed))
    assert first_hash == second_hash
    assert changed_hash != first_hash


def test_upper_case_suffix_is_accepted(tmp_path: Path, tickets: pd.DataFrame) -> None:
    target = tmp_path / "TICKETS.CSV"
    write_table(tickets, str(target))
    frame, _ = read_table(str(target))
    assert len(frame) == len(tickets)


def test_missing_file_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "tickets.csv"
    with pytest.raises(DataSourceError, match="no such file") as caught:
        read_table(str(missing))
    assert str(missing) in str(caught.value)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataSourceError, match=re.escape("folder.csv")):
        read_table(str(folder))


@pytest.mark.parametrize("content", [b"", b"   \n\n  \t"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_empty_file_is_refused(tmp_path: Path, content: bytes, suffix: str) -> None:
    target = tmp_path / f"empty{suffix}"
    target.write_bytes(content)
    with pytest.raises(DataSourceError, match="empty") as caught:
        read_table(str(target))
    assert str(target) in str(caught.value)


@pytest.mark.parametrize("name", ["tickets.json", "tickets.xlsx", "tickets"])
def test_unsupported_suffix_is_refused(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_text('{"title": "x"}')
    with pytest.raises(DataSourceError, match="unsupported file type") as caught:
        read_table(str(target))
    assert str(target) in str(caught.value)


def test_corrupt_parquet_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "corrupt.parquet"
    target.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DataSourceError, match="cannot parse as PARQUET") as caught:
        read_table(str(target))
    assert str(target) in str(caught.value)


def test_csv_bytes_renamed_parquet_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "really_csv.parquet"
    target.write_text("title,description\nx,y\n")
    with pytest.raises(DataSourceError, match=re.escape("really_csv.parquet")):
        read_table(str(target))


@pytest.mark.parametrize("content", [
    pytest.param(b"title,description\nx,y\na,b,c,d\n", id="too-many-fields"),
    pytest.param(b'title,description\n"unclosed,quote\n', id="unclosed-quote"),
    pytest.param(bytes(range(128, 256)) * 8, id="binary-not-utf8"),
])
def test_unparsable_csv_is_refused(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "broken.csv"
    target.write_bytes(content)
    with pytest.raises(DataSourceError, match="cannot parse as CSV") as caught:
        read_table(str(target))
    assert str(target) in str(caught.value)


@pytest.mark.parametrize(("uri", "expected"), [
    ("gs://bucket/tickets.csv", ("bucket", "tickets.csv")),
    ("gs://my-bucket/path/to/tickets.parquet", ("my-bucket", "path/to/tickets.parquet")),
    ("gs://b/dir/", ("b", "dir/")),
])
def test_split_gcs_uri_splits_bucket_and_object(uri: str, expected: tuple[str, str]) -> None:
    assert split_gcs_uri(uri) == expected


@pytest.mark.parametrize("uri", ["gs://", "gs://bucket", "gs://bucket/", "gs:///tickets.csv"])
def test_split_gcs_uri_refuses_missing_bucket_or_object(uri: str) -> None:
    with pytest.raises(DataSourceError, match="expected gs://BUCKET/OBJECT") as caught:
        split_gcs_uri(uri)
    assert str(caught.value).startswith(uri)


@pytest.mark.parametrize("uri", ["s3://bucket/tickets.csv", "bucket/tickets.csv",
                                 "/tmp/tickets.csv"])
def test_split_gcs_uri_refuses_uri_without_gs_scheme(uri: str) -> None:
    with pytest.raises(DataSourceError, match="expected gs://BUCKET/OBJECT"):
        split_gcs_uri(uri)


def test_local_read_does_not_touch_gcs(tmp_path: Path, tickets: pd.DataFrame,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def no_gcs() -> None:
        raise AssertionError("a local path must not create a GCS client")

    monkeypatch.setattr(data_io, "gcs_client", no_gcs)
    target = tmp_path / "tickets.csv"
    write_table(tickets, str(target))
    frame, _ = read_table(str(target))
    assert len(frame) == len(tickets)
