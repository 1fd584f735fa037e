"""The reference data a window is compared with: given explicitly, or found through lineage.

By default the reference is the training snapshot of the watched version, located by its lineage
tags (`data_uri`, `data_sha256`) and verified byte for byte: a snapshot that changed since
training is refused rather than silently compared with. For the model checks the version's
held-out split (`evaluation/holdout.parquet` of its training run, rows the model never saw; see
`baseline`) is used where it exists. An explicit `--reference` is used for every check as given,
so for the model checks it should be data the model did not train on.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from mlflow_project.data.contract import ContractError
from mlflow_project.data.dataset import LoadedTickets, load_tickets
from mlflow_project.data.io import DataSourceError
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.registry import naming
from mlflow_project.registry.validation import HOLDOUT_ARTIFACT

MIN_REFERENCE_ROWS = 50


@dataclass(frozen=True)
class Reference:
    """Reference tickets for the input checks and for the model checks, with their identity."""

    tickets: pd.DataFrame
    model_tickets: pd.DataFrame
    uri: str
    sha256: str
    origin: str
    model_origin: str
    valid_rows: int
    rejected_rows: int
    notes: list[str] = field(default_factory=list)


def explicit_reference(uri: str, max_rows: int, seed: int) -> Reference:
    """The reference file given with `--reference`, used for every check."""
    loaded = _load(uri, "reference")
    tickets = sample_rows(loaded.validation.valid, max_rows, seed)
    return Reference(tickets=tickets, model_tickets=tickets, uri=uri, sha256=loaded.sha256,
                     origin="--reference", model_origin="--reference",
                     valid_rows=len(loaded.validation.valid),
                     rejected_rows=loaded.validation.rejected_rows)


def lineage_reference(version: ModelVersion, max_rows: int, seed: int) -> Reference:
    """The training snapshot of `version` (hash verified) and its held-out split."""
    tags = version.tags or {}
    uri, expected = tags.get(naming.TAG_DATA_URI), tags.get(naming.TAG_DATA_SHA256)
    label = f"{version.name} version {version.version}"
    if not uri or not expected:
        raise InputUnusable(f"{label} has no lineage tags {naming.TAG_DATA_URI} and "
                            f"{naming.TAG_DATA_SHA256}: pass --reference")
    loaded = _load(uri, f"training snapshot of {label}")
    if loaded.sha256 != expected:
        raise InputUnusable(f"{uri}: SHA-256 {loaded.sha256[:12]}... differs from the "
                            f"{expected[:12]}... {label} was trained on: the snapshot changed; "
                            f"pass --reference to compare with other data")
    tickets = sample_rows(loaded.validation.valid, max_rows, seed)
    holdout = _holdout(version.run_id)
    notes = []
    if holdout is None:
        notes.append(f"no usable {HOLDOUT_ARTIFACT} in run {version.run_id}: the model checks "
                     "use the training snapshot, whose rows the model trained on (scores and "
                     "out-of-vocabulary shares may look drifted)")
    model_tickets = tickets if holdout is None else sample_rows(holdout, max_rows, seed)
    return Reference(
        tickets=tickets, model_tickets=model_tickets, uri=uri, sha256=loaded.sha256,
        origin=f"lineage of {label}",
        model_origin="the training snapshot" if holdout is None
        else f"{HOLDOUT_ARTIFACT} of run {version.run_id}",
        valid_rows=len(loaded.validation.valid), rejected_rows=loaded.validation.rejected_rows,
        notes=notes)


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most `max_rows` rows, drawn at random (reproducibly) when there are more."""
    if len(frame) <= max_rows:
        return frame.reset_index(drop=True)
    return frame.sample(n=max_rows, random_state=seed).reset_index(drop=True)


def _load(uri: str, what: str) -> LoadedTickets:
    try:
        loaded = load_tickets(uri)
    except (DataSourceError, ContractError) as exc:
        raise InputUnusable(f"{what} unusable: {exc}") from exc
    valid = len(loaded.validation.valid)
    if valid < MIN_REFERENCE_ROWS:
        raise InputUnusable(f"{what} unusable: {uri} has {valid} valid rows, at least "
                            f"{MIN_REFERENCE_ROWS} are needed")
    return loaded


def _holdout(run_id: str | None) -> pd.DataFrame | None:
    """The training run's held-out split, or None when it is missing or too small."""
    if not run_id:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(run_id=run_id,
                                                       artifact_path=HOLDOUT_ARTIFACT,
                                                       dst_path=tmp)
            holdout = pd.read_parquet(Path(path))
        except (MlflowException, OSError, ValueError):  # absent, unreadable, not Parquet
            return None
    return holdout if len(holdout) >= MIN_REFERENCE_ROWS else None
