"""Fixtures shared by every test folder (importable without the project installed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ENDAVA_CSV = REPO_ROOT.parent / "shared" / "data" / "endava" / "tickets.csv"


@pytest.fixture(scope="session")
def endava_csv() -> Path:
    """The real Endava tickets; a failure in CI, a skip elsewhere, when the file is absent."""
    if not ENDAVA_CSV.is_file():
        message = (f"{ENDAVA_CSV} absent: this test reads the Endava tickets from "
                   "../shared/data/endava")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return ENDAVA_CSV


@pytest.fixture(autouse=True)
def _tracking_uri_stays_with_its_test() -> Iterator[None]:
    """`mlflow.set_tracking_uri` sets a process-wide URI and MLFLOW_TRACKING_URI itself; undo
    both after each test, so a later test never talks to an earlier test's store."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    try:
        from mlflow.tracking._tracking_service import utils
    except ImportError:  # Airflow's environment runs these fixtures without MLflow
        return
    utils._tracking_uri = None  # MLflow has no public reset
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


@pytest.fixture(scope="session", autouse=True)
def _private_tracking_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test may write `mlflow.db` or `mlruns/` into the working directory by accident."""
    if "MLFLOW_TRACKING_URI" not in os.environ:
        store = tmp_path_factory.mktemp("default-store") / "mlflow.db"
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{store}"


@pytest.fixture(scope="session")
def tickets_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 synthetic tickets (the demo's generator, seed 7)."""
    # Imported here: this conftest also serves tests run in Airflow's own environment.
    from demo.tickets import GeneratorConfig, generate_tickets
    from mlflow_project.data.io import write_table

    path = tmp_path_factory.mktemp("data") / "tickets.csv"
    write_table(generate_tickets(GeneratorConfig(rows=4000, seed=7)), str(path))
    return path
