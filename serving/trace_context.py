"""The incoming request's trace, from its headers, for the log lines written while serving it.

Cloud Run's front end gives every request a trace: the W3C `traceparent` header
(`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`) and Google's older
`X-Cloud-Trace-Context` (`<32 hex trace id>/<decimal span id>;o=<0|1>`). A line that carries the
trace (`contracts.cloud_logging.trace_fields`) appears under the request in Logs Explorer and in
Cloud Trace. `traceparent` is read first, as the google-cloud-logging library does.

Headers come from the caller, so both are checked strictly (lengths, hex digits, non-zero ids,
W3C version 00 only): a malformed header is ignored (the line just has no trace), never an
error answer and never copied into a log. Its own module, free of Flask, like `request_ids`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from contracts.cloud_logging import trace_fields

TRACEPARENT_HEADER = "traceparent"
CLOUD_TRACE_HEADER = "X-Cloud-Trace-Context"
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})/([0-9]{1,20})(?:;o=([01]))?")
_MAX_SPAN = 2**64


class Headers(Protocol):
    """What is read of a request's headers (Werkzeug's `Headers`, or a dict in tests)."""

    def get(self, key: str, /) -> str | None:
        """The header's value, None when absent."""


@dataclass(frozen=True)
class TraceContext:
    """A request's trace id (32 lowercase hex digits), span id (16) and sampling decision."""

    trace_id: str
    span_id: str
    sampled: bool


def parse_traceparent(value: str) -> TraceContext | None:
    """The trace of a W3C `traceparent` header, else None (malformed, all-zero ids, or a
    version other than 00, whose layout is not known)."""
    match = _TRACEPARENT.fullmatch(value.strip())
    if match is None:
        return None
    trace_id, span_id, flags = match.groups()
    if int(trace_id, 16) == 0 or int(span_id, 16) == 0:
        return None
    return TraceContext(trace_id, span_id, bool(int(flags, 16) & 1))


def parse_cloud_trace(value: str) -> TraceContext | None:
    """The trace of an `X-Cloud-Trace-Context` header (`TRACE_ID/SPAN_ID;o=1`, the span id a
    decimal 64-bit number, turned into 16 hex digits), else None."""
    match = _CLOUD_TRACE.fullmatch(value.strip())
    if match is None:
        return None
    trace_id, span, option = match.groups()
    span_number = int(span)
    if int(trace_id, 16) == 0 or not 0 < span_number < _MAX_SPAN:
        return None
    return TraceContext(trace_id.lower(), f"{span_number:016x}", option == "1")


def incoming_trace(headers: Headers) -> TraceContext | None:
    """The request's trace: a valid `traceparent`, else a valid `X-Cloud-Trace-Context`, else
    None."""
    for header, parse in ((TRACEPARENT_HEADER, parse_traceparent),
                          (CLOUD_TRACE_HEADER, parse_cloud_trace)):
        value = headers.get(header)
        if value:
            trace = parse(value)
            if trace is not None:
                return trace
    return None


def trace_log_fields(headers: Headers, project: str | None) -> dict[str, object]:
    """The trace fields for the request's log lines; empty without a valid trace header or
    without the Google Cloud project (the trace's resource name needs it: no field beats a
    wrong one)."""
    if project is None:
        return {}
    trace = incoming_trace(headers)
    if trace is None:
        return {}
    return trace_fields(project, trace.trace_id, trace.span_id, trace.sampled)
