"""A `models:/` URI is resolved and downloaded once per server, by a helper process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from serving import prefetch
from serving.model_loader import LoadedModel, ModelLoadError
from tests.serving.conftest import REPO, TICKET, ModelStore, Server

pytestmark = pytest.mark.integration

ALIAS_URI = "models:/ticket_urgency@production"


def test_only_registry_uris_are_prefetched(model_store: ModelStore,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefetch, "_started", None)
    for uri in (str(model_store.baked), "runs:/abc/model", "gs://bucket/model"):
        assert prefetch.start(uri) is None
        assert prefetch.started_for(uri) is None


def test_the_helper_fetches_the_version_and_it_loads_without_mlflow(
        model_store: ModelStore, reference_model: LoadedModel, tmp_path: Path) -> None:
    """The loading process never imports MLflow, pandas or scikit-learn, and scores as the
    reference load does; stopping removes the helper's folder."""
    heavy = ("mlflow", "pandas", "sklearn", "scipy")
    script = f"""
import json, sys
from serving import prefetch
started = prefetch.start({ALIAS_URI!r})
loaded = prefetch.load(started)
probabilities, labels = loaded.model.predict_records([{TICKET!r}])
identity = loaded.identity
print(json.dumps({{"version": identity.version, "resolved": identity.resolved_uri,
                  "source": identity.source, "alias": identity.alias, "run_id": identity.run_id,
                  "probability": float(probabilities[0]),
                  "found": prefetch.started_for({ALIAS_URI!r}) is started
                           and prefetch.first_attempt({ALIAS_URI!r}) is not None,
                  "done": started.done(), "folders": len(list(started.folder.parent.glob(
                      "serving-model-*"))),
                  "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
prefetch.stop(started)
print(json.dumps(started.folder.exists()))
"""
    env = {**model_store.env(), "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report, folder_left = (json.loads(line) for line in result.stdout.splitlines())
    expected, _ = reference_model.model.predict_records([TICKET])
    assert report == {"version": "1", "resolved": "models:/ticket_urgency/1",
                      "source": "registry", "alias": "production",
                      "run_id": reference_model.identity.run_id,
                      "probability": float(expected[0]), "found": True, "done": True, "folders": 1,
                      "heavy": []}
    assert folder_left is False


def test_a_helper_that_fails_gives_its_reason_as_a_load_error(
        model_store: ModelStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(prefetch, "_started", None)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", model_store.uri)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    started = prefetch.start("models:/nothing@production")
    assert started is not None
    try:
        with pytest.raises(ModelLoadError, match=r"RESOURCE_DOES_NOT_EXIST.*nothing"):
            prefetch.load(started)
        assert not started.model_folder.exists()  # nothing half-downloaded to load later
    finally:
        prefetch.stop(started)
    assert list(tmp_path.iterdir()) == []


def test_a_helper_that_dies_is_a_load_error_not_a_hang(
        model_store: ModelStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefetch, "_started", None)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", model_store.uri)
    started = prefetch.start(ALIAS_URI)
    assert started is not None
    assert not started.done()  # it takes over a second to import MLflow
    prefetch.stop(started)  # SIGTERM while it is still importing MLflow
    with pytest.raises(ModelLoadError, match="ended without downloading the model"):
        prefetch.load(started)


def test_two_workers_serve_the_version_one_helper_fetched(model_store: ModelStore,
                                                          tmp_path: Path) -> None:
    """One helper for the whole server, its folder gone when gunicorn stops."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**model_store.env(), "MODEL_URI": ALIAS_URI, "GUNICORN_WORKERS": "2",
           "PREDICTION_LOG": "off", "TMPDIR": str(temp)}
    server = Server(env, tmp_path / "logs").start()
    try:
        fetched = list(temp.glob("serving-model-*/model/registry.json"))
        assert len(fetched) == 1, list(temp.rglob("*"))
        assert json.loads(fetched[0].read_text())["version"] == "1"
        versions = {server.post("/predict", json=TICKET).json()["model_version"]
                    for _ in range(20)}
        assert versions == {"1"}
        assert server.get("/metadata").json()["resolved_uri"] == "models:/ticket_urgency/1"
    finally:
        assert server.stop() == 0
    assert not list(temp.glob("serving-model-*")), list(temp.rglob("*"))


def test_a_helper_that_crashed_is_reported_by_its_last_words(tmp_path: Path) -> None:
    """A crash writes no reason file: its last stderr line is the reason, credentials masked."""
    (tmp_path / prefetch.LOG_FILE).write_text(
        "Traceback (most recent call last):\n  ...\n"
        "RuntimeError: cannot reach http://alice:s3cret@registry:5000\n\n")
    read_end, write_end = os.pipe()
    os.close(write_end)  # the helper is gone
    crashed = prefetch.Prefetch(ALIAS_URI, tmp_path, read_end, pid=0)
    try:
        assert crashed.done()
        with pytest.raises(ModelLoadError) as raised:
            prefetch.load(crashed)
    finally:
        os.close(read_end)
    message = str(raised.value)
    assert message.startswith("the start-up helper ended without downloading the model: "
                              "RuntimeError: cannot reach http://***@registry:5000")
    assert "s3cret" not in message
