"""Which model scores the batch, and how a chunk of checked tickets becomes prediction rows.

The model URI is resolved to one registry version before anything is loaded, and that version
(`models:/NAME/VERSION`) is what gets loaded - by this process or by every Spark executor - so an
alias moved mid-job cannot mix two versions, and the version written beside every score is the
one that produced it. Scoring calls the pyfunc's own `predict` on a whole chunk: the vectorised
scikit-learn path (`TicketScorer.probabilities_frame`), the same one `spark_udf` calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel

from contracts.model_uri import is_registry_uri, version_uri
from contracts.requirements_check import warn_unmet_requirements
from mlflow_project.batch.validation import ID_COLUMN, ROW_NUMBER
from mlflow_project.data.contract import FEATURE_COLUMNS
from mlflow_project.registry.store import resolve_version

PROBABILITY = "urgency_probability"
LABEL = "urgent"
MODEL_VERSION = "model_version"
log = logging.getLogger(__name__)
OUTPUT_SCHEMA = pa.schema([
    pa.field(ID_COLUMN, pa.string(), nullable=False),
    pa.field(ROW_NUMBER, pa.int64(), nullable=False),
    pa.field(PROBABILITY, pa.float64(), nullable=False),
    pa.field(LABEL, pa.int64(), nullable=False),
    pa.field(MODEL_VERSION, pa.string()),
])


class ModelUnavailable(LookupError):
    """The model URI names nothing that exists (no such model, version or alias)."""


@dataclass(frozen=True)
class ResolvedModel:
    """The model a batch uses: the URI asked for, the URI loaded, and its registry identity."""

    requested_uri: str
    uri: str
    name: str | None
    version: str | None

    def describe(self) -> dict[str, str | None]:
        """Identity for the summary and the output file's metadata."""
        return {"model_uri": self.requested_uri, "model_loaded": self.uri,
                "model_name": self.name, "model_version": self.version}


def resolve_model(model_uri: str, client: MlflowClient | None = None) -> ResolvedModel:
    """Pin a `models:/` URI (alias or version) to one version; other URIs are used as given.

    Raises `ModelUnavailable` when the registry has no such model, version or alias, and lets
    any other `MlflowException` (an unreachable tracking server) through.
    """
    if not is_registry_uri(model_uri):
        return ResolvedModel(model_uri, model_uri, None, None)  # runs:/, a path: no registry
    try:
        version = resolve_version(client or MlflowClient(), model_uri)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelUnavailable(f"{model_uri}: {exc.message}") from exc
        raise
    if version is None:
        raise ModelUnavailable(f"{model_uri}: no such registered model or alias (use "
                               "models:/NAME@ALIAS or models:/NAME/VERSION; see "
                               "`registry-tools status`)")
    return ResolvedModel(model_uri, version_uri(version.name, version.version),
                         version.name, str(version.version))


def load_model(model: ResolvedModel) -> PyFuncModel:
    """Load the pinned model into this process; `ModelUnavailable` when nothing is there.

    Unmet model requirements are one warning, from `contracts.requirements_check` (MLflow's own
    check costs ~0.3 s per load).
    """
    import mlflow.artifacts
    import mlflow.pyfunc

    try:
        folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=model.uri))
        warn_unmet_requirements(folder, log)
        return mlflow.pyfunc.load_model(str(folder), suppress_warnings=True)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelUnavailable(f"{model.uri}: {exc.message}") from exc
        raise


def score(model: PyFuncModel, tickets: pd.DataFrame) -> pd.DataFrame:
    """`urgency_probability` and `urgent` for each checked ticket, in order."""
    if tickets.empty:
        return pd.DataFrame({PROBABILITY: pd.Series(dtype="float64"),
                             LABEL: pd.Series(dtype="int64")})
    predicted = pd.DataFrame(model.predict(tickets[list(FEATURE_COLUMNS)]))
    return predicted[[PROBABILITY, LABEL]].reset_index(drop=True)


def prediction_rows(tickets: pd.DataFrame, scores: pd.DataFrame,
                    version: str | None) -> pd.DataFrame:
    """Output rows: the ticket's id (its row number when it has none), scores and version."""
    row_numbers = tickets[ROW_NUMBER].reset_index(drop=True)
    ids = tickets[ID_COLUMN].reset_index(drop=True).astype("string")
    return pd.DataFrame({
        ID_COLUMN: ids.fillna(row_numbers.astype("string")).astype(object),
        ROW_NUMBER: row_numbers.astype("int64"),
        PROBABILITY: scores[PROBABILITY].astype("float64").to_numpy(),
        LABEL: scores[LABEL].astype("int64").to_numpy(),
        MODEL_VERSION: version,
    }, columns=OUTPUT_SCHEMA.names)
