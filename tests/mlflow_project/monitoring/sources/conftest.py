"""The GCS emulator the log-source tests write a sink's export into."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Bucket:
    """A bucket of the running emulator, reached through the real google-cloud-storage client."""

    name: str
    host: str

    def put(self, objects: dict[str, bytes]) -> None:
        """Upload `objects` (name -> content)."""
        from mlflow_project.data.io import gcs_client

        bucket = gcs_client(f"gs://{self.name}").bucket(self.name)
        for name, content in objects.items():
            bucket.blob(name).upload_from_string(content)


@pytest.fixture
def gcs_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bucket]:
    """An in-process GCS emulator with bucket `sink`, STORAGE_EMULATOR_HOST pointing at it.

    Without gcp-storage-emulator, or when it cannot start: a failure in CI, a skip elsewhere.
    """
    from tests.support import free_port

    try:
        from gcp_storage_emulator.server import create_server

        port = free_port()
        server = create_server("127.0.0.1", port, in_memory=True, default_bucket="sink")
        server.start()
    except (ImportError, OSError) as exc:
        message = (f"the GCS emulator cannot start ({exc}); pip install gcp-storage-emulator "
                   "(a dev dependency)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    host = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    try:
        yield Bucket("sink", host)
    finally:
        server.stop()
