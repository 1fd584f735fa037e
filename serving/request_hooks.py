"""Per-request bookkeeping: the request id (honoured or generated, echoed), the trace fields of
the request's log lines (`serving.trace_context`) and HTTP metrics.

Metric labels come from closed sets only, so a caller cannot mint time series: the method is
one of HTTP's standard methods or `other`, the endpoint is a route of the app's URL map or
`unmatched`.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, request

from serving.metrics import Metrics
from serving.request_ids import REQUEST_ID_HEADER, request_id
from serving.trace_context import trace_log_fields

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
                           "CONNECT"})


def method_label(method: str) -> str:
    """The `method` metric label: a standard HTTP method, else `other` (bounded series)."""
    return method if method in KNOWN_METHODS else OTHER_METHOD


def install(app: Flask, metrics: Metrics, project: str | None) -> None:
    """Start each request's clock, id and trace fields (`g.trace_fields`, for traces of
    `project`); on the way out echo the id and record metrics."""
    children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observers(endpoint: str, method: str, status: int) -> tuple[Any, Any]:
        key = (endpoint, method, status)
        if key not in children:  # labels() once per series, not per request
            children[key] = (metrics.requests.labels(endpoint, method, str(status)),
                             metrics.latency.labels(endpoint))
        return children[key]

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER))
        g.trace_fields = trace_log_fields(request.headers, project)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.request_id
        rule = request.url_rule
        count, latency = observers(rule.rule if rule else UNMATCHED,
                                   method_label(request.method), response.status_code)
        count.inc()
        latency.observe(time.perf_counter() - g.started)
        return response
