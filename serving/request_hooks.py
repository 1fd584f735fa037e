"""Per-request bookkeeping: the request id (honoured or generated, echoed) and HTTP metrics."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from serving.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED = "unmatched"


def request_id(incoming: str | None) -> str:
    """The caller's id when it is safe to echo and log, else a fresh random one."""
    if incoming and SAFE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def install(app: Flask, metrics: Metrics) -> None:
    """Start each request's clock and id; on the way out echo the id and record metrics."""
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

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.request_id
        rule = request.url_rule
        count, latency = observers(rule.rule if rule else UNMATCHED, request.method,
                                   response.status_code)
        count.inc()
        latency.observe(time.perf_counter() - g.started)
        return response
