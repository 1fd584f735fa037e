"""Remove credentials from any text shown or logged: URIs, exception messages, log lines.

`MLFLOW_TRACKING_URI` (and a `MODEL_URI` such as a presigned or basic-auth URL) may carry a
password or a token, and MLflow, urllib3 and the database drivers repeat URIs in their error
messages. Everything the service shows to a caller (`/ready`, `/metadata`, 503 details) or
writes to a log, and every error line and store line of the command-line tools, passes through
`redact`, so no credential reaches an unauthenticated endpoint, a terminal or a log sink.

It lives in `contracts/` (standard library only here) because both sides need the one definition
and neither image holds the other: the serving image ships `serving/` without the training code,
the batch and Airflow images ship `mlflow_project/` without `serving/`. Each image copies
`contracts/` too.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://USERINFO@host  (http, https, postgresql+psycopg2, mysql, databricks, ...): the whole
# userinfo goes, a user name may itself be a token. Greedy up to the last "@" of the authority,
# so an unencoded "@" inside a password does not leave its tail behind.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s@]*(?:@[^/?#\s@]*)*@")
# name=value in query strings and key=value connection strings (libpq DSNs, JDBC, signed URLs)
_SECRET_PARAM = re.compile(
    r"(?i)(?P<name>\b(?:password|passwd|pwd|pass|token|access[_-]?token|refresh[_-]?token|"
    r"id[_-]?token|api[_-]?key|apikey|secret|client[_-]?secret|sig|signature|"
    r"x-goog-signature|x-goog-credential|x-amz-signature|x-amz-credential|"
    r"x-amz-security-token|auth|authorization)=)(?P<value>[^&;\s'\"]+)")
# Authorization header values that made their way into a message
_AUTH_HEADER = re.compile(r"(?i)(?P<scheme>\b(?:basic|bearer|token)\s+)[A-Za-z0-9._~+/=-]{8,}")


def redact(text: str) -> str:
    """`text` with every credential masked: URI userinfo, secret query/DSN parameters, and
    Authorization values. Safe on any string (a URI, an exception message, a log line)."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m['name']}{MASK}", text)
    return _AUTH_HEADER.sub(lambda m: f"{m['scheme']}{MASK}", text)
