"""Write a table chunk by chunk so that it appears at its destination whole, or not at all.

Chunks go to a temp file: beside the target for a local path (then `os.replace`, atomic on one
filesystem), in the temp directory for `gs://` (then one upload; an object is created only when
its upload completes). Leaving the `staged_table` block without `commit()` - an exception, a
refusal - deletes the temp file and leaves any earlier file at the target untouched.

CSV output is for people: text cells a spreadsheet would run as formulas are neutralised (the
input's ticket ids and the rejects' quoted values are anyone's text). Parquet keeps values exact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from mlflow_project.batch.reader import table_format
from mlflow_project.data.csv_safety import neutralise_formulas
from mlflow_project.data.io import split_gcs_uri


class OutputUnwritable(OSError):
    """The output could not be published at its URI (nothing half-written is left there)."""


class StagedTable:
    """A table being written to a temp file; `commit()` publishes it at its URI."""

    def __init__(self, uri: str, schema: pa.Schema, path: Path) -> None:
        self.uri = uri
        self.rows = 0
        self._schema = schema
        self._path = path
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pcsv.CSVWriter | None = None
        if table_format(uri) == "parquet":
            self._parquet = pq.ParquetWriter(path, schema)
        else:  # Arrow's writer: 5x pandas' to_csv; strings quoted, floats in shortest form
            self._csv = pcsv.CSVWriter(str(path), schema)

    def append(self, frame: pd.DataFrame) -> None:
        """Add rows (columns as in the schema, in its order); no rows write nothing."""
        if frame.empty:
            return
        if self._parquet is not None:
            self._parquet.write_table(self._table(frame))
        elif self._csv is not None:
            self._csv.write_table(self._table(neutralise_formulas(frame[self._schema.names])))
        self.rows += len(frame)

    def _table(self, frame: pd.DataFrame) -> pa.Table:
        return pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)

    def commit(self) -> None:
        """Finish the file and move it into place (rename locally, one upload to GCS)."""
        self._close()
        if self.uri.startswith("gs://"):
            self._upload()
        else:
            os.replace(self._path, self.uri)

    def _upload(self) -> None:
        from google.api_core import exceptions as gexc

        from mlflow_project.data.io import DataSourceError, gcs_client

        bucket, name = split_gcs_uri(self.uri)
        try:
            gcs_client(self.uri).bucket(bucket).blob(name).upload_from_filename(str(self._path))
        except DataSourceError as exc:  # no credentials: the message says what to set
            raise OutputUnwritable(str(exc)) from exc
        except gexc.GoogleAPICallError as exc:
            raise OutputUnwritable(f"{self.uri}: cannot upload to GCS: {exc.message}") from exc
        self._path.unlink()

    def discard(self) -> None:
        """Drop the temp file; the target is left as it was."""
        self._close()
        self._path.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._csv is not None:
            self._csv.close()
            self._csv = None


@contextmanager
def staged_table(uri: str, schema: pa.Schema,
                 metadata: Mapping[str, str] | None = None) -> Iterator[StagedTable]:
    """A `StagedTable` for `uri` that is discarded unless committed inside the block.

    `metadata` is stored in a Parquet file's schema (CSV has nowhere to keep it).
    """
    table_format(uri)  # refuse an unsupported suffix before creating anything
    if metadata:
        schema = schema.with_metadata(dict(metadata))
    path = _temp_path(uri)
    try:
        table = StagedTable(uri, schema, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    try:
        yield table
    finally:
        if path.exists():
            table.discard()


def _temp_path(uri: str) -> Path:
    if uri.startswith("gs://"):
        directory = Path(tempfile.gettempdir())
    else:
        directory = Path(uri).resolve().parent
        directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{Path(uri).name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)  # mkstemp's 0600 would otherwise survive the rename
    return Path(name)
