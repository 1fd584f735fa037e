"""Finding the reference: explicit file, or the version's lineage with its hash verified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from mlflow.entities.model_registry import ModelVersion, ModelVersionTag

from mlflow_project.data.io import write_table
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.reference import (
    explicit_reference,
    lineage_reference,
    sample_rows,
)


def version_with(tags: dict[str, str]) -> ModelVersion:
    return ModelVersion("ticket_urgency", "4", 0, run_id=None,
                        tags=[ModelVersionTag(k, v) for k, v in tags.items()])


@pytest.fixture
def snapshot(tmp_path: Path, reference_tickets: pd.DataFrame) -> Path:
    path = tmp_path / "snapshot.csv"
    write_table(reference_tickets.head(400), str(path))
    return path


def test_lineage_reference_is_the_training_snapshot_when_its_hash_matches(
        snapshot: Path) -> None:
    digest = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    reference = lineage_reference(version_with({"data_uri": str(snapshot),
                                                "data_sha256": digest}), 10_000, seed=0)
    assert reference.sha256 == digest
    assert len(reference.tickets) == 400
    assert reference.origin == "lineage of ticket_urgency version 4"
    # no training run to take the held-out split from: says so, and falls back
    assert reference.model_tickets is reference.tickets
    assert "holdout.parquet" in reference.notes[0]


def test_a_snapshot_that_changed_since_training_is_refused(snapshot: Path) -> None:
    version = version_with({"data_uri": str(snapshot), "data_sha256": "0" * 64})
    with pytest.raises(InputUnusable, match="differs from the 000000000000"):
        lineage_reference(version, 10_000, seed=0)


def test_a_version_without_lineage_tags_asks_for_an_explicit_reference() -> None:
    with pytest.raises(InputUnusable, match="pass --reference"):
        lineage_reference(version_with({}), 10_000, seed=0)


def test_a_missing_or_tiny_reference_is_unusable(tmp_path: Path,
                                                 reference_tickets: pd.DataFrame) -> None:
    with pytest.raises(InputUnusable, match="no such file"):
        explicit_reference(str(tmp_path / "absent.csv"), 10_000, seed=0)
    tiny = tmp_path / "tiny.parquet"
    write_table(reference_tickets.head(10), str(tiny))
    with pytest.raises(InputUnusable, match="10 valid rows, at least 50"):
        explicit_reference(str(tiny), 10_000, seed=0)


def test_large_references_are_sampled_reproducibly(reference_tickets: pd.DataFrame) -> None:
    first = sample_rows(reference_tickets, 500, seed=3)
    again = sample_rows(reference_tickets, 500, seed=3)
    assert len(first) == 500
    pd.testing.assert_frame_equal(first, again)
    assert len(sample_rows(reference_tickets, 10_000, seed=3)) == len(reference_tickets)
