"""The real stack on one machine: PostgreSQL backend, GCS emulator artifacts, MLflow server.

The tests share one private stack and run in order: up (twice), train and promote against it,
restart and reload, then faults (database unreachable, emulator down, training killed), then down.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from deploy.local.processes import running_pid, stop
from deploy.local.stack.stack import emulator_service, mlflow_service
from tests.deploy.local.conftest import StackUnderTest, admin_sql
from tests.support import BIN, EXPERIMENT

pytestmark = pytest.mark.integration

MODEL = "ticket_urgency"


def _pids(stack: StackUnderTest) -> dict[str, int | None]:
    return {s.name: running_pid(stack.settings.run_dir, s)
            for s in (emulator_service(stack.settings), mlflow_service(stack.settings))}


def _bucket_objects(stack: StackUnderTest) -> list[str]:
    os.environ["STORAGE_EMULATOR_HOST"] = stack.settings.emulator_host
    try:
        client = storage.Client(project="test", credentials=AnonymousCredentials())
        return [blob.name for blob in client.list_blobs(stack.settings.gcs_bucket)]
    finally:
        del os.environ["STORAGE_EMULATOR_HOST"]


def _predict(stack: StackUnderTest) -> list[dict[str, object]]:
    result = stack.store.run(str(BIN / "ticket-urgency"), "predict", "--model-uri",
                             f"models:/{MODEL}@production")
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_up_starts_both_parts_and_a_second_up_is_a_no_op(stack: StackUnderTest) -> None:
    first = stack.cli("up")
    assert first.returncode == 0, first.stderr
    assert "gcs-emulator: started" in first.stdout
    assert "mlflow-server: started" in first.stdout
    pids = _pids(stack)
    assert all(pids.values()), pids
    second = stack.cli("up")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already running") == 2
    assert _pids(stack) == pids
    status = stack.cli("status")
    assert status.stdout.count("healthy") == 2
    assert stack.settings.tracking_uri in status.stdout


def test_training_stores_models_in_gcs_and_the_registry_in_postgres(
        stack: StackUnderTest, tickets_csv: Path) -> None:
    result = stack.store.train(tickets_csv)
    assert result.returncode == 0, result.stderr[-3000:]
    promoted = stack.store.run(str(BIN / "registry-tools"), "promote", "--from", "challenger")
    assert promoted.returncode == 0, promoted.stderr
    objects = _bucket_objects(stack)
    model_files = [o for o in objects if "/models/" in o]
    assert any(o.endswith("/MLmodel") for o in model_files), objects
    assert any(o.endswith("/pipeline.joblib") for o in model_files)
    assert any(o.endswith("/evaluation/holdout.parquet") for o in objects)
    assert all(o.startswith(f"{stack.settings.artifact_prefix}/") for o in objects)
    assert stack.sql(f"SELECT name, version FROM model_versions WHERE name = '{MODEL}'") == [
        (MODEL, 1)]
    assert stack.sql("SELECT alias, version FROM registered_model_aliases") == [("production", 1)]
    assert _predict(stack)[0]["model"] == f"{MODEL} v1"


def test_restarting_the_server_and_emulator_loses_nothing(stack: StackUnderTest) -> None:
    before = _predict(stack)
    objects = _bucket_objects(stack)
    down = stack.cli("down")
    assert down.returncode == 0
    assert down.stdout.count(": stopped") == 2
    assert not any(_pids(stack).values())
    up = stack.cli("up")
    assert up.returncode == 0, up.stderr
    assert up.stdout.count(": started") == 2
    assert _bucket_objects(stack) == objects
    assert _predict(stack) == before


def test_postgres_unreachable_at_training_time_registers_nothing(
        stack: StackUnderTest, tickets_csv: Path, tmp_path: Path) -> None:
    database = stack.settings.postgres_uri.rsplit("/", 1)[1]
    data = tmp_path / "more.csv"
    data.write_text(tickets_csv.read_text().replace("SYN-", "NEW-"))  # new data, new fingerprint
    admin_sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              f"WHERE datname = '{database}' AND pid <> pg_backend_pid()")
    try:
        result = stack.store.train(data)
    finally:
        admin_sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert result.returncode != 0
    print(f"\nclient saw: {result.stderr.strip().splitlines()[-1][:300]}")
    assert "503" in result.stderr  # the server answers "unavailable" while its database is
    assert stack.sql(f"SELECT version FROM model_versions WHERE name = '{MODEL}'") == [(1,)]
    assert stack.sql("SELECT alias, version FROM registered_model_aliases") == [("production", 1)]


def test_emulator_down_while_logging_fails_the_run_and_registers_nothing(
        stack: StackUnderTest, tickets_csv: Path, tmp_path: Path) -> None:
    data = tmp_path / "other.csv"
    data.write_text(tickets_csv.read_text().replace("SYN-", "OTH-"))
    assert stop(emulator_service(stack.settings), stack.settings.run_dir)
    # The server keeps retrying GCS for up to 120 s (google-cloud-storage's default deadline);
    # the client gives up sooner here so the test stays short.
    impatient = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "15", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    try:
        result = stack.store.train(data, extra_env=impatient)
    finally:
        assert stack.cli("up").returncode == 0
    assert result.returncode != 0
    print(f"\nclient saw: {result.stderr.strip().splitlines()[-1][:300]}")
    # the server, waiting on GCS, gives no answer within the client's timeout: one line says so
    assert re.search(r"error: tracking server http://127\.0\.0\.1:\d+ unreachable "
                     r"\(Read timed out\. \(read timeout=15\)\)", result.stderr), \
        result.stderr[-2000:]
    client = stack.store.client()
    (run,) = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id],
                                filter_string=f"params.data = '{data}'")
    assert run.info.status == "FAILED"
    assert stack.sql(f"SELECT version FROM model_versions WHERE name = '{MODEL}'") == [(1,)]
    registered_sources = {str(v.source) for v in client.search_model_versions(f"name='{MODEL}'")}
    objects = _bucket_objects(stack)
    for source in registered_sources:  # models:/m-<id>: its files are all in the bucket
        model_id = source.removeprefix("models:/")
        assert any(f"/models/{model_id}/artifacts/MLmodel" in o for o in objects), source


def test_training_killed_mid_run_leaves_no_alias_on_an_incomplete_version(
        stack: StackUnderTest, tickets_csv: Path, tmp_path: Path) -> None:
    data = tmp_path / "killed.csv"
    data.write_text(tickets_csv.read_text().replace("SYN-", "KIL-"))
    stack.store.ensure_experiment(EXPERIMENT)
    process = subprocess.Popen(
        [str(BIN / "mlflow"), "run", "mlflow_project", "-e", "train", "--env-manager", "local",
         "--experiment-name", EXPERIMENT, "-P", f"data={data}",
         "-P", f"experiment_name={EXPERIMENT}"],
        cwd=Path(__file__).resolve().parents[3], env=stack.store.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = stack.store.client()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(client.search_model_versions(f"name='{MODEL}'")) > 1:
            break
        time.sleep(0.05)
    family = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    os.killpg(process.pid, signal.SIGKILL)
    psutil.wait_procs(family, timeout=10)
    versions = {str(v.version): v for v in client.search_model_versions(f"name='{MODEL}'")}
    assert "2" in versions, "training did not reach registration before the deadline"
    killed = versions["2"]
    print(f"\nkilled version 2 with tags: {sorted(killed.tags)}")
    aliases = client.get_registered_model(MODEL).aliases
    for alias, version in aliases.items():
        assert versions[str(version)].tags.get("validation_status") == "passed", alias
    if killed.tags.get("validation_status") != "passed":
        assert "2" not in {str(v) for v in aliases.values()}
        refused = stack.store.run(str(BIN / "registry-tools"), "promote", "--version", "2")
        assert refused.returncode == 3


def test_down_stops_everything_it_started_and_nothing_else(stack: StackUnderTest) -> None:
    pids = [pid for pid in _pids(stack).values() if pid]
    family = [p for pid in pids for p in (psutil.Process(pid),
                                          *psutil.Process(pid).children(recursive=True))]
    assert len(family) >= 2
    down = stack.cli("down")
    assert down.returncode == 0
    psutil.wait_procs(family, timeout=10)
    assert not [p.pid for p in family if p.is_running()
                and p.status() != psutil.STATUS_ZOMBIE]
    assert not list(Path(stack.settings.run_dir).glob("*.pid"))
    assert stack.cli("down").stdout.count("not running") == 2
    assert (stack.settings.run_dir / "gcs").is_dir()  # data stays for the next up
