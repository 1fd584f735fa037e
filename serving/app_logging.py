"""The service's own log lines as one JSON object each, the format Cloud Logging parses.

`severity` and `message` are the fields Cloud Logging reads; `stack_trace` carries a traceback on
the same line, so an error is one log entry (and Error Reporting picks it up). Every field is
passed through `contracts.redaction.redact`, so no log line carries a credential, whatever
logged it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from contracts.redaction import redact

LOGGER = "serving"
EXTRA_FIELDS = ("model_uri",)


class JsonFormatter(logging.Formatter):
    """severity, time, logger, message (+ stack_trace and known extra fields), credentials
    masked."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line per record."""
        entry: dict[str, object] = {
            "severity": record.levelname,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update({k: redact(str(getattr(record, k))) for k in EXTRA_FIELDS
                      if hasattr(record, k)})
        if record.exc_info:
            entry["stack_trace"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    """Send the `serving` loggers to stderr as JSON lines at `level` (idempotent)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level.upper())
    logger.propagate = False
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
