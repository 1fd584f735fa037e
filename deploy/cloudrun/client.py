"""Clients of the Cloud Run Admin API (v2), over REST.

REST rather than gRPC so that the same client talks to Google and to a plain HTTP fake of the API
(`CLOUD_RUN_API_ENDPOINT=http://127.0.0.1:PORT`, as the tests do). Against Google the
credentials are Application Default Credentials; an `http://` endpoint gets anonymous ones, so no
token ever leaves the machine unencrypted.
"""

from __future__ import annotations

from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import run_v2

from deploy.cloudrun.settings import CloudRunSettings


def services_client(settings: CloudRunSettings,
                    credentials: Credentials | None = None) -> run_v2.ServicesClient:
    """A client of the Services API (get, create and update a service; wait for its operations;
    its IAM policy), with `credentials` if given (else Application Default Credentials)."""
    arguments = _client_arguments(settings)
    return run_v2.ServicesClient(**({"credentials": credentials, **arguments} if credentials
                                    else arguments))


def revisions_client(settings: CloudRunSettings) -> run_v2.RevisionsClient:
    """A client of the Revisions API (list a service's revisions)."""
    return run_v2.RevisionsClient(**_client_arguments(settings))


def _client_arguments(settings: CloudRunSettings) -> dict[str, Any]:
    arguments: dict[str, Any] = {"transport": "rest"}
    if settings.api_endpoint is not None:
        arguments["client_options"] = ClientOptions(api_endpoint=settings.api_endpoint)
        if settings.api_endpoint.startswith("http://"):
            arguments["credentials"] = AnonymousCredentials()
    return arguments
