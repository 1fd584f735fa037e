"""Listing and reading GCS objects for the log sources, every failure one `InputUnusable` line.

The client is the project's one GCS client factory (anonymous against STORAGE_EMULATOR_HOST).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlflow_project.data.io import DataSourceError, gcs_client
from mlflow_project.monitoring.errors import InputUnusable

if TYPE_CHECKING:
    from google.cloud import storage

CHUNK_BYTES = 8 * 1024 * 1024


def storage_client(uri: str) -> storage.Client:
    """A client for `uri`; no credentials is InputUnusable, saying what to set."""
    try:
        return gcs_client(uri)
    except DataSourceError as exc:
        raise InputUnusable(str(exc)) from exc


def list_objects(client: storage.Client, bucket: str, prefix: str, uri: str,
                 delimiter: str | None = None) -> tuple[list[storage.Blob], set[str]]:
    """The objects under `prefix` in name order and, with a `delimiter`, the sub-prefixes."""
    from google.api_core import exceptions as gexc

    try:
        listing = client.list_blobs(bucket, prefix=prefix, delimiter=delimiter)
        blobs = sorted(listing, key=lambda blob: blob.name)
    except gexc.GoogleAPICallError as exc:
        raise InputUnusable(f"{uri}: cannot list objects: {exc.message}") from exc
    return blobs, set(listing.prefixes)


def object_lines(blob: storage.Blob, name: str) -> Iterator[bytes]:
    """The object's lines (without their newline), streamed in chunks of CHUNK_BYTES: an export
    object may be gigabytes, and the client's reader would otherwise be read a byte at a time."""
    from google.api_core import exceptions as gexc

    try:
        with blob.open("rb", chunk_size=CHUNK_BYTES) as handle:
            rest = b""
            while block := handle.read(CHUNK_BYTES):
                lines = (rest + block).split(b"\n")
                rest = lines.pop()
                yield from lines
            if rest:
                yield rest
    except gexc.GoogleAPICallError as exc:
        raise InputUnusable(f"{name}: cannot read from GCS: {exc.message}") from exc
