"""Read and write ticket tables (CSV or Parquet) from a local path or a `gs://` URI.

GCS goes through the real `google-cloud-storage` client; tests point it at a local emulator with
`STORAGE_EMULATOR_HOST`. Reading returns the raw table: mapping it onto the contract is the job of
`contract.validate_tickets`.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import pyarrow.parquet as pq

from mlflow_project.data.column_types import check_column_types

if TYPE_CHECKING:
    from google.cloud import storage

ClientT = TypeVar("ClientT")

SUPPORTED_SUFFIXES = (".csv", ".parquet")


class DataSourceError(ValueError):
    """A data file could not be found, fetched or parsed; the message names the file and why."""


def read_bytes(uri: str) -> bytes:
    """Return the raw bytes of a local file or a `gs://bucket/object` URI."""
    if uri.startswith("gs://"):
        return _read_gcs(uri)
    path = Path(uri)
    if not path.is_file():
        raise DataSourceError(f"{uri}: no such file")
    return path.read_bytes()


def read_table(uri: str) -> tuple[pd.DataFrame, str]:
    """Load a CSV or Parquet ticket table and return it with the SHA-256 of the file's bytes.

    The hash identifies the data snapshot in the registry lineage, so it is taken over exactly the
    bytes that were parsed. A Parquet file whose contract columns have types the contract cannot
    hold (lists, structs, binary, ...) is refused with a `ContractError` naming the column.
    """
    suffix = _suffix(uri)
    payload = read_bytes(uri)
    if not payload.strip():
        raise DataSourceError(f"{uri}: the file is empty")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False,
                                na_values=[""])
        else:
            frame = pd.read_parquet(io.BytesIO(payload))
    except Exception as exc:  # pandas/pyarrow raise many types for corrupt input
        raise DataSourceError(f"{uri}: cannot parse as {suffix[1:].upper()}: {exc}") from exc
    if suffix == ".parquet":
        check_column_types(pq.read_schema(io.BytesIO(payload)), uri)
    return frame, hashlib.sha256(payload).hexdigest()


def write_table(frame: pd.DataFrame, uri: str) -> None:
    """Write a table as CSV or Parquet (by suffix) to a local path or `gs://` URI, atomically.

    Locally the file is written beside its target and renamed into place; on GCS an object upload
    is atomic by nature.
    """
    write_bytes(table_bytes(frame, uri), uri)


def table_bytes(frame: pd.DataFrame, uri: str) -> bytes:
    """The bytes `write_table` would write to `uri` (CSV or Parquet by its suffix)."""
    return _serialise(frame, _suffix(uri))


def write_bytes(payload: bytes, uri: str) -> None:
    """Write bytes to a local path or `gs://` URI so that a reader never sees half a file."""
    if uri.startswith("gs://"):
        bucket, name = split_gcs_uri(uri)
        gcs_client(uri).bucket(bucket).blob(name).upload_from_string(payload)
        return
    target = Path(uri)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def split_gcs_uri(uri: str) -> tuple[str, str]:
    """Split `gs://bucket/path/to/object` into ("bucket", "path/to/object")."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise DataSourceError(f"{uri}: expected gs://BUCKET/OBJECT")
    return bucket, name


def _suffix(uri: str) -> str:
    suffix = Path(uri).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataSourceError(
            f"{uri}: unsupported file type {suffix or '(none)'}; use one of "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )
    return suffix


def _serialise(frame: pd.DataFrame, suffix: str) -> bytes:
    if suffix == ".csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _read_gcs(uri: str) -> bytes:
    from google.api_core import exceptions as gexc

    bucket, name = split_gcs_uri(uri)
    try:
        return bytes(gcs_client(uri).bucket(bucket).blob(name).download_as_bytes())
    except gexc.NotFound as exc:
        raise DataSourceError(f"{uri}: no such object") from exc
    except gexc.GoogleAPICallError as exc:
        raise DataSourceError(f"{uri}: cannot read from GCS: {exc.message}") from exc


def gcs_client(uri: str) -> storage.Client:
    """A storage client for reading or writing `uri`; anonymous against a local emulator
    (STORAGE_EMULATOR_HOST). Failures as `google_client` says."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    def connect(emulator: str | None) -> storage.Client:
        if emulator is None:
            return storage.Client()
        project = os.environ.get("GOOGLE_CLOUD_PROJECT", "local-emulator")
        return storage.Client(project=project, credentials=AnonymousCredentials())

    return google_client(uri, "GCS", "STORAGE_EMULATOR_HOST", connect)


def google_client(uri: str, service: str, emulator_variable: str,
                  connect: Callable[[str | None], ClientT]) -> ClientT:
    """`connect(emulator URL)` when `emulator_variable` is set (the client goes there,
    anonymously), else `connect(None)` (Google credentials): the one rule of every Google client
    the project makes (GCS, BigQuery).

    Without an emulator it needs Google credentials; when there are none (or
    GOOGLE_APPLICATION_CREDENTIALS names a file that is not there) this raises a one-line
    `DataSourceError` naming `uri` and what to set, instead of google-auth's long traceback.
    An emulator address without its scheme is refused too: the client would ignore it and try
    the real Google endpoint for minutes.
    """
    from google.auth.exceptions import DefaultCredentialsError

    emulator = os.environ.get(emulator_variable) or None
    if emulator is not None and not emulator.startswith(("http://", "https://")):
        raise DataSourceError(f"{uri}: {emulator_variable}={emulator} needs its scheme, "
                              f"e.g. http://{emulator}")
    try:
        return connect(emulator)
    except DefaultCredentialsError as exc:
        reason = " ".join(str(exc).split()).split(" To set up")[0]
        raise DataSourceError(
            f"{uri}: no Google credentials to reach {service} ({reason}); set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or run `gcloud auth "
            f"application-default login`, or set {emulator_variable}=http://HOST:PORT to use an "
            "emulator"
        ) from exc
