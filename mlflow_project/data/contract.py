"""The ticket data contract: canonical columns, allowed values, and row validation.

Every data source (CSV/Parquet files, the Endava adapter, the synthetic generator) is mapped onto
this contract before training. Validation never drops a row silently: each broken row comes back in
the rejects table with its row number, the column and the rule it broke.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlflow_project.model.inputs import SOURCE_VALUES, TIER_VALUES, UNKNOWN, category_value

# The allowed values live with the model's inference code (bundled into every logged model, which
# cannot import this module); the contract adopts them so there is one definition.
SOURCES: tuple[str, ...] = SOURCE_VALUES
CUSTOMER_TIERS: tuple[str, ...] = TIER_VALUES

TEXT_COLUMNS: tuple[str, ...] = ("title", "description")
CATEGORICAL_COLUMNS: tuple[str, ...] = ("source", "customer_tier")
FEATURE_COLUMNS: tuple[str, ...] = TEXT_COLUMNS + CATEGORICAL_COLUMNS
LABEL_COLUMN = "urgent"
REQUIRED_COLUMNS: tuple[str, ...] = (*FEATURE_COLUMNS, LABEL_COLUMN)
OPTIONAL_COLUMNS: tuple[str, ...] = ("ticket_id", "created_at", "slice")
CONTRACT_COLUMNS: tuple[str, ...] = ("ticket_id", *REQUIRED_COLUMNS, "created_at", "slice")

MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 20_000

REJECT_COLUMNS: tuple[str, ...] = ("row_number", "column", "rule", "value")


class ContractError(ValueError):
    """The data cannot be checked against the contract at all (a required column is missing)."""


@dataclass(frozen=True)
class ValidationResult:
    """Rows that honour the contract (normalised) and one reject line per broken rule."""

    valid: pd.DataFrame
    rejects: pd.DataFrame
    total_rows: int

    @property
    def rejected_rows(self) -> int:
        """Number of distinct input rows that broke at least one rule."""
        return int(self.rejects["row_number"].nunique()) if len(self.rejects) else 0

    @property
    def rejected_share(self) -> float:
        """Share of input rows rejected; 0.0 for empty input."""
        return self.rejected_rows / self.total_rows if self.total_rows else 0.0


def validate_tickets(raw: pd.DataFrame) -> ValidationResult:
    """Check every row against the contract; return the normalised valid rows and the rejects.

    Row numbers are 1-based data rows (the header is not counted), so they match what a person sees
    when opening the file in a spreadsheet, less the header line. Columns outside the contract are
    dropped. Text is stripped; `source` and `customer_tier` are lower-cased, and a missing value
    becomes "unknown" (the contract's explicit value for it).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise ContractError(
            f"missing required column(s): {', '.join(missing)}; "
            f"the contract needs {', '.join(REQUIRED_COLUMNS)}"
        )
    frame = raw.reset_index(drop=True)
    normalised = _normalise(frame)
    row_numbers = np.arange(1, len(frame) + 1, dtype=np.int64)
    title, description = normalised["title"], normalised["description"]
    problems = [
        _rule(title, row_numbers, "title,description", "title or description must be non-empty",
              (title == "") & (description == "")),
        _rule(title, row_numbers, "title", f"at most {MAX_TITLE_CHARS} characters",
              _lengths(title) > MAX_TITLE_CHARS),
        _rule(description, row_numbers, "description",
              f"at most {MAX_DESCRIPTION_CHARS} characters",
              _lengths(description) > MAX_DESCRIPTION_CHARS),
        _rule(frame["source"], row_numbers, "source", f"must be one of {', '.join(SOURCES)}",
              ~normalised["source"].isin(SOURCES)),
        _rule(frame["customer_tier"], row_numbers, "customer_tier",
              f"must be one of {', '.join(CUSTOMER_TIERS)}",
              ~normalised["customer_tier"].isin(CUSTOMER_TIERS)),
        _rule(frame[LABEL_COLUMN], row_numbers, LABEL_COLUMN, "must be 0 or 1",
              normalised[LABEL_COLUMN].isna()),
    ]
    if "created_at" in frame.columns:
        given = frame["created_at"].notna() & (frame["created_at"].astype(str).str.strip() != "")
        problems.append(_rule(frame["created_at"], row_numbers, "created_at",
                              "must be an ISO-8601 timestamp",
                              given & normalised["created_at"].isna()))
    if "ticket_id" in frame.columns:
        ids = normalised["ticket_id"]
        problems.append(_rule(frame["ticket_id"], row_numbers, "ticket_id", "must be unique",
                              ids.notna() & ids.duplicated(keep="first")))
    found = [p for p in problems if p is not None]
    if found:
        rejects = pd.concat(found, ignore_index=True).sort_values(
            ["row_number", "column"], kind="stable").reset_index(drop=True)
        keep = ~np.isin(row_numbers, rejects["row_number"].to_numpy())
        normalised = normalised.loc[keep].reset_index(drop=True)
    else:  # the usual case: every row is kept as it is, no copy
        rejects = _empty_rejects()
    normalised[LABEL_COLUMN] = normalised[LABEL_COLUMN].astype("int64")
    return ValidationResult(valid=normalised, rejects=rejects, total_rows=len(frame))


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    out: dict[str, pd.Series | np.ndarray] = {}
    if "ticket_id" in frame.columns:
        ids = frame["ticket_id"].astype("string").str.strip()
        out["ticket_id"] = ids.mask(ids == "")
    for column in TEXT_COLUMNS:
        out[column] = frame[column].fillna("").astype(str).str.strip()
    out["source"] = _categories(frame["source"])
    out["customer_tier"] = _categories(frame["customer_tier"])
    out[LABEL_COLUMN] = _parse_label(frame[LABEL_COLUMN])
    if "created_at" in frame.columns:
        out["created_at"] = pd.to_datetime(frame["created_at"], errors="coerce", utc=True,
                                           format="ISO8601")
    if "slice" in frame.columns:
        out["slice"] = frame["slice"].fillna(UNKNOWN).astype(str)
    return pd.DataFrame(out, index=frame.index)


def _categories(values: pd.Series) -> np.ndarray:
    """`category_value` of each value, computed once per distinct value (a categorical column
    holds a handful of them, and this runs on every row of every batch); missing is "unknown"."""
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # unhashable values (a list): one by one, to be rejected as any other
        return np.array([category_value(value) for value in values], dtype=object)
    normalised = [category_value(value) for value in distinct]
    return np.array([*normalised, UNKNOWN], dtype=object)[codes]  # code -1: a missing value


def _parse_label(values: pd.Series) -> pd.Series:
    """Map 0/1 (as numbers or strings such as "1" or "1.0") to Int64; anything else to NA."""
    numeric = pd.to_numeric(values, errors="coerce")
    return numeric.where(numeric.isin([0, 1])).astype("Int64")


def _rule(values: pd.Series, row_numbers: np.ndarray, column: str, rule: str,
          broken: pd.Series | np.ndarray) -> pd.DataFrame | None:
    """Reject lines for the rows where `broken` holds (a missing value: it does not), quoting
    the offending value; None when no row breaks the rule."""
    mask = (broken.to_numpy(dtype=bool, na_value=False) if isinstance(broken, pd.Series)
            else np.asarray(broken, dtype=bool))
    if not mask.any():
        return None
    return pd.DataFrame({
        "row_number": row_numbers[mask],
        "column": column,
        "rule": rule,
        "value": values[mask].astype(str).str.slice(0, 80).to_numpy(),
    })


def _lengths(texts: pd.Series) -> np.ndarray:
    """Characters in each text of a column of `str` (as `Series.str.len`, without its NA
    handling: normalised text is never missing)."""
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
