"""The stack's parts (GCS emulator, MLflow server on PostgreSQL) and bringing them up or down."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from deploy.local.processes import (
    Service,
    ServiceState,
    StackError,
    require_ports,
    start,
    state,
    stop,
)
from deploy.local.stack.settings import StackSettings

BIN = Path(sys.executable).parent


def emulator_service(settings: StackSettings) -> Service:
    """The GCS emulator, keeping its data on disk under the run folder."""
    return Service(
        name="gcs-emulator",
        command=[str(BIN / "gcp-storage-emulator"), "start", "--host", "127.0.0.1",
                 "--port", str(settings.gcs_port), "--default-bucket", settings.gcs_bucket],
        health_url=f"{settings.emulator_host}/storage/v1/b/{settings.gcs_bucket}",
        marker="gcp-storage-emulator",
        env={"STORAGE_BASE": str(gcs_data_dir(settings))},
        port=settings.gcs_port, port_variable="STACK_GCS_PORT",
    )


def mlflow_service(settings: StackSettings) -> Service:
    """The tracking server: PostgreSQL backend, artifacts proxied to the emulator bucket."""
    return Service(
        name="mlflow-server",
        command=[str(BIN / "mlflow"), "server",
                 "--backend-store-uri", settings.postgres_uri,
                 "--serve-artifacts", "--artifacts-destination", settings.artifacts_destination,
                 "--host", "127.0.0.1", "--port", str(settings.mlflow_port), "--workers", "1"],
        health_url=f"{settings.tracking_uri}/health",
        marker=settings.artifacts_destination,
        env={"STORAGE_EMULATOR_HOST": settings.emulator_host,
             "GOOGLE_CLOUD_PROJECT": "local-emulator",
             "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        port=settings.mlflow_port, port_variable="STACK_MLFLOW_PORT",
    )


def services(settings: StackSettings) -> list[Service]:
    """The parts in start order (the server needs the emulator)."""
    return [emulator_service(settings), mlflow_service(settings)]


def gcs_data_dir(settings: StackSettings) -> Path:
    """Where the emulator keeps buckets and objects (survives restarts)."""
    return (settings.run_dir / "gcs").resolve()


def ensure_database(postgres_uri: str) -> bool:
    """Create the backend database if it is missing. True if it was created.

    Raises StackError naming the server when PostgreSQL cannot be reached.
    """
    url = make_url(postgres_uri)
    try:
        connection = psycopg2.connect(host=url.host, port=url.port or 5432,
                                      user=url.username, password=url.password,
                                      dbname="postgres", connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise StackError(
            f"PostgreSQL at {url.host}:{url.port or 5432} is unreachable ({str(exc).strip()}); "
            "start it or point STACK_POSTGRES_URI at one") from exc
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
            return True
    finally:
        connection.close()


def up(settings: StackSettings) -> list[tuple[str, bool]]:
    """Start whatever is not running yet; returns (service, started now?) in start order.

    A part whose port is taken by another process is refused before anything starts."""
    require_ports(services(settings), settings.run_dir)
    ensure_database(settings.postgres_uri)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    gcs_data_dir(settings).mkdir(parents=True, exist_ok=True)
    return [(s.name, start(s, settings.run_dir, settings.startup_timeout))
            for s in services(settings)]


def down(settings: StackSettings) -> list[tuple[str, bool]]:
    """Stop what this stack started, server first; returns (service, stopped now?)."""
    return [(s.name, stop(s, settings.run_dir)) for s in reversed(services(settings))]


def status(settings: StackSettings) -> list[ServiceState]:
    """Pid, health, address and memory of each part."""
    return [state(s, settings.run_dir) for s in services(settings)]
