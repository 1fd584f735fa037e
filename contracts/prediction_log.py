"""The prediction-log record: the contract between serving and everything that reads its logs.

Serving writes one record per scored ticket (one JSON object per line, to stdout for Cloud Logging
or to a JSONL file); monitoring, the A/B analysis and the traffic simulation read or write the
same record through this module. A reader validates each line with `PredictionRecord`, ignores
fields it does not know (serving may add some) and refuses a `record_version` it does not know.
The fields are documented in `serving/README.md`.

Version 2 is a structured log line Cloud Logging understands (`contracts.cloud_logging`):
`severity` INFO, the prediction's moment as `time` (version 1 called it `timestamp`, which Cloud
Logging leaves in the payload), the request's trace when one came in, and the model version and
variant as the entry's `labels` too. Cloud Logging lifts those out of the payload, so in a sink's
export or table the record's time is the entry's `timestamp`
(`mlflow_project.monitoring.sources.log_entries` puts it back). The record keeps every field
monitoring reads in the payload itself (`model_version` and `variant` included), so the labels
are for Logging's own filters and never needed to read a record. Readers accept versions 1 and 2:
older logs stay monitorable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from contracts.cloud_logging import LABELS, SEVERITY, TIME, labels_field

RECORD_VERSION = 2
SEVERITY_INFO = "INFO"
FEATURE_FIELDS: tuple[str, ...] = ("title", "description", "source", "customer_tier")


class LoggedFeatures(BaseModel):
    """The four model inputs as serving logged them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str | None
    description: str | None
    source: str | None
    customer_tier: str | None


class PredictionRecord(BaseModel):
    """One prediction-log line (record_version 1 or 2), as every reader validates it.

    `timestamp` is the prediction's moment: the record's `time` (version 2; in an export, the
    entry's timestamp put back) or `timestamp` (version 1)."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True,
                              protected_namespaces=())

    record_version: Literal[1, 2]
    timestamp: AwareDatetime = Field(validation_alias=AliasChoices(TIME, "timestamp"))
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


def prediction_record(*, time: str, request_id: str, ticket_id: str | None,
                      model_name: str | None, model_version: str | None, variant: str | None,
                      endpoint: str, features: Mapping[str, object], urgency_probability: float,
                      urgent: bool, threshold: float, latency_ms: float,
                      trace: Mapping[str, object] | None = None) -> dict[str, object]:
    """One record (the current version) as a plain dict, ready to serialise (writers build no
    pydantic model per prediction: it would cost serving ~10 us a request).

    `time` is `contracts.cloud_logging.log_time`'s RFC 3339 string; `trace` the request's
    `contracts.cloud_logging.trace_fields`, when it had a trace and the project is known.
    """
    return {
        "record_version": RECORD_VERSION,
        SEVERITY: SEVERITY_INFO,
        TIME: time,
        **(trace or {}),
        LABELS: labels_field({"model_version": model_version, "variant": variant}),
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
