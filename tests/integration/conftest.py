"""Fixtures for tests that run the project's real commands against a real MLflow store: SQLite,
and for the registry-lock tests also PostgreSQL, directly and behind a real `mlflow server`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from deploy.local.processes import Service, start, stop
from tests.support import (
    ADMIN_URI,
    BIN,
    EXPERIMENT,
    REPO,
    Store,
    admin_sql,
    free_port,
    make_store,
    require_postgres,
)

__all__ = ["BIN", "EXPERIMENT", "REPO", "Store", "make_store"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One store per test module: its tests build on each other's registry state in order."""
    return make_store(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="session")
def postgres_uri() -> Iterator[str]:
    """A fresh PostgreSQL database for an MLflow store (tables made on first use); dropped after.

    Needs PostgreSQL on 127.0.0.1:5432 (or TEST_POSTGRES_URI): fails in CI, skips elsewhere.
    """
    require_postgres()
    database = f"registry_lock_test_{os.getpid()}"
    admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{database}"')
    try:
        yield make_url(ADMIN_URI).set(database=database).render_as_string(hide_password=False)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server_uri(postgres_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (REST store) on the PostgreSQL database of `postgres_uri`."""
    from mlflow import MlflowClient

    MlflowClient(tracking_uri=postgres_uri).search_registered_models()  # tables before serving
    run_dir = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    service = Service(
        name="mlflow-server",
        command=[str(BIN / "mlflow"), "server", "--backend-store-uri", postgres_uri,
                 "--default-artifact-root", str(run_dir / "artifacts"), "--host", "127.0.0.1",
                 "--port", str(port), "--workers", "1"],
        health_url=f"http://127.0.0.1:{port}/health", marker=str(run_dir),
        env={"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    start(service, run_dir, timeout=180)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(service, run_dir)
