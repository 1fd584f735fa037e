"""The in-process batch job: stream a ticket file through the model, chunk by chunk.

Memory is bounded by the chunk size (plus 8 bytes per ticket id seen, for the uniqueness rule),
not by the file size. The rejects (`<output stem>.rejects.csv`) are written on every run, empty
when nothing was refused, so a rerun never leaves stale rejects beside a fresh output; they are
committed before the output, so an output file always has its rejects file beside it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

import pandas as pd
import pyarrow as pa
from mlflow.pyfunc import PyFuncModel
from tqdm import tqdm

from mlflow_project.batch import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_REJECT_SHARE
from mlflow_project.batch.reader import open_tickets
from mlflow_project.batch.scoring import OUTPUT_SCHEMA, ResolvedModel, prediction_rows, score
from mlflow_project.batch.validation import SeenIds, check_chunk, require_columns
from mlflow_project.batch.writer import StagedTable, staged_table
from mlflow_project.data.contract import REJECT_COLUMNS
from mlflow_project.data.io import DataSourceError

REJECTS_SCHEMA = pa.schema([(c, pa.int64() if c == "row_number" else pa.string())
                            for c in REJECT_COLUMNS])
METADATA_KEY = "ticket_urgency.batch"


class BatchRefused(ValueError):
    """The input is readable but unfit to score as a whole (too many rows break the contract)."""


@dataclass(frozen=True)
class BatchRequest:
    """What to score, where the results go, and how."""

    input_uri: str
    output_uri: str
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE

    @property
    def rejects_uri(self) -> str:
        """`<output stem>.rejects.csv` beside the output."""
        return rejects_uri(self.output_uri)


@dataclass(frozen=True)
class BatchSummary:
    """What a run did: counts, model identity and timing (seconds exclude model loading)."""

    input: str
    output: str
    rejects: str
    model_uri: str
    model_loaded: str
    model_version: str | None
    rows_in: int
    scored: int
    rejected_rows: int
    reject_lines: int
    seconds: float
    engine: str = "in-process"

    @property
    def rows_per_second(self) -> float:
        """Input rows handled per second of the job."""
        return self.rows_in / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        """Every field, plus rows per second, rounded for people."""
        return {**asdict(self), "seconds": round(self.seconds, 3),
                "rows_per_second": round(self.rows_per_second, 1)}

    def to_json(self) -> str:
        """One JSON line, as the project's other commands print their results."""
        return json.dumps(self.as_dict())


@dataclass
class _State:
    """Running counts of a job, and the ids it has met (for the uniqueness rule)."""

    rows_in: int = 0
    scored: int = 0
    rejected_rows: int = 0
    reject_lines: int = 0
    seen: SeenIds = field(default_factory=SeenIds)


def rejects_uri(output_uri: str) -> str:
    """The rejects file beside an output: `out/preds.parquet` -> `out/preds.rejects.csv`."""
    path = PurePosixPath(output_uri)
    return output_uri[: len(output_uri) - len(path.name)] + f"{path.stem}.rejects.csv"


def check_reject_share(rows_in: int, rejected_rows: int, max_share: float) -> None:
    """Refuse a batch whose share of broken rows says the input itself is wrong."""
    share = rejected_rows / rows_in
    if share > max_share:
        raise BatchRefused(f"{rejected_rows} of {rows_in} rows ({share:.1%}) break the contract, "
                           f"more than the allowed {max_share:.1%}; no output was written, see "
                           "the rejects file for the reasons")


def run_batch(request: BatchRequest, resolved: ResolvedModel, model: PyFuncModel, *,
              progress: bool = False) -> BatchSummary:
    """Score `request.input_uri` with the loaded model; publish the output only on success.

    Raises `DataSourceError` (unreadable, empty, no data rows), `ContractError` (a required column
    is missing) or `BatchRefused` (too many rejects; the rejects are written, the output is not).
    """
    started = time.perf_counter()
    metadata = {METADATA_KEY: json.dumps({"input": request.input_uri, **resolved.describe()})}
    with open_tickets(request.input_uri, request.chunk_size) as tickets:
        require_columns(tickets.columns)
        with (staged_table(request.output_uri, OUTPUT_SCHEMA, metadata) as output,
              staged_table(request.rejects_uri, REJECTS_SCHEMA) as rejects,
              tqdm(total=tickets.total_rows, unit=" rows", disable=not progress,
                   mininterval=0.5, dynamic_ncols=True) as bar):
            state = _State()
            for chunk in tickets.chunks:
                _score_chunk(chunk, state, resolved.version, model, output, rejects)
                bar.update(len(chunk))
            if state.rows_in == 0:
                raise DataSourceError(f"{request.input_uri}: the file has a header but no rows")
            rejects.commit()
            check_reject_share(state.rows_in, state.rejected_rows, request.max_reject_share)
            output.commit()
    return BatchSummary(
        input=request.input_uri, output=request.output_uri, rejects=request.rejects_uri,
        model_uri=resolved.requested_uri, model_loaded=resolved.uri,
        model_version=resolved.version, rows_in=state.rows_in, scored=state.scored,
        rejected_rows=state.rejected_rows, reject_lines=state.reject_lines,
        seconds=time.perf_counter() - started)


def _score_chunk(chunk: pd.DataFrame, state: _State, version: str | None, model: PyFuncModel,
                 output: StagedTable, rejects: StagedTable) -> None:
    """Check, score and write one chunk; its rows continue the file's row numbering."""
    checked = check_chunk(chunk, first_row=state.rows_in + 1, seen=state.seen)
    output.append(prediction_rows(checked.tickets, score(model, checked.tickets), version))
    rejects.append(checked.rejects)
    state.rows_in += len(chunk)
    state.scored += len(checked.tickets)
    state.rejected_rows += int(checked.rejects["row_number"].nunique())
    state.reject_lines += len(checked.rejects)
