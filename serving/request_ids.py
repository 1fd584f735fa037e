"""Request ids: the caller's when safe to echo and log, else a fresh random one.

Its own module, free of Flask and Prometheus, because gunicorn's master imports the worker class
(`serving.worker`, which answers some requests itself) before `gunicorn.conf.py`'s `on_starting`
switches prometheus-client to multi-process mode: importing `serving.metrics` there would fix the
single-process mode for every worker.
"""

from __future__ import annotations

import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(incoming: str | None) -> str:
    """The caller's id when it is safe to echo and log, else a fresh random one."""
    if incoming and SAFE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex
