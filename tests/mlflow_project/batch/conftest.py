"""Fixtures of the batch tests: one model in a throw-away registry, ticket files with known faults.

The model is trained in-process on synthetic tickets and registered as `ticket_urgency` v1 with
alias `production` in a SQLite store under pytest's temp dir; every test points
MLFLOW_TRACKING_URI at it. `messy_tickets` is a scoring input (no label) with one ticket of each
kind the contract refuses, placed on both sides of chunk boundaries.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from mlflow.pyfunc import PyFuncModel

from mlflow_project.batch.scoring import ResolvedModel, load_model, resolve_model

REPO = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
MODEL_URI = "models:/ticket_urgency@production"

# (1-based row, column to break, value, the reject's column, the rule it names)
FAULTS: tuple[tuple[int, str, str, str, str], ...] = (
    (4, "source", "fax", "source", "must be one of email, phone, web, chat, unknown"),
    (11, "title", "", "title,description", "title or description must be non-empty"),
    (11, "description", "   ", "title,description", "title or description must be non-empty"),
    (98, "customer_tier", "gold", "customer_tier", "must be one of premium, standard, unknown"),
    (150, "title", "x" * 501, "title", "at most 500 characters"),
    (333, "ticket_id", "SYN-000002", "ticket_id", "must be unique"),  # repeats row 2
)
ROWS_WITHOUT_ID = (7, 250)  # empty ticket_id: allowed, the row number stands in


@dataclass(frozen=True)
class RegisteredModel:
    """The store holding ticket_urgency v1 @production, and that model loaded."""

    tracking_uri: str
    resolved: ResolvedModel
    model: PyFuncModel

    def env(self) -> dict[str, str]:
        """Environment of a subprocess that uses this store."""
        env = {**os.environ, "MLFLOW_TRACKING_URI": self.tracking_uri,
               "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
        for key in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
            env.pop(key, None)
        return env


@pytest.fixture(scope="session")
def registered_model(tmp_path_factory: pytest.TempPathFactory) -> RegisteredModel:
    """Train on 2,000 synthetic tickets, register v1 @production, load it back."""
    from demo.model import register_demo_model

    uri = f"sqlite:///{tmp_path_factory.mktemp('batch-store') / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        register_demo_model("batch-tests", rows=2000, seed=11, min_df=1)
        resolved = resolve_model(MODEL_URI)
        return RegisteredModel(uri, resolved, load_model(resolved))


@pytest.fixture(autouse=True)
def _use_the_test_store(registered_model: RegisteredModel,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registered_model.tracking_uri)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def make_messy_tickets(rows: int = 400, seed: int = 5) -> pd.DataFrame:
    """Synthetic scoring input (no label) with `FAULTS` and `ROWS_WITHOUT_ID` applied, plus
    columns the job must ignore: a garbage `urgent` label and broken `created_at` values."""
    from demo.tickets import GeneratorConfig, generate_tickets

    frame = generate_tickets(GeneratorConfig(rows=rows, seed=seed)).astype({"urgent": object})
    for row, column, value, _, _ in FAULTS:
        frame.loc[row - 1, column] = value
    for row in ROWS_WITHOUT_ID:
        frame.loc[row - 1, "ticket_id"] = ""
    frame.loc[::3, "urgent"] = "maybe"
    frame.loc[::5, "created_at"] = "yesterday"
    frame.loc[20, "source"] = "  PHONE "  # normalised, not refused
    return frame


@pytest.fixture(scope="session")
def messy_tickets() -> pd.DataFrame:
    """400 tickets with one of each refusable fault (see `FAULTS`)."""
    return make_messy_tickets()


@pytest.fixture(scope="session")
def messy_csv(tmp_path_factory: pytest.TempPathFactory, messy_tickets: pd.DataFrame) -> Path:
    """`messy_tickets` as CSV."""
    path = tmp_path_factory.mktemp("input") / "tickets.csv"
    messy_tickets.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def messy_parquet(tmp_path_factory: pytest.TempPathFactory,
                  messy_tickets: pd.DataFrame) -> Path:
    """`messy_tickets` as Parquet in row groups of 64 (several per chunk boundary)."""
    path = tmp_path_factory.mktemp("input") / "tickets.parquet"
    messy_tickets.astype({"urgent": str}).to_parquet(path, index=False, row_group_size=64)
    return path


def files_in(directory: Path) -> set[str]:
    """Every entry of a directory, hidden temp files included."""
    return {p.name for p in directory.iterdir()}


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty folder for one test's outputs."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder
