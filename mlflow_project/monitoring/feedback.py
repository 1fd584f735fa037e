"""Load delayed labels (`ticket_id,urgent`, CSV or Parquet, a path or a `gs://` URI) by the one
set of rules in `contracts.feedback`.

Monitoring's quality check and `registry-tools ab status` both call `load_feedback`, so the same
file is accepted, or refused with the same row and rule, by both.
"""

from __future__ import annotations

from contracts.feedback import FeedbackError, FeedbackLabels, parse_feedback
from mlflow_project.data.contract import ContractError
from mlflow_project.data.io import DataSourceError, read_table
from mlflow_project.monitoring.errors import InputUnusable


def load_feedback(uri: str) -> FeedbackLabels:
    """The labels of a feedback file; InputUnusable (exit 3) naming the file and every broken
    row when it cannot be read or breaks a rule: a bad file is refused whole, never partly used."""
    try:
        raw, _ = read_table(uri)
        return parse_feedback(raw, uri)
    except (DataSourceError, ContractError, FeedbackError) as exc:
        raise InputUnusable(f"feedback unusable: {exc}") from exc
