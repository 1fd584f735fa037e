"""Fixtures shared by every test folder (importable without the project installed).

Airflow's environment (tests/airflow) loads this file too, without MLflow: fixtures import the
project and the test helpers inside their bodies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.deploy.cloudrun.fake_cloud_run import FakeCloudRun
    from tests.registry_tools.ab.support import Registry
    from tests.support import Store

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


@pytest.fixture(autouse=True)
def _sys_path_stays_with_its_test() -> Iterator[None]:
    """Loading a pyfunc model puts its bundled code first on `sys.path` (MLflow's code_paths):
    a `mlflow_project` holding only `model/`. Processes spawned later inherit that path and
    could not import the rest of the project (the registry-lock race's waiters died of it), so
    each test gets back the path it started with."""
    before = list(sys.path)
    yield
    sys.path[:] = before


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


# --- a real MLflow store for the project's real commands: tests/mlflow_project/{training,registry}
# and tests/registry_tools (SQLite; for the registry-lock tests also PostgreSQL, directly and
# behind a real `mlflow server`)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One store per test module: its tests build on each other's registry state in order."""
    from tests.support import make_store

    return make_store(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="session")
def postgres_uri() -> Iterator[str]:
    """A fresh PostgreSQL database for an MLflow store (tables made on first use); dropped after.

    Needs PostgreSQL on 127.0.0.1:5432 (or TEST_POSTGRES_URI): fails in CI, skips elsewhere.
    """
    from sqlalchemy.engine import make_url

    from tests.support import ADMIN_URI, admin_sql, require_postgres

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

    from deploy.local.processes import start, stop
    from tests.support import free_port, mlflow_server

    MlflowClient(tracking_uri=postgres_uri).search_registered_models()  # tables before serving
    run_dir = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    service = mlflow_server(postgres_uri, run_dir, port)
    start(service, run_dir, timeout=180)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(service, run_dir)


# --- the A/B registry and a fake Cloud Run: tests/registry_tools/ab and tests/deploy (helpers in
# tests/registry_tools/ab/support.py)


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's store with two trained, gated versions (about 10 s)."""
    from tests.registry_tools.ab.support import TRAIN

    root = tmp_path_factory.mktemp("deploy-store")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    result = subprocess.run([sys.executable, "-c", TRAIN, str(root / "tickets.csv")],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


@pytest.fixture
def registry(trained_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """This test's own registry, which every `ab` command of the test uses."""
    from tests.registry_tools.ab.support import copy_store

    copied = copy_store(trained_store, tmp_path / "store")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", copied.uri)
    monkeypatch.setenv("TU_ACTOR", "deploy-tests")
    return copied


@pytest.fixture
def fake_cloud_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudRun]:
    """A fake Admin API on loopback; `CLOUD_RUN_API_ENDPOINT` points `ab` at it. Its revisions'
    URLs take calls without IAM, so smoke tests send no ID token (`ROLLOUT_SMOKE_ID_TOKEN`)."""
    from tests.deploy.cloudrun.fake_cloud_run import FakeCloudRun, serve

    fake = FakeCloudRun()
    with serve(fake) as url:
        monkeypatch.setenv("CLOUD_RUN_API_ENDPOINT", url)
        monkeypatch.setenv("ROLLOUT_SMOKE_ID_TOKEN", "false")
        yield fake


@pytest.fixture
def service_path() -> str:
    """The resource name of the default service (the roadmap's project, region, service)."""
    from deploy.cloudrun.settings import CloudRunSettings

    return CloudRunSettings().service_path


# Every way google-auth and the Google clients could find credentials or an emulator.
GCP_VARIABLES = ("STORAGE_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST",
                 "CLOUD_MONITORING_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS",
                 "CLOUDSDK_CONFIG", "GOOGLE_CLOUD_PROJECT", "GCE_METADATA_HOST", "GCE_METADATA_IP")


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The process and subprocess environment of a machine with no Google credentials (and no
    emulator): google-auth's other sources switched off too."""
    for name in GCP_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    return dict(os.environ)
