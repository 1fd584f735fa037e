"""The column types a typed (Parquet) ticket file may use for the contract's columns.

CSV is all text, but Parquet carries types, and pandas turns anything into text when a column is
cast with `astype(str)`: a list, a struct or raw bytes in `title` would become
"['a', 'b']" or "b'...'" and be trained on or scored without a word. So the Arrow schema is
checked before any row is: a contract column of a type it cannot hold refuses the whole file,
naming the column, its type and the rule. Columns outside the contract are not judged.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from mlflow_project.data.contract import ContractError

Kind = tuple[str, Callable[[pa.DataType], bool]]


def _is_text(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        return _is_text(data_type.value_type)
    return (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
            or pa.types.is_string_view(data_type))


def _is_number(data_type: pa.DataType) -> bool:
    return (pa.types.is_integer(data_type) or pa.types.is_floating(data_type)
            or pa.types.is_decimal(data_type))


TEXT: Kind = ("text", _is_text)
INTEGER: Kind = ("integer", pa.types.is_integer)
NUMBER: Kind = ("number", _is_number)
BOOLEAN: Kind = ("boolean", pa.types.is_boolean)
TIMESTAMP: Kind = ("timestamp or date",
                   lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t))

# What each contract column may hold; a column of nulls only (Arrow type null) is always allowed,
# its rows are judged by the contract's row rules.
ALLOWED_KINDS: dict[str, tuple[Kind, ...]] = {
    "ticket_id": (TEXT, INTEGER),
    "title": (TEXT,),
    "description": (TEXT,),
    "source": (TEXT,),
    "customer_tier": (TEXT,),
    "urgent": (INTEGER, BOOLEAN, NUMBER, TEXT),
    "created_at": (TIMESTAMP, TEXT),
    "slice": (TEXT, INTEGER, BOOLEAN),
}


def check_column_types(schema: pa.Schema, uri: str) -> None:
    """Refuse a typed file whose contract columns hold types the contract cannot use.

    Raises `ContractError` naming the file, the first offending column, its type and the kinds
    that column may hold (for example a `list<string>` title, or `binary` ticket ids).
    """
    for field in schema:
        kinds = ALLOWED_KINDS.get(field.name)
        if kinds is None or pa.types.is_null(field.type):
            continue
        if not any(accepts(field.type) for _, accepts in kinds):
            allowed = " or ".join(name for name, _ in kinds)
            raise ContractError(
                f"{uri}: column {field.name!r} has type {field.type}; the contract needs "
                f"{field.name} to be {allowed} (lists, structs, maps and binary are refused, "
                "never cast to text)"
            )
