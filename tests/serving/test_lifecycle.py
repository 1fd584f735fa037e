"""A server's life: no model at start-up, the model appears, the registry goes away, SIGTERM.

The tests of this module share one server and one copy of the store, and run in order.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving.conftest import TICKET, ModelStore, Server, store_at

pytestmark = pytest.mark.integration

LATE_MODEL = "late_model"
RETRY_SECONDS = 0.5


@pytest.fixture(scope="module")
def late_store(model_store: ModelStore, tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    """A private copy of the store, so breaking it harms no other test."""
    root = tmp_path_factory.mktemp("late-store") / "store"
    shutil.copytree(model_store.root, root)
    return store_at(root)


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single-file prediction-log sink."""
    return tmp_path_factory.mktemp("late-log") / "predictions.jsonl"


@pytest.fixture(scope="module")
def late_server(late_store: ModelStore, log_file: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Serving `models:/late_model@production`, which does not exist yet."""
    env = {**late_store.env(), "MODEL_URI": f"models:/{LATE_MODEL}@production",
           "MODEL_RETRY_SECONDS": str(RETRY_SECONDS), "PREDICTION_LOG": str(log_file)}
    running = Server(env, tmp_path_factory.mktemp("late-server")).start(ready=False)
    yield running
    running.stop()


def test_a_missing_model_leaves_the_process_up_and_not_ready(late_server: Server) -> None:
    ready = late_server.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert f"models:/{LATE_MODEL}@production" in ready.json()["reason"]
    assert late_server.get("/health").status_code == 200
    refused = late_server.post("/predict", json=TICKET)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert late_server.get("/metadata").status_code == 503


def test_the_log_says_which_uri_failed_and_why_and_it_keeps_retrying(late_server: Server) -> None:
    """Three failed attempts, from one process: the start-up helper's, then the worker's own
    retries (the first of which imports MLflow, 1-3 s on a busy machine: hence a deadline, not
    a fixed wait)."""
    deadline = time.monotonic() + 30
    while len(failures := _load_failures(late_server)) < 3 and time.monotonic() < deadline:
        time.sleep(RETRY_SECONDS)
    assert late_server.alive()
    assert len(failures) >= 3, late_server.stderr()[-2000:]
    first = failures[0]
    assert first["severity"] == "ERROR"
    assert first["model_uri"] == f"models:/{LATE_MODEL}@production"
    assert "RESOURCE_DOES_NOT_EXIST" in first["message"]
    assert f"retrying every {RETRY_SECONDS:g}s" in first["message"]
    assert "Booting worker" in late_server.stderr()
    assert late_server.stderr().count("Booting worker") == 1  # no crash loop


def test_it_becomes_ready_once_the_model_is_registered(late_server: Server,
                                                       late_store: ModelStore) -> None:
    register = ("import mlflow; from mlflow import MlflowClient; c = MlflowClient(); "
                "v = c.get_model_version('ticket_urgency', '1'); "
                f"n = mlflow.register_model(v.source, '{LATE_MODEL}').version; "
                f"c.set_registered_model_alias('{LATE_MODEL}', 'production', n)")
    result = subprocess.run([sys.executable, "-c", register], env=late_store.env(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    late_server.wait_for("/ready", timeout=20)
    metadata = late_server.get("/metadata").json()
    assert (metadata["model_name"], metadata["model_version"]) == (LATE_MODEL, "1")
    assert late_server.post("/predict", json=TICKET).status_code == 200


def test_it_keeps_serving_when_the_registry_disappears(late_server: Server,
                                                       late_store: ModelStore) -> None:
    (late_store.root / "mlflow.db").rename(late_store.root / "gone.db")
    for _ in range(20):
        answer = late_server.post("/predict", json=TICKET)
        assert answer.status_code == 200
        assert answer.json()["model_version"] == "1"
    assert late_server.get("/ready").status_code == 200


def test_sigterm_flushes_every_prediction_to_the_log(late_server: Server, log_file: Path) -> None:
    request_ids = [late_server.post("/predict", json=TICKET).json()["request_id"]
                   for _ in range(200)]
    assert late_server.stop() == 0
    logged = {json.loads(line)["request_id"] for line in log_file.read_text().splitlines()}
    assert set(request_ids) <= logged
    assert len(logged) == 1 + 20 + 200


def test_a_hanging_registry_cannot_keep_the_worker_from_answering(
        model_store: ModelStore, tmp_path: Path) -> None:
    """A tracking server that accepts connections but never answers: alive, not ready."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = {**model_store.env(),
               "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{silent.getsockname()[1]}",
               "MODEL_LOAD_WAIT_SECONDS": "1", "PREDICTION_LOG": "off",
               "GRACEFUL_TIMEOUT_SECONDS": "2"}
        hanging = Server(env, tmp_path).start(ready=False, timeout=30)
        try:
            ready = hanging.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["reason"] == "still loading models:/ticket_urgency@production"
            assert hanging.post("/predict", json=TICKET).status_code == 503
            assert "model still loading from models:/ticket_urgency@production after 1s" in \
                hanging.stderr()
        finally:
            assert hanging.stop() == 0


def _load_failures(server: Server) -> list[dict[str, object]]:
    return [json.loads(line) for line in server.stderr().splitlines()
            if line.startswith("{") and "model not loaded" in line]
