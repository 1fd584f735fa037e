"""Stream a ticket file (CSV or Parquet, local or gs://) as DataFrame chunks of bounded size.

CSV goes through `pandas.read_csv(chunksize=...)`, Parquet through
`pyarrow.parquet.ParquetFile.iter_batches` (reading only the columns scoring uses). A `gs://`
object is read through the blob's own file-like reader (`Blob.open("rb")`), which fetches it in
ranged chunks: memory stays bounded by that buffer, and nothing is downloaded to a temp file,
which matters on Cloud Run, whose local disk is memory. The reader is pinned to the object's
generation, so a file replaced while it is being read fails the read instead of mixing versions.

Parquet is decoded a row group at a time, so its memory also depends on how the file was written
(pyarrow's default row group holds up to a million rows); CSV depends only on the chunk size.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlflow_project.batch.validation import INPUT_COLUMNS
from mlflow_project.data.column_types import check_column_types
from mlflow_project.data.io import SUPPORTED_SUFFIXES, DataSourceError, split_gcs_uri

if TYPE_CHECKING:
    from google.api_core.exceptions import GoogleAPICallError

GCS_READ_CHUNK_BYTES = 8 * 1024 * 1024

TableFormat = Literal["csv", "parquet"]


@dataclass(frozen=True)
class TicketChunks:
    """An open ticket file: its header, its row count when the format records it, its chunks."""

    columns: list[str]
    total_rows: int | None
    chunks: Iterator[pd.DataFrame]


def table_format(uri: str) -> TableFormat:
    """The format a path or URI names by its suffix (.csv or .parquet), else a clear error."""
    suffix = Path(uri).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataSourceError(f"{uri}: unsupported file type {suffix or '(none)'}; use one of "
                              f"{', '.join(SUPPORTED_SUFFIXES)}")
    return "csv" if suffix == ".csv" else "parquet"


@contextmanager
def open_tickets(uri: str, chunk_size: int) -> Iterator[TicketChunks]:
    """Open a ticket file for chunked reading; errors name the file and what is wrong with it.

    An empty (zero-byte or blank) file is refused here, before any chunk is read.
    """
    fmt = table_format(uri)
    with _open_binary(uri) as handle:
        yield _csv_chunks(uri, handle, chunk_size) if fmt == "csv" else _parquet_chunks(
            uri, handle, chunk_size)


@contextmanager
def _open_binary(uri: str) -> Iterator[IO[bytes]]:
    if uri.startswith("gs://"):
        with _open_gcs(uri) as handle:
            yield handle
        return
    path = Path(uri)
    if not path.is_file():
        raise DataSourceError(f"{uri}: no such file")
    if path.stat().st_size == 0:
        raise DataSourceError(f"{uri}: the file is empty")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DataSourceError(f"{uri}: cannot open: {exc.strerror}") from exc
    with handle:
        yield handle


@contextmanager
def _open_gcs(uri: str) -> Iterator[IO[bytes]]:
    from google.api_core import exceptions as gexc

    from mlflow_project.data.io import gcs_client

    bucket, name = split_gcs_uri(uri)
    try:
        blob = gcs_client(uri).bucket(bucket).get_blob(name)  # loads size and generation
    except gexc.GoogleAPICallError as exc:
        raise DataSourceError(f"{uri}: cannot read from GCS: {exc.message}") from exc
    if blob is None:
        raise DataSourceError(f"{uri}: no such object")
    if not blob.size:
        raise DataSourceError(f"{uri}: the file is empty")
    with blob.open("rb", chunk_size=GCS_READ_CHUNK_BYTES) as handle:
        yield handle


def _csv_chunks(uri: str, handle: IO[bytes], chunk_size: int) -> TicketChunks:
    """Parse every column (a row with extra fields must fail, not be cut to the wanted ones),
    keep the scoring columns. The first chunk is read here: it carries the header."""
    try:
        reader = pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""],
                             index_col=False, chunksize=chunk_size)
    except pd.errors.EmptyDataError as exc:
        raise DataSourceError(f"{uri}: the file is empty") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataSourceError(f"{uri}: cannot parse as CSV: {exc}") from exc
    chunks = _guarded(uri, "CSV", _strict_csv_chunks(reader))
    first = next(chunks)
    return TicketChunks(columns=list(first.columns), total_rows=None,
                        chunks=chain([_scoring_columns(first)], map(_scoring_columns, chunks)))


def _strict_csv_chunks(reader: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """pandas only warns when the first row has more fields than the header (and then drops
    them); that is a broken file, so the warning is raised as an error."""
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            chunk = next(reader, None)
        if chunk is None:
            return
        yield chunk


def _scoring_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if c in INPUT_COLUMNS]]


def _parquet_chunks(uri: str, handle: IO[bytes], chunk_size: int) -> TicketChunks:
    """Chunks of the scoring columns, after their types are checked (`ContractError` when one
    cannot be text, e.g. a list of strings); the other columns are neither read nor judged."""
    try:
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError) as exc:
        raise DataSourceError(f"{uri}: cannot parse as PARQUET: {exc}") from exc
    header = list(parquet.schema_arrow.names)
    check_column_types(pa.schema([f for f in parquet.schema_arrow if f.name in INPUT_COLUMNS]),
                       uri)
    batches = parquet.iter_batches(batch_size=chunk_size,
                                   columns=[c for c in header if c in INPUT_COLUMNS])
    # Integer ids with gaps stay integers (not floats), so "7" is never read back as "7.0".
    frames = (batch.to_pandas(integer_object_nulls=True) for batch in batches)
    return TicketChunks(columns=header, total_rows=parquet.metadata.num_rows,
                        chunks=_guarded(uri, "PARQUET", frames))


def _guarded(uri: str, kind: str, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Turn a parse error met mid-file into a `DataSourceError` naming the file."""
    try:
        yield from chunks
    except _gcs_call_errors() as exc:
        raise DataSourceError(f"{uri}: cannot read from GCS: {exc.message}") from exc
    except (ValueError, UnicodeDecodeError, pd.errors.ParserWarning, pa.ArrowException,
            OSError) as exc:
        raise DataSourceError(f"{uri}: cannot parse as {kind}: {exc}") from exc


def _gcs_call_errors() -> tuple[type[GoogleAPICallError], ...]:
    """GCS call errors, once the GCS client is loaded: only `_open_gcs` loads it, so a local
    file (the usual case) never pays for importing it, and cannot meet one."""
    module = sys.modules.get("google.api_core.exceptions")
    return (module.GoogleAPICallError,) if module is not None else ()
