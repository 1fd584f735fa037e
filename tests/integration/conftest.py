"""Fixtures for tests that run the project's real commands against a real (SQLite) MLflow store."""

from __future__ import annotations

import pytest

from tests.support import BIN, EXPERIMENT, REPO, Store, make_store

__all__ = ["BIN", "EXPERIMENT", "REPO", "Store", "make_store"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One store per test module: its tests build on each other's registry state in order."""
    return make_store(tmp_path_factory.mktemp("store"))
