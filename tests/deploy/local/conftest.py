"""A private instance of the local stack (own ports, run folder and database) for these tests.

The tests need the real PostgreSQL on 127.0.0.1:5432 (or TEST_POSTGRES_URI). Without it they fail
in CI (CI=true) and skip elsewhere, saying how to get one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from deploy.local.stack.settings import StackSettings
from tests.support import ADMIN_URI, Store, admin_sql, free_port, make_store, require_postgres

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class StackUnderTest:
    """The settings of the private stack, its environment, and a Store that trains against it."""

    settings: StackSettings
    env: dict[str, str]
    store: Store

    def cli(self, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
        """Run `local-stack ARGS` against this stack."""
        return subprocess.run([str(BIN / "local-stack"), *args], env=self.env, timeout=timeout,
                              capture_output=True, text=True, check=False)

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        """Rows of a query on the stack's backend database."""
        url = make_url(self.settings.postgres_uri)
        with psycopg2.connect(host=url.host, port=url.port, user=url.username,
                              password=url.password, dbname=url.database) as connection, \
                connection.cursor() as cursor:
            cursor.execute(query, params)
            return list(cursor.fetchall())


@pytest.fixture(scope="session")
def postgres_available() -> None:
    require_postgres()


@pytest.fixture(scope="module")
def stack(postgres_available: None, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[StackUnderTest]:
    """A running private stack; stopped and its database dropped afterwards."""
    admin = make_url(ADMIN_URI)
    database = f"mlflow_stack_test_{os.getpid()}"
    settings = StackSettings(
        run_dir=tmp_path_factory.mktemp("stack-run"),
        postgres_uri=admin.set(database=database).render_as_string(hide_password=False),
        mlflow_port=free_port(), gcs_port=free_port(), gcs_bucket="stack-test-bucket")
    env = {**os.environ,
           "STACK_RUN_DIR": str(settings.run_dir), "STACK_POSTGRES_URI": settings.postgres_uri,
           "STACK_MLFLOW_PORT": str(settings.mlflow_port),
           "STACK_GCS_PORT": str(settings.gcs_port), "STACK_GCS_BUCKET": settings.gcs_bucket}
    base = make_store(tmp_path_factory.mktemp("client"))
    client_env = {**base.env, "MLFLOW_TRACKING_URI": settings.tracking_uri,
                  "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
                  "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                  "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}
    under_test = StackUnderTest(settings=settings, env=env,
                                store=Store(root=base.root, uri=settings.tracking_uri,
                                            env=client_env))
    try:
        yield under_test
    finally:
        under_test.cli("down")
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
