"""The smoke test a candidate revision passes on its tag URL before it gets any traffic.

Three requests, in order, each of which must answer as said: `GET /ready` 200; `GET /metadata`
200 naming the expected model version; `POST /predict` of one ticket (with the API key when one
is set, in `X-API-Key`) 200 with an urgency probability between 0 and 1. The first one that does
not stops the test with `SmokeFailed` saying which request answered what. A private Cloud Run
service (IAM) also needs a Google ID token for the URL called: `identity_token` makes one, and it
travels in `Authorization`, which is why the API key does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from deploy.targets import Endpoint
from serving.auth import API_KEY_HEADER

SMOKE_TICKET: Mapping[str, str] = {
    "ticket_id": "rollout-smoke-test", "title": "Cannot log in to the billing portal",
    "description": "Since this morning the login page answers with an error.",
    "source": "web", "customer_tier": "standard"}


class SmokeFailed(RuntimeError):
    """A smoke-test request did not answer as it must; the message says which and how."""


@dataclass(frozen=True)
class SmokeTest:
    """The three requests against one endpoint, expecting one model version."""

    api_key: str | None
    timeout: float
    identity_token: Callable[[str], str] | None = None  # audience URL -> Google ID token

    def plan(self, endpoint: Endpoint, version: str) -> list[str]:
        """The requests and what each must answer, one line each (nothing is sent)."""
        headers = "".join(f" -H '{name}: {value}'" for name, value in endpoint.headers.items())
        if self.identity_token is not None:
            headers += f" -H 'Authorization: Bearer <ID token for {endpoint.url}>'"
        key = f" -H '{API_KEY_HEADER}: ***'" if self.api_key else ""
        return [f"GET {endpoint.url}/ready{headers} -> 200",
                f"GET {endpoint.url}/metadata{headers} -> 200, model_version {version}",
                f"POST {endpoint.url}/predict{headers}{key} (one ticket) -> 200 with "
                "urgency_probability in [0, 1]"]

    def run(self, endpoint: Endpoint, version: str) -> list[str]:
        """Send the three requests; one line per passed check, SmokeFailed at the first miss."""
        ready = self._call("GET", endpoint, "/ready")
        metadata = self._call("GET", endpoint, "/metadata")
        served = str(metadata.get("model_version"))
        if served != version:
            raise SmokeFailed(f"GET {endpoint.url}/metadata reports model version {served}, "
                              f"expected {version}")
        prediction = self._call("POST", endpoint, "/predict", body=dict(SMOKE_TICKET))
        score = prediction.get("urgency_probability")
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            raise SmokeFailed(f"POST {endpoint.url}/predict answered no urgency probability "
                              f"({str(prediction)[:200]})")
        return [f"GET /ready: {ready.get('status', 'ready')}",
                f"GET /metadata: model version {served}",
                f"POST /predict: urgency_probability {score:.3f}"]

    def _call(self, method: str, endpoint: Endpoint, path: str,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request; its JSON body when it answers 200, else SmokeFailed."""
        headers = dict(endpoint.headers)
        if self.identity_token is not None:
            headers["Authorization"] = f"Bearer {self._token(endpoint.url)}"
        if self.api_key and body is not None:
            headers[API_KEY_HEADER] = self.api_key
        url = f"{endpoint.url.rstrip('/')}{path}"
        try:
            response = requests.request(method, url, json=body, headers=headers,
                                        timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmokeFailed(f"{method} {url} failed: {exc}") from None
        if response.status_code != 200:
            raise SmokeFailed(f"{method} {url} answered {response.status_code}: "
                              f"{response.text.strip()[:200]}")
        try:
            document = response.json()
        except ValueError:
            raise SmokeFailed(f"{method} {url} answered 200 without JSON") from None
        if not isinstance(document, dict):
            raise SmokeFailed(f"{method} {url} answered 200 with {type(document).__name__}")
        return document

    def _token(self, audience: str) -> str:
        """An ID token for `audience`; SmokeFailed saying why when none can be had."""
        assert self.identity_token is not None
        try:
            return self.identity_token(audience)
        except Exception as exc:  # google-auth's errors differ by credential type
            raise SmokeFailed(f"no Google ID token for {audience} ({exc}); a service that "
                              "allows unauthenticated calls needs none: "
                              "ROLLOUT_SMOKE_ID_TOKEN=false") from None

