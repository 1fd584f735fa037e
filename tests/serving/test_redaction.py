"""Credentials never leave the service: not in /ready, /metadata, a 503 body or any log line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contracts.redaction import MASK, redact
from tests.serving.conftest import REPO, TICKET, ModelStore, Server

SECRET = "s3cr3t-Pa55word"
TOKEN = "tok-0123456789abcdef"


@pytest.mark.parametrize(("text", "kept"), [
    (f"http://alice:{SECRET}@127.0.0.1:1", "http://***@127.0.0.1:1"),
    (f"https://{TOKEN}@mlflow.example.com/api", "https://***@mlflow.example.com/api"),
    (f"postgresql+psycopg2://mlflow:{SECRET}@db:5432/mlflow",
     "postgresql+psycopg2://***@db:5432/mlflow"),
    (f"http://alice:p@ss{SECRET}@host/x", "http://***@host/x"),
    (f"https://host/x?a=1&password={SECRET}&b=2", "https://host/x?a=1&password=***&b=2"),
    (f"https://host/x?token={TOKEN}", "https://host/x?token=***"),
    (f"gs://b/o?X-Goog-Signature={TOKEN}&X-Goog-Date=1", "gs://b/o?X-Goog-Signature=***&"
                                                         "X-Goog-Date=1"),
    (f"host=db user=mlflow password={SECRET} dbname=x", "host=db user=mlflow password=*** "
                                                        "dbname=x"),
    (f"API request to http://bob:{SECRET}@127.0.0.1:1/api/2.0/x failed with "
     f"ConnectionError(...)", "API request to http://***@127.0.0.1:1/api/2.0/x failed"),
    (f"headers {{'Authorization': 'Bearer {TOKEN}'}}", "'Authorization': 'Bearer ***'"),
    (f"Authorization: Basic {TOKEN}", "Authorization: Basic ***"),
])
def test_redact_masks_credentials_and_keeps_the_rest(text: str, kept: str) -> None:
    shown = redact(text)
    assert SECRET not in shown
    assert TOKEN not in shown
    assert MASK in shown
    assert kept in shown


@pytest.mark.parametrize("text", [
    "models:/ticket_urgency@production", "models:/ticket_urgency/3", "runs:/abc123/model",
    "http://127.0.0.1:5000", "/app/serving/model", "gs://bucket/prefix/model",
    "user@example.com wrote", "bypass=1 compass=2", "RESOURCE_DOES_NOT_EXIST: no alias"])
def test_redact_leaves_text_without_credentials_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.integration
def test_no_credential_reaches_a_response_or_a_log_line(model_store: ModelStore,
                                                        tmp_path: Path) -> None:
    """A registry that refuses connections, named by a URI with a password and a token."""
    env = {**model_store.env(),
           "MLFLOW_TRACKING_URI": f"http://alice:{SECRET}@127.0.0.1:1/?token={TOKEN}",
           "MODEL_LOAD_WAIT_SECONDS": "20", "MODEL_RETRY_SECONDS": "1",
           "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
           "PREDICTION_LOG": "off", "GRACEFUL_TIMEOUT_SECONDS": "2"}
    server = Server(env, tmp_path).start(ready=False, timeout=60)
    try:
        deadline = time.monotonic() + 30
        while "model not loaded" not in server.stderr():
            assert time.monotonic() < deadline, server.stderr()[-3000:]
            time.sleep(0.2)
        answers = [server.get("/ready"), server.get("/metadata"),
                   server.post("/predict", json=TICKET), server.get("/metrics")]
        assert [a.status_code for a in answers] == [503, 503, 503, 200]
        reason = answers[0].json()["reason"]
        assert reason.startswith("cannot load models:/ticket_urgency@production")
        for answer in answers:
            assert SECRET not in answer.text
            assert TOKEN not in answer.text
        assert "http://***@127.0.0.1:1" in server.stderr() + reason
    finally:
        assert server.stop() == 0
    logged = server.stderr()
    failures = [json.loads(line) for line in logged.splitlines() if "model not loaded" in line]
    assert failures, logged[-3000:]
    assert SECRET not in logged
    assert TOKEN not in logged


@pytest.mark.integration
@pytest.mark.parametrize("module", ["serving.selfcheck", "serving.bake_model"])
def test_the_command_line_tools_do_not_print_credentials(model_store: ModelStore,
                                                         tmp_path: Path, module: str) -> None:
    env = {**model_store.env(), "MLFLOW_TRACKING_URI": f"http://alice:{SECRET}@127.0.0.1:1",
           "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "2"}
    extra = ["--out", str(tmp_path / "out")] if module == "serving.bake_model" else []
    result = subprocess.run([sys.executable, "-m", module, "--model-uri",
                             f"https://bob:{SECRET}@127.0.0.1:1/model?token={TOKEN}", *extra],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot ")
    assert SECRET not in result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr
