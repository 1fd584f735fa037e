"""The HTTP contract: request and response models, and how validation errors are reported.

The allowed `source` and `customer_tier` values are the ticket data contract's
(`tests/serving` asserts they equal `mlflow_project.data.contract`; serving imports no training
code). Request models are built per limits (`request_models`) because the length and batch limits
come from the environment; the OpenAPI document is generated from these same classes, so the
documented schema is the enforced one.

Rules, each reported with the field and the rule when broken:
- a ticket is a JSON object with `title`, `description`, `source`, `customer_tier` and an optional
  `ticket_id`; any other field is rejected (a typo such as `descripton` would otherwise score the
  ticket without its text);
- at least one of `title` and `description` holds a non-whitespace character; each is a string or
  null, at most the configured number of characters (as sent, whitespace included);
- `source` and `customer_tier` are contract values in any letter case; missing, null or "" means
  `unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

SOURCES: tuple[str, ...] = ("email", "phone", "web", "chat", "unknown")
CUSTOMER_TIERS: tuple[str, ...] = ("premium", "standard", "unknown")
UNKNOWN = "unknown"
FEATURES: tuple[str, ...] = ("title", "description", "source", "customer_tier")
TICKET_FIELDS: tuple[str, ...] = ("ticket_id", *FEATURES)
MAX_TICKET_ID_CHARS = 128
TITLE_OR_DESCRIPTION = "title,description"
LAST_WHITESPACE = 0x3000


def _whitespace_class() -> str:
    """A regex character class of exactly the characters Python's `str.isspace` accepts.

    "Non-empty" means "not only whitespace" as `str.strip` sees it; writing the class out keeps
    the documented JSON-Schema pattern identical to the check, whatever regex engine reads it.
    (No code point above U+3000 is whitespace; `tests/serving` checks the whole range.)
    """
    spaces = [c for c in range(LAST_WHITESPACE + 1) if chr(c).isspace()]
    runs: list[list[int]] = []
    for code in spaces:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(_escape(first) if first == last else f"{_escape(first)}-{_escape(last)}"
                   for first, last in runs)


def _escape(code: int) -> str:
    return f"\\u{code:04x}"


NON_BLANK_PATTERN = f"[^{_whitespace_class()}]"


def _any_case_pattern(values: tuple[str, ...]) -> str:
    """An ECMA-262 pattern for `values` in any ASCII letter case, or the empty string."""
    spelled = ["".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in value)
               for value in values]
    return f"^(?:{'|'.join(['', *spelled])})$"


def _category(allowed: tuple[str, ...], name: str) -> Callable[[object], str]:
    """Normaliser for a contract category: any case; missing, null or "" mean unknown."""
    rule = (f"must be one of {', '.join(allowed)} (any letter case; empty or null means "
            f"{UNKNOWN})")

    def normalise(value: object) -> str:
        if value is None or value == "":
            return UNKNOWN
        if not isinstance(value, str):
            raise PydanticCustomError(f"{name}_type", "must be a string or null")
        lowered = value.lower()
        if not value.isascii() or lowered not in allowed:
            raise PydanticCustomError(name, rule)
        return lowered

    normalise.__doc__ = f"Lower-case a {name}; reject anything but {', '.join(allowed)}."
    return normalise


def _category_schema(allowed: tuple[str, ...], description: str) -> dict[str, Any]:
    return {
        "anyOf": [{"type": "string", "pattern": _any_case_pattern(allowed)}, {"type": "null"}],
        "default": UNKNOWN,
        "description": f"{description}: one of {', '.join(allowed)}, in any letter case; "
                       f"missing, null or \"\" means {UNKNOWN}",
        "examples": [allowed[0]],
    }


Source = Annotated[str, BeforeValidator(_category(SOURCES, "source")),
                   WithJsonSchema(_category_schema(SOURCES, "channel the ticket came from"),
                                  mode="validation")]
CustomerTier = Annotated[str, BeforeValidator(_category(CUSTOMER_TIERS, "customer_tier")),
                         WithJsonSchema(_category_schema(CUSTOMER_TIERS, "customer's tier"),
                                        mode="validation")]


class TicketBase(BaseModel):
    """The fields and rules of one ticket; `request_models` adds the configured lengths."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={
        "anyOf": [
            {"required": [field], "properties": {field: {"type": "string",
                                                         "pattern": NON_BLANK_PATTERN}}}
            for field in ("title", "description")
        ],
    })

    ticket_id: str | None = Field(default=None, min_length=1, max_length=MAX_TICKET_ID_CHARS,
                                  description="your id for the ticket, echoed back and logged")
    title: str | None = None
    description: str | None = None
    source: Source = UNKNOWN
    customer_tier: CustomerTier = UNKNOWN

    @model_validator(mode="after")
    def _has_text(self) -> TicketBase:
        if not (self.title or "").strip() and not (self.description or "").strip():
            raise PydanticCustomError(
                "title_or_description", "at least one of title and description must be non-empty")
        return self

    def features(self) -> dict[str, object]:
        """The four model inputs, in the shape `predict_records` takes."""
        return {"title": self.title, "description": self.description, "source": self.source,
                "customer_tier": self.customer_tier}


class BatchBase(BaseModel):
    """A batch of tickets; `request_models` adds the configured batch size."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tickets: Sequence[TicketBase]


@dataclass(frozen=True)
class Limits:
    """Request limits from the settings; they shape both validation and the OpenAPI document."""

    max_title_chars: int
    max_description_chars: int
    max_batch_size: int


@dataclass(frozen=True)
class RequestModels:
    """The request body models for one set of limits."""

    ticket: type[TicketBase]
    batch: type[BatchBase]
    limits: Limits


def request_models(limits: Limits) -> RequestModels:
    """Build the `Ticket` and `BatchRequest` models enforcing `limits`."""

    class Ticket(TicketBase):
        """One support ticket to score."""

        title: str | None = Field(default=None, max_length=limits.max_title_chars,
                                  description="short summary; title or description is needed")
        description: str | None = Field(default=None, max_length=limits.max_description_chars,
                                        description="the ticket's body text")

    class BatchRequest(BatchBase):
        """Several tickets scored in one call."""

        tickets: list[Ticket] = Field(min_length=1, max_length=limits.max_batch_size)

    return RequestModels(ticket=Ticket, batch=BatchRequest, limits=limits)


class Term(BaseModel):
    """A term of the ticket and how much it raised the log-odds of "urgent"."""

    term: str
    weight: float


class Prediction(BaseModel):
    """The model's answer for one ticket."""

    ticket_id: str | None = Field(description="the ticket_id sent, if any")
    urgency_probability: float = Field(ge=0.0, le=1.0)
    urgent: bool = Field(description="urgency_probability >= threshold")
    explanation: list[Term] | None = Field(
        description="with explain=true: the terms that raised the score most, else null")


class ModelFields(BaseModel):
    """Which model answered: attribution for A/B splits and rollbacks."""

    request_id: str
    model_name: str | None
    model_version: str | None
    variant: str
    threshold: float


class PredictionResponse(ModelFields, Prediction):
    """Response of `POST /predict`."""


class BatchPredictionResponse(ModelFields):
    """Response of `POST /predict/batch`, predictions in request order."""

    predictions: list[Prediction]


class ErrorDetail(BaseModel):
    """One broken rule: where (`tickets[3].source`, `title`, `body`, a header) and which rule."""

    field: str
    rule: str


class ErrorResponse(BaseModel):
    """Body of every 4xx/5xx answer."""

    error: str
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str | None = None


class HealthResponse(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"]


class ReadyResponse(BaseModel):
    """Readiness: whether a model is loaded, and why not."""

    status: Literal["ready", "not ready"]
    model_version: str | None = None
    reason: str | None = None


class MetadataResponse(BaseModel):
    """What this server is serving, exactly."""

    model_name: str | None
    model_version: str | None
    run_id: str | None
    model_uri: str = Field(description="MODEL_URI as configured")
    alias: str | None = Field(description="the alias in MODEL_URI (or registry.json), if any")
    resolved_uri: str = Field(description="what was loaded: models:/NAME/VERSION or a path")
    source: Literal["registry", "registry.json", "uri"] = Field(
        description="where name and version came from")
    loaded_at: str = Field(description="ISO-8601 UTC time the model finished loading")
    load_seconds: float
    threshold: float
    variant: str
    input_schema: dict[str, Any]
    limits: dict[str, int]


@dataclass(frozen=True)
class Rejection:
    """Why a request body was refused: HTTP status, headline and the broken rules."""

    status: int
    error: str
    details: list[ErrorDetail]


def rejection(exc: ValidationError, body_fields: tuple[str, ...]) -> Rejection:
    """Turn a pydantic error into the API's answer: 400 bad JSON, 413 batch too big, else 422.

    `body_fields` are the fields allowed at the top of the body (a ticket's, or `tickets`).
    """
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        message = next(e["msg"] for e in errors if e["type"] == "json_invalid")
        return Rejection(400, "malformed JSON", [ErrorDetail(field="body", rule=message)])
    details = [ErrorDetail(field=field_path(e), rule=_rule(e, body_fields)) for e in errors]
    if any(e["type"] == "too_long" for e in errors):  # only a list of tickets has a maximum
        return Rejection(413, "too many tickets", details)
    return Rejection(422, "validation failed", details)


def field_path(error: Mapping[str, Any]) -> str:
    """`("tickets", 3, "source")` -> `tickets[3].source`; the whole body -> `body`."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
    if error["type"] == "title_or_description":
        path += f"{'.' if path else ''}{TITLE_OR_DESCRIPTION}"
    return path or "body"


def _rule(error: Mapping[str, Any], body_fields: tuple[str, ...]) -> str:
    """The rule a pydantic error stands for, in the API's words."""
    context = error.get("ctx") or {}
    match error["type"]:
        case "missing":
            return "required"
        case "extra_forbidden":
            allowed = TICKET_FIELDS if len(error["loc"]) > 1 else body_fields
            return f"unexpected field; allowed: {', '.join(allowed)}"
        case "string_type":
            return "must be a string or null"
        case "string_too_long":
            return f"at most {context['max_length']} characters"
        case "string_too_short":
            return "must not be empty"
        case "too_long":
            return f"at most {context['max_length']} tickets per request"
        case "too_short":
            return "at least one ticket"
        case "list_type":
            return "must be a JSON array of tickets"
        case "model_type" | "model_attributes_type" | "dict_type":
            return "must be a JSON object"
        case _:
            return str(error["msg"])
