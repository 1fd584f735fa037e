"""The smoke test a candidate revision passes on its tag URL before it gets any traffic.

Three requests, in order, each of which must answer as said: `GET /ready` 200; `GET /metadata`
200 naming the expected model version; `POST /predict` of one ticket (with the API key when one
is set) 200 with an urgency probability between 0 and 1. The first one that does not stops the
test with `SmokeFailed` saying which request answered what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from deploy.targets import Endpoint

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

    def plan(self, endpoint: Endpoint, version: str) -> list[str]:
        """The requests and what each must answer, one line each (nothing is sent)."""
        headers = "".join(f" -H '{name}: {value}'" for name, value in endpoint.headers.items())
        key = " -H 'Authorization: Bearer ***'" if self.api_key else ""
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
        if self.api_key and body is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
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
