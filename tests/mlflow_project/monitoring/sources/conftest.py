"""The GCS emulator the log-source tests write a sink's export into."""

from __future__ import annotations

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
    from tests.support import gcs_emulator

    with gcs_emulator("sink") as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield Bucket("sink", host)
