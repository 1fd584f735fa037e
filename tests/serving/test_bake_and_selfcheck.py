"""The image flow's tools: bake a registry version with registry.json; check a model loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from serving.model_loader import RegistryRecord
from tests.serving.conftest import MODEL, REPO, ModelStore, Server

pytestmark = pytest.mark.integration


def _run(store: ModelStore, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=store.env(),
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy, inside MlflowClient
def test_the_baked_folder_names_its_registry_version(model_store: ModelStore) -> None:
    record = RegistryRecord.model_validate_json((model_store.baked / "registry.json").read_text())
    registered = model_store.client().get_model_version_by_alias(MODEL, "production")
    assert (record.name, record.version, record.alias) == (MODEL, "1", "production")
    assert record.run_id == registered.run_id
    assert record.source_uri == "models:/ticket_urgency@production"
    assert (model_store.baked / "MLmodel").is_file()


def test_a_server_on_the_baked_folder_reports_the_registry_identity(auth_server: Server) -> None:
    metadata = auth_server.get("/metadata").json()
    assert (metadata["model_name"], metadata["model_version"]) == (MODEL, "1")
    assert (metadata["source"], metadata["alias"]) == ("registry.json", "production")
    assert metadata["resolved_uri"].endswith("/baked")


def test_bake_refuses_a_non_empty_folder_and_a_non_registry_uri(model_store: ModelStore,
                                                               tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("a previous model")
    refused = _run(model_store, "serving.bake_model", "--out", str(tmp_path))
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    not_registry = _run(model_store, "serving.bake_model", "--model-uri",
                        str(model_store.baked), "--out", str(tmp_path / "new"))
    assert not_registry.returncode == 1
    assert "not a registry URI" in not_registry.stderr


def test_selfcheck_prints_metadata_and_fails_on_another_version(model_store: ModelStore) -> None:
    matching = _run(model_store, "serving.selfcheck", "--model-uri", str(model_store.baked),
                    "--expect-version", "1")
    assert matching.returncode == 0, matching.stderr[-2000:]
    assert json.loads(matching.stdout)["model_version"] == "1"
    other = _run(model_store, "serving.selfcheck", "--model-uri", str(model_store.baked),
                 "--expect-version", "7")
    assert other.returncode == 1
    assert "expected 7" in other.stderr
    missing = _run(model_store, "serving.selfcheck", "--model-uri", "models:/nothing@production")
    assert missing.returncode == 1
    assert "cannot load models:/nothing@production" in missing.stderr
