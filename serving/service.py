"""The state one app instance serves from, and the checks every prediction request passes.

Order of the checks on `/predict*`: API key (401), model loaded (503), JSON content type (415),
body size (413: a declared length by Flask's MAX_CONTENT_LENGTH, a chunked body by `read_body`
while reading; under gunicorn `serving.worker` refuses both before the app runs), body rules
(400 for duplicate keys, then 400/413/422).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Request, g
from prometheus_client.metrics import MetricWrapperBase
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from serving.auth import API_KEY_HEADER, CHALLENGE, KeyChecker
from serving.errors import ApiError
from serving.json_keys import duplicate_key
from serving.metrics import LABELS, Metrics
from serving.model_loader import LoadedModel, ModelHolder
from serving.prediction_log import PredictionLog
from serving.predictions import PredictionBody, log_records
from serving.schemas import ErrorDetail, RequestModels, TicketBase, rejection
from serving.scoring_protocol import InvocationsBase
from serving.settings import ServingSettings

JSON_MIMETYPE = "application/json"
EXPLAIN_VALUES = {"true": True, "false": False}
Body = TypeVar("Body", bound=BaseModel)


@dataclass
class Service:
    """Settings, the model holder, request models (`/invocations` too), metrics, the prediction
    log and the docs."""

    settings: ServingSettings
    holder: ModelHolder
    models: RequestModels
    invocations: type[InvocationsBase]
    metrics: Metrics
    prediction_log: PredictionLog
    keys: KeyChecker
    openapi: dict[str, Any]
    docs_html: str
    _metric_children: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = field(
        default_factory=dict)

    def admit(self, request: Request) -> LoadedModel:
        """Authorise the request and return the model to use, or raise the 401/503/415."""
        if self.keys.enabled:
            problem = self.keys.problem(request.headers.get("Authorization"),
                                         request.headers.get(API_KEY_HEADER))
            if problem:
                raise ApiError(401, "unauthorized", [ErrorDetail(field="Authorization",
                                                                 rule=problem)],
                               {"WWW-Authenticate": CHALLENGE})
        loaded = self.holder.current
        if loaded is None:
            raise ApiError(503, "model not loaded", [ErrorDetail(field="model",
                                                                 rule=self.holder.reason)],
                           {"Retry-After": str(max(1, round(self.settings.model_retry_seconds)))})
        if request.mimetype != JSON_MIMETYPE:
            raise ApiError(415, "unsupported media type", [ErrorDetail(
                field="Content-Type", rule=f"must be {JSON_MIMETYPE}")])
        return loaded

    def parse(self, request: Request, model: type[Body]) -> Body:
        """Validate the JSON body against `model`, or raise the API's 400/413/422 (a 400 for a
        key repeated in one object: pydantic would silently keep the last value)."""
        body = read_body(request, self.settings.max_body_bytes)
        key = duplicate_key(body)
        if key is not None:
            raise ApiError(400, "duplicate key", [ErrorDetail(
                field=key, rule="a key may appear only once in each JSON object")])
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            refused = rejection(exc, tuple(model.model_fields))
            raise ApiError(refused.status, refused.error, refused.details) from None

    def record(self, loaded: LoadedModel, tickets: Sequence[TicketBase],
               predictions: Sequence[PredictionBody], endpoint: str) -> None:
        """Count the predictions and queue their prediction-log records."""
        version, variant = loaded.identity.version or "", self.settings.variant
        scores = self._child(self.metrics.scores, version, variant)
        for prediction in predictions:
            label = LABELS[prediction["urgent"]]
            self._child(self.metrics.predictions, label, version, variant).inc()
            scores.observe(prediction["urgency_probability"])
        if self.prediction_log.enabled:
            for entry in log_records(loaded, tickets, predictions, request_id=g.request_id,
                                     variant=self.settings.variant, endpoint=endpoint,
                                     latency_seconds=time.perf_counter() - g.started,
                                     trace=g.trace_fields):
                self.prediction_log.write(entry)

    def _child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        """A labelled metric child, created once (`labels()` costs more than a dict lookup)."""
        key = (metric, labels)
        child = self._metric_children.get(key)
        if child is None:
            child = self._metric_children[key] = metric.labels(*labels)
        return child


def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most `limit` bytes, or the 413; 400 when it cannot be read.

    A declared Content-Length is checked by werkzeug before reading. A chunked body has none:
    werkzeug would silently cut it at the limit (a padded body then parses), so it is read from
    the server's own stream up to one byte past the limit instead. Broken chunked framing or a
    client gone mid-body surfaces as an exception of the server's stream: a 400, not a 500.
    """
    environ = request.environ
    chunked = request.content_length is None and environ.get("wsgi.input_terminated")
    try:
        body = environ["wsgi.input"].read(limit + 1) if chunked else request.get_data(cache=False)
    except HTTPException:
        raise
    except Exception as exc:  # the server's stream: gunicorn's chunk errors, OSError
        raise ApiError(400, "bad request", [ErrorDetail(
            field="body", rule=f"could not be read: {type(exc).__name__}")]) from None
    if len(body) > limit:
        raise ApiError(413, "request entity too large", [ErrorDetail(
            field="body", rule=f"at most {limit} bytes")])
    return body


def explain_flag(request: Request) -> bool:
    """The `explain` query parameter: absent, `true` or `false`."""
    if not request.query_string:  # the common case; skips parsing the query string
        return False
    value = request.args.get("explain")
    if value is None:
        return False
    if value not in EXPLAIN_VALUES:
        raise ApiError(422, "validation failed", [ErrorDetail(field="explain",
                                                              rule="must be true or false")])
    return EXPLAIN_VALUES[value]
