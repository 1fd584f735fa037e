"""JSON error answers: every 4xx/5xx body is an `ErrorResponse`, never an HTML page or a trace."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from flask import Flask, Response, current_app, g
from werkzeug.exceptions import HTTPException

from serving.schemas import ErrorDetail, ErrorResponse

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success, raised anywhere in a request and rendered as JSON."""

    def __init__(self, status: int, error: str, details: Iterable[ErrorDetail] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = list(details)
        self.headers = dict(headers or {})


def error_response(error: ApiError) -> Response:
    """Render an `ApiError` (the request id is added when the request has one)."""
    body = ErrorResponse(error=error.error, details=error.details,
                         request_id=g.get("request_id"))
    return Response(body.model_dump_json(), error.status, headers=error.headers,
                    mimetype="application/json")


def http_error(exc: HTTPException) -> Response:
    """Werkzeug's own errors (404, 405, 413, ...) as JSON, keeping the `Allow` header of a 405."""
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k == "Allow"}
    return error_response(ApiError(status, (exc.name or "error").lower(),
                                   _http_details(status, exc), headers))


def _http_details(status: int, exc: HTTPException) -> list[ErrorDetail]:
    if status == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return [ErrorDetail(field="body", rule=f"at most {limit} bytes")]
    if status == 404:
        return [ErrorDetail(field="path", rule="no such endpoint; see /openapi.json")]
    if status == 405:
        return [ErrorDetail(field="method", rule="not allowed here; see the Allow header")]
    return [ErrorDetail(field="request", rule=exc.description or exc.name or "invalid request")]


def unexpected_error(exc: Exception) -> Response:
    """A bug: log it with its trace, answer 500 with the request id to find that log line."""
    log.exception("unhandled error: %s", exc)
    return error_response(ApiError(500, "internal error"))


def register(app: Flask) -> None:
    """Install the JSON error handlers on `app`."""
    app.register_error_handler(ApiError, error_response)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
