"""The service's own log lines as one JSON object each, the format Cloud Logging parses.

`severity`, `time` and, for a line written while serving a traced request, the trace fields are
the structured-logging fields Cloud Logging lifts into the entry (`contracts.cloud_logging`), so
an error shows under its request in Logs Explorer; `message` is the entry's summary;
`stack_trace` carries a traceback on the same line, so an error is one log entry (and Error
Reporting picks it up). Every other field is passed through `contracts.redaction.redact`, so no
log line carries a credential, whatever logged it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import g, has_request_context

from contracts.cloud_logging import SEVERITY, TIME, log_time
from contracts.redaction import redact

LOGGER = "serving"
EXTRA_FIELDS = ("model_uri",)


class JsonFormatter(logging.Formatter):
    """severity, time, the request's trace, logger, message (+ stack_trace and known extra
    fields), credentials masked."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line per record."""
        entry: dict[str, object] = {
            SEVERITY: record.levelname,
            TIME: log_time(datetime.fromtimestamp(record.created, UTC)),
            **request_trace_fields(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update({k: redact(str(getattr(record, k))) for k in EXTRA_FIELDS
                      if hasattr(record, k)})
        if record.exc_info:
            entry["stack_trace"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def request_trace_fields() -> dict[str, object]:
    """The trace fields of the request being served (`serving.request_hooks`), if any: built
    from checked headers only, so they need no masking."""
    if not has_request_context():
        return {}
    fields: dict[str, object] = g.get("trace_fields", {})
    return fields


def configure(level: str) -> None:
    """Send the `serving` loggers to stderr as JSON lines at `level` (idempotent)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level.upper())
    logger.propagate = False
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
