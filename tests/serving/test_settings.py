"""Configuration: defaults, and a clear start-up error naming the variable for a bad value."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from contracts.settings import SettingsError
from serving.settings import ServingSettings
from tests.serving.conftest import BIN, REPO, ModelStore, free_port
from tests.support import held_port


def test_defaults_follow_the_contract_and_cloud_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ServingSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = ServingSettings.load()
    assert settings.model_uri == "models:/ticket_urgency@production"
    assert (settings.port, settings.host) == (8080, "0.0.0.0")
    assert (settings.max_title_chars, settings.max_description_chars) == (500, 20_000)
    assert (settings.prediction_log, settings.variant) == ("stdout", "production")
    assert settings.gunicorn_workers == 1
    assert (settings.keepalive_seconds, settings.max_connections) == (5, 1000)
    assert not settings.auth_enabled
    assert settings.google_cloud_project is None  # Cloud Run does not set it: no trace fields


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", "")
    monkeypatch.setenv("MODEL_URI", "")
    settings = ServingSettings.load()
    assert not settings.auth_enabled
    assert settings.model_uri == "models:/ticket_urgency@production"


def test_api_keys_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", "first-key-0123456789, second-key-0123456789")
    assert ServingSettings.load().api_key_bytes == (b"first-key-0123456789",
                                                    b"second-key-0123456789")


@pytest.mark.parametrize(("name", "value", "phrase"), [
    ("PORT", "eighty", "valid integer"),
    ("PORT", "70000", "less than or equal to 65535"),
    ("MAX_BATCH_SIZE", "0", "greater than or equal to 1"),
    ("MAX_BODY_BYTES", "10", "greater than or equal to 1024"),
    ("VARIANT", "Prod Uction", "should match pattern"),
    ("GUNICORN_WORKERS", "-1", "greater than or equal to 1"),
    ("MODEL_RETRY_SECONDS", "0", "greater than 0"),
    ("LOG_LEVEL", "loud", "should match pattern"),
    ("PREDICTION_LOG", "/proc/forbidden/log.jsonl", "writable"),
    ("GOOGLE_CLOUD_PROJECT", "My_Project", "should match pattern"),
    ("GOOGLE_CLOUD_PROJECT", "projects/tu-prod", "should match pattern"),
])
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                        phrase: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        ServingSettings.load()
    line = next(line for line in str(error.value).splitlines() if line.strip().startswith(name))
    assert f"{name}={value!r}" in line
    assert phrase in line


@pytest.mark.parametrize("keys", ["short", "good-key-0123456789,", "has space 0123456789"])
def test_a_bad_api_key_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch,
                                                     keys: str) -> None:
    monkeypatch.setenv("API_KEYS", keys)
    with pytest.raises(SettingsError) as error:
        ServingSettings.load()
    assert "API_KEYS:" in str(error.value)
    assert keys.split(",")[0] not in str(error.value)


@pytest.mark.integration
def test_gunicorn_refuses_to_start_on_a_bad_value(model_store: ModelStore) -> None:
    env = {**model_store.env(), "PORT": str(free_port()), "MAX_BATCH_SIZE": "lots",
           "API_KEYS": "tiny"}
    result = subprocess.run([str(BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "invalid serving configuration" in result.stderr
    assert "MAX_BATCH_SIZE='lots'" in result.stderr
    assert "API_KEYS:" in result.stderr
    assert "tiny" not in result.stderr
    assert "Traceback" not in result.stderr



@pytest.mark.integration
def test_gunicorn_refuses_a_busy_port_in_one_line_before_binding(tmp_path: Path) -> None:
    """gunicorn alone would retry for 5 s and then print its own error; the service names the
    port, who holds it and what to set, and exits 2 before loading any model."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "MODEL_URI": "models:/ticket_urgency@production", "HOST": "127.0.0.1"}
    with held_port() as port:
        result = subprocess.run([str(BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"],
                                cwd=REPO, env={**env, "PORT": str(port)}, capture_output=True,
                                text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert errors[0].startswith(f"error: port {port} on 127.0.0.1 is busy (pid {os.getpid()}: ")
    assert errors[0].endswith("; choose another with PORT=...")
    assert "Connection in use" not in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "mlflow.db").exists()  # refused before the model was looked up
