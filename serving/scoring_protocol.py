"""MLflow's scoring protocol on `POST /invocations`: `mlflow models serve` clients work unchanged.

The body holds exactly one of MLflow's pandas-style inputs: `dataframe_split` (`columns`, `data`
rows, optional `index`, as `DataFrame.to_dict(orient="split")` gives), `dataframe_records` (a list
of row objects) or `instances` (the same list). Every row is validated as the ticket of `/predict`
(same fields and rules; a `dataframe_split` row becomes the object of its column names), at most
MAX_BATCH_SIZE rows. The answer is MLflow's shape, `{"predictions": [{"urgency_probability": p,
"urgent": 0|1}, ...]}` (the model's output columns, one record per row, in order), with this
service's attribution fields beside it, as MLflow allows metadata beside `predictions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from serving.predictions import PredictionBody
from serving.schemas import TICKET_FIELDS, ModelFields, RequestModels, TicketBase

INPUT_FORMATS = ("dataframe_split", "dataframe_records", "instances")
SPLIT_FIELDS = ("columns", "data", "index")


def _rows_as_objects(value: object) -> object:
    """`dataframe_split` -> `{"data": [row object, ...]}`, so each row is validated as a ticket
    (a malformed split is refused here, naming the rule)."""
    if not isinstance(value, dict):
        return value  # pydantic: must be a JSON object
    unexpected = sorted(set(value) - set(SPLIT_FIELDS))
    if unexpected:
        raise PydanticCustomError("split_field", "unexpected field {name}; allowed: {allowed}",
                                  {"name": unexpected[0], "allowed": ", ".join(SPLIT_FIELDS)})
    columns, data = value.get("columns"), value.get("data")
    if (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)
            or len(set(columns)) != len(columns)):
        raise PydanticCustomError("split_columns",
                                  "columns must be an array of distinct column names")
    if not isinstance(data, list) or not all(isinstance(row, list) and len(row) == len(columns)
                                             for row in data):
        raise PydanticCustomError("split_data", "data must be an array of rows, each an array "
                                  "of one value per column")
    return {"data": [dict(zip(columns, row, strict=True)) for row in data]}


class InvocationsBase(BaseModel):
    """What the route needs of an `/invocations` body: its rows as tickets."""

    def tickets(self) -> list[TicketBase]:
        """The rows as validated tickets, in order."""
        raise NotImplementedError


def invocations_model(models: RequestModels) -> type[InvocationsBase]:
    """The `/invocations` body model for these request models (their ticket, their batch size)."""
    ticket, size = models.ticket, models.limits.max_batch_size

    class DataframeSplit(BaseModel):
        """Rows (converted to ticket objects by `_rows_as_objects`)."""

        model_config = ConfigDict(extra="forbid", frozen=True)

        data: list[ticket] = Field(min_length=1, max_length=size)  # type: ignore[valid-type]

    split_schema = {
        "type": "object", "required": ["columns", "data"], "additionalProperties": False,
        "description": "pandas' split orient: column names, then rows of values in that order; "
                       "each row must make a valid ticket",
        "properties": {
            "columns": {"type": "array", "uniqueItems": True,
                        "items": {"type": "string", "enum": list(TICKET_FIELDS)}},
            "data": {"type": "array", "minItems": 1, "maxItems": size,
                     "items": {"type": "array"}},
            "index": {"type": "array"}}}

    class InvocationsRequest(InvocationsBase):
        """MLflow's scoring protocol: exactly one of dataframe_split, dataframe_records,
        instances."""

        model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={
            "oneOf": [{"required": [name]} for name in INPUT_FORMATS]})

        # Absent means None, but an explicit null is refused (so "exactly one" is exact): the
        # types are not Optional, and None is only ever the default.
        dataframe_split: Annotated[DataframeSplit, BeforeValidator(_rows_as_objects),
                                   WithJsonSchema(split_schema, mode="validation")] = Field(
            default=None)  # type: ignore[assignment]
        dataframe_records: list[ticket] = Field(  # type: ignore[valid-type]
            default=None, min_length=1, max_length=size)  # type: ignore[arg-type]
        instances: list[ticket] = Field(  # type: ignore[valid-type]
            default=None, min_length=1, max_length=size)  # type: ignore[arg-type]

        @model_validator(mode="after")
        def _exactly_one(self) -> InvocationsRequest:
            given = [name for name in INPUT_FORMATS if getattr(self, name) is not None]
            if len(given) != 1:
                raise PydanticCustomError("input_format", "exactly one of {formats} is needed",
                                          {"formats": ", ".join(INPUT_FORMATS)})
            return self

        def tickets(self) -> list[TicketBase]:
            """The rows as validated tickets, in order."""
            if self.dataframe_split is not None:
                return list(self.dataframe_split.data)
            return list(self.dataframe_records or self.instances or ())

    return InvocationsRequest


class ModelOutput(BaseModel):
    """One row of the model's output, as `mlflow models serve` returns it."""

    urgency_probability: float = Field(ge=0.0, le=1.0)
    urgent: int = Field(ge=0, le=1, description="1 when urgency_probability >= threshold")


class InvocationsResponse(ModelFields):
    """Response of `POST /invocations`: MLflow's `predictions`, plus attribution."""

    predictions: list[ModelOutput]


def model_outputs(predictions: Sequence[PredictionBody]) -> list[dict[str, Any]]:
    """The predictions as MLflow's output records (`ModelOutput`)."""
    return [{"urgency_probability": p["urgency_probability"], "urgent": int(p["urgent"])}
            for p in predictions]
