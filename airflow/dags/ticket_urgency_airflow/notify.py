"""Notifications: a log line always, and a JSON POST to `TU_ALERT_WEBHOOK` when it is set.

Every message has `event` (e.g. `training.completed`, `training.failed`, `monitoring.alert`),
`dag_id`, `run_id`, a one-line human `text` (so Slack-style incoming webhooks show it as is) and
the event's details. The webhook URL usually carries a token: it is masked in task logs and only
its host is ever printed.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class WebhookError(RuntimeError):
    """The webhook did not accept the message (transient as far as Airflow is concerned)."""


def post_json(url: str, payload: Mapping[str, Any], timeout: float) -> int:
    """POST `payload` as JSON; return the HTTP status, raise `WebhookError` unless it is 2xx."""
    body = json.dumps(payload, default=str).encode()
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "ticket-urgency-airflow"})
    host = urlsplit(url).netloc or "?"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"webhook at {host} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"webhook at {host} unreachable: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"webhook at {host} answered HTTP {status}")
    return status


def send(message: Mapping[str, Any], webhook: str | None, timeout: float) -> bool:
    """Log the message; POST it when a webhook is configured. True when it was posted."""
    log.info("notification %s: %s", message.get("event"), message.get("text"))
    log.info("notification details: %s", json.dumps(message, default=str, sort_keys=True))
    if not webhook:
        log.info("TU_ALERT_WEBHOOK is not set: logged only")
        return False
    _mask(webhook)
    post_json(webhook, message, timeout)
    log.info("posted to the webhook at %s", urlsplit(webhook).netloc)
    return True


def message(event: str, text: str, context: Mapping[str, Any], **details: Any) -> dict[str, Any]:
    """A notification for this DAG run."""
    dag_run = context.get("dag_run")
    return {
        "event": event,
        "text": text,
        "dag_id": getattr(dag_run, "dag_id", None),
        "run_id": getattr(dag_run, "run_id", None),
        **details,
    }


def without_credentials(uri: str) -> str:
    """A URI fit for a message, `user:password@` removed (`postgresql://u:p@db/x` -> `//db/x`)."""
    return re.sub(r"//[^/@]*@", "//", uri)


def _mask(secret: str) -> None:
    """Keep the webhook URL (it holds a token) out of task logs."""
    try:
        from airflow.sdk.log import mask_secret

        mask_secret(secret, name="TU_ALERT_WEBHOOK")
    except Exception:  # masking is best effort outside a task
        log.debug("could not register the webhook URL with the secrets masker")
