"""Google identity tokens for the IAM-only tracking server, as an MLflow request-header plugin.

The production tracking server (`make deploy-infra`) runs on Cloud Run with no public invoker:
every request must carry `Authorization: Bearer <Google identity token>` whose audience is the
server's URL, minted for an identity holding `roles/run.invoker`. MLflow adds to each REST call
the headers of every provider registered under the entry-point group
`mlflow.request_header_provider` (this package registers `GoogleIdTokenProvider` in
pyproject.toml), so every MLflow client of the project's environment (`mlflow run`, the CLIs,
Airflow's tasks, Cloud Build's bake step) authenticates the same way once
`TU_TRACKING_AUTH=google-id-token` is set. Unset (the default) it adds nothing.

The token comes from Application Default Credentials as Google's library mints identity tokens: a
service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`) or the metadata server (Cloud Build,
Cloud Run, GCE). A person with user credentials passes `MLFLOW_TRACKING_TOKEN=$(gcloud auth
print-identity-token)` instead. The token is reused until shortly before it expires (one hour).

MLflow imports this module when it starts, so google.auth is imported only when a header is
asked for.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from mlflow.tracking.request_header.abstract_request_header_provider import (
    RequestHeaderProvider,
)

AUTH_VARIABLE = "TU_TRACKING_AUTH"
GOOGLE_ID_TOKEN = "google-id-token"
CHOICES = ("", "none", GOOGLE_ID_TOKEN)

_credentials: dict[str, Any] = {}  # audience -> google.auth IDTokenCredentials, reused


def tracking_audience(tracking_uri: str) -> str:
    """The audience Cloud Run expects: the server's URL (`https://HOST`), without path or query."""
    parts = urlsplit(tracking_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{AUTH_VARIABLE}={GOOGLE_ID_TOKEN} needs MLFLOW_TRACKING_URI to be the "
                         f"tracking server's http(s) URL (got {tracking_uri!r})")
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def identity_token(audience: str) -> str:
    """A valid identity token for `audience`, minted again only when the last one is expiring."""
    import google.auth.transport.requests
    from google.oauth2 import id_token

    request = google.auth.transport.requests.Request()
    credentials = _credentials.get(audience)
    if credentials is None:
        credentials = id_token.fetch_id_token_credentials(audience, request=request)
        _credentials[audience] = credentials
    if not credentials.valid:
        credentials.refresh(request)
    return str(credentials.token)


class GoogleIdTokenProvider(RequestHeaderProvider):
    """`Authorization: Bearer <identity token>` on MLflow's requests, when TU_TRACKING_AUTH asks."""

    def in_context(self) -> bool:
        """True when `TU_TRACKING_AUTH=google-id-token`; an unknown value is an error MLflow
        reports as a warning before the request goes out without the header."""
        mode = os.environ.get(AUTH_VARIABLE, "").strip()
        if mode not in CHOICES:
            raise ValueError(f"{AUTH_VARIABLE}={mode!r}: expected {GOOGLE_ID_TOKEN} or unset")
        return mode == GOOGLE_ID_TOKEN

    def request_headers(self) -> dict[str, str]:
        """The bearer header for the tracking server named by MLFLOW_TRACKING_URI."""
        audience = tracking_audience(os.environ.get("MLFLOW_TRACKING_URI", ""))
        return {"Authorization": f"Bearer {identity_token(audience)}"}
