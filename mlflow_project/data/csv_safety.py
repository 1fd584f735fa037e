"""Neutralise spreadsheet formulas in CSV files meant for people (CSV/formula injection).

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a
leading tab or carriage return can smuggle one past a check), so a ticket id such as
`=HYPERLINK("http://x","y")` copied from the input into a predictions or rejects CSV becomes a
live link, or worse, on the reader's machine. The OWASP rule is applied: such a text value gets a
single quote in front, which spreadsheets show as text. Only text cells change; numbers stay
numbers. Use it for CSV outputs only: Parquet keeps values exact, and a data file meant to be read
back (`data.io.write_table`) must round-trip unchanged.
"""

from __future__ import annotations

import pandas as pd

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells that a spreadsheet would run as a formula start with `'`.

    Text cells are those of object or string columns that hold a `str`; missing values, numbers
    and other columns are returned unchanged, and so is `frame` itself.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = values.map(_neutralise_cell, na_action="ignore")
    return out


def _neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value
