"""The prediction-log record: the contract between serving and everything that reads its logs.

Serving writes one record per scored ticket (one JSON object per line, to stdout for Cloud Logging
or to a JSONL file); monitoring, the A/B analysis and the traffic simulation read or write the
same record through this module. A reader validates each line with `PredictionRecord`, ignores
fields it does not know (serving may add some) and refuses another `record_version`. The fields
are documented in `serving/README.md`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

RECORD_VERSION = 1
FEATURE_FIELDS: tuple[str, ...] = ("title", "description", "source", "customer_tier")


class LoggedFeatures(BaseModel):
    """The four model inputs as serving logged them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str | None
    description: str | None
    source: str | None
    customer_tier: str | None


class PredictionRecord(BaseModel):
    """One prediction-log line (record_version 1), as every reader validates it."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True,
                              protected_namespaces=())

    record_version: Literal[1]
    timestamp: AwareDatetime
    request_id: str
    ticket_id: str | None
    model_name: str | None
    model_version: str | None
    variant: str | None
    endpoint: str
    features: LoggedFeatures
    urgency_probability: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    urgent: bool
    threshold: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    latency_ms: float = Field(ge=0.0, allow_inf_nan=False)


def prediction_record(*, timestamp: str, request_id: str, ticket_id: str | None,
                      model_name: str | None, model_version: str | None, variant: str | None,
                      endpoint: str, features: Mapping[str, object], urgency_probability: float,
                      urgent: bool, threshold: float, latency_ms: float) -> dict[str, object]:
    """One record as a plain dict, ready to serialise (writers build no pydantic model per
    prediction: it would cost serving ~10 us a request). `timestamp` is ISO-8601 with a zone."""
    return {
        "record_version": RECORD_VERSION,
        "timestamp": timestamp,
        "request_id": request_id,
        "ticket_id": ticket_id,
        "model_name": model_name,
        "model_version": model_version,
        "variant": variant,
        "endpoint": endpoint,
        "features": dict(features),
        "urgency_probability": urgency_probability,
        "urgent": urgent,
        "threshold": threshold,
        "latency_ms": latency_ms,
    }
