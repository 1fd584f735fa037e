"""Load a ticket file onto the contract and decide whether it is fit to train on."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow_project.data.contract import LABEL_COLUMN, ValidationResult, validate_tickets
from mlflow_project.data.endava import endava_to_contract, is_endava_export
from mlflow_project.data.io import read_table


class DataRefused(ValueError):
    """The data is readable but not fit for training; the message says which rule it broke."""


@dataclass(frozen=True)
class LoadedTickets:
    """Validated tickets with the identity (URI and SHA-256) of the file they came from."""

    uri: str
    sha256: str
    validation: ValidationResult


def load_tickets(uri: str) -> LoadedTickets:
    """Read a CSV/Parquet file (local or gs://), map an Endava export onto the contract,
    and validate it."""
    raw, sha256 = read_table(uri)
    if is_endava_export(raw):
        raw = endava_to_contract(raw)
    return LoadedTickets(uri=uri, sha256=sha256, validation=validate_tickets(raw))


def check_trainable(validation: ValidationResult, max_reject_share: float) -> None:
    """Refuse data that is empty, mostly broken, or missing a class, naming the rule broken."""
    if validation.total_rows == 0:
        raise DataRefused("the data has no rows")
    if validation.rejected_share > max_reject_share:
        raise DataRefused(
            f"{validation.rejected_rows} of {validation.total_rows} rows "
            f"({validation.rejected_share:.1%}) break the contract, more than the allowed "
            f"{max_reject_share:.1%}; see the rejects file"
        )
    present = set(validation.valid[LABEL_COLUMN].unique())
    missing = {0, 1} - present
    if missing:
        names = {0: "not urgent (0)", 1: "urgent (1)"}
        raise DataRefused(
            f"class {', '.join(names[c] for c in sorted(missing))} is absent from the valid rows"
        )
