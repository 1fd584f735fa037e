"""Helpers of the deploy tests.

The A/B fixtures these tests share with tests/registry_tools/ab (`trained_store`, `registry`,
`fake_cloud_run`, `service_path`) are in tests/conftest.py, their helpers (`Registry`,
`copy_store`, `ab`) in tests/registry_tools/ab/support.py. The Cloud Run tests talk to
`fake_cloud_run` through the real `google-cloud-run` client; `deployment_records` is the
deployment-record bucket in a GCS emulator, read through the real `google-cloud-storage` client.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def require_tool(found: str | None, tool: str, how: str) -> str:
    """The tool's path; a failure in CI (CI=true), a skip elsewhere, saying how to get it."""
    if found is None:
        message = f"{tool} is not installed: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass(frozen=True)
class DeploymentRecords:
    """The deployment-record bucket of the default service, in a GCS emulator."""

    bucket: str
    service: str

    def put(self, revision: str, document: dict[str, object] | str) -> str:
        """Write one record as cloudbuild.yaml's record step does; returns its gs:// URI."""
        from mlflow_project.data.io import gcs_client

        name = f"deployments/{self.service}/{revision}.json"
        text = document if isinstance(document, str) else json.dumps(document)
        gcs_client(f"gs://{self.bucket}").bucket(self.bucket).blob(name).upload_from_string(
            text, content_type="application/json")
        return f"gs://{self.bucket}/{name}"

    def deployed(self, revision: str, version: str, image: str) -> str:
        """The record of `revision` serving model `version` from `image`."""
        return self.put(revision, {"service": self.service, "revision": revision,
                                   "model_version": version, "image": image,
                                   "git_sha": "0" * 40, "branch": "main", "traffic": "all",
                                   "build_id": "b"})


@pytest.fixture
def deployment_records(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeploymentRecords]:
    """The default service's record bucket in an in-process GCS emulator (STORAGE_EMULATOR_HOST
    points at it; the real google-cloud-storage client reads it)."""
    from deploy.cloudrun.settings import CloudRunSettings
    from tests.support import gcs_emulator

    settings = CloudRunSettings()
    with gcs_emulator(settings.bucket) as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield DeploymentRecords(settings.bucket, settings.service)
