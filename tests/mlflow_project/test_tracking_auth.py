"""The identity-token plugin, through MLflow's real REST client and Google's real auth library.

One loopback server plays both Google's metadata server (the identity endpoint Cloud Build and
Cloud Run offer) and the tracking server: it mints a token per request to the identity endpoint
and records the Authorization header MLflow's calls arrive with. Each case runs in a fresh
interpreter because google.auth reads GCE_METADATA_HOST when it is imported.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from mlflow_project.tracking_auth import tracking_audience

pytestmark = pytest.mark.integration

SEARCH = "/api/2.0/mlflow/registered-models/search"
CLIENT = ("import mlflow; c = mlflow.MlflowClient(); "
          "c.search_registered_models(); c.search_registered_models()")


def _jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@dataclass
class Seen:
    """What the loopback server was asked."""

    audiences: list[str] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)


@pytest.fixture
def google_and_tracking() -> Iterator[tuple[str, Seen]]:
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Metadata-Flavor", "Google")
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path.endswith("/service-accounts/default/identity"):
                audience = parse_qs(url.query)["audience"][0]
                seen.audiences.append(audience)
                now = int(time.time())
                token = _jwt({"aud": audience, "iat": now, "exp": now + 3600,
                              "n": len(seen.audiences)})
                self._answer(token.encode(), "text/plain")
            elif url.path.endswith("/service-accounts/default/"):
                self._answer(json.dumps({"email": "builder@project.iam.gserviceaccount.com",
                                         "aliases": ["default"]}).encode(),
                             "application/json")
            elif url.path == SEARCH:
                seen.authorizations.append(self.headers.get("Authorization"))
                self._answer(b'{"registered_models": []}', "application/json")
            else:  # the metadata server's ping
                self._answer(b"", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def run_client(address: str, auth: str | None) -> subprocess.CompletedProcess[str]:
    """Two registry calls from a fresh interpreter against the loopback tracking server."""
    env = {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": f"http://{address}",
           "GCE_METADATA_HOST": address, "GCE_METADATA_IP": address,
           "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    if auth is not None:
        env["TU_TRACKING_AUTH"] = auth
    return subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_every_call_carries_one_cached_identity_token_for_the_servers_url(
        google_and_tracking: tuple[str, Seen]) -> None:
    address, seen = google_and_tracking
    done = run_client(address, "google-id-token")
    assert done.returncode == 0, done.stderr
    assert seen.audiences == [f"http://{address}"]  # minted once, reused for the second call
    [first, second] = seen.authorizations
    assert first == second
    assert first is not None
    assert first.startswith("Bearer ")
    claims = first.removeprefix("Bearer ").split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(claims + "=="))["aud"] == f"http://{address}"


def test_unset_adds_no_header_and_asks_google_nothing(
        google_and_tracking: tuple[str, Seen]) -> None:
    address, seen = google_and_tracking
    done = run_client(address, None)
    assert done.returncode == 0, done.stderr
    assert seen.authorizations == [None, None]
    assert seen.audiences == []


def test_an_unknown_mode_is_named_in_mlflows_warning_and_sends_no_token(
        google_and_tracking: tuple[str, Seen]) -> None:
    address, seen = google_and_tracking
    done = run_client(address, "basic")
    assert "TU_TRACKING_AUTH='basic': expected google-id-token or unset" in done.stderr
    assert seen.authorizations == [None, None]


@pytest.mark.parametrize(("uri", "audience"), [
    ("https://mlflow-tracking-123.europe-west1.run.app", "https://mlflow-tracking-123.europe-west1.run.app"),
    ("https://mlflow-tracking-123.a.run.app/some/path?x=1", "https://mlflow-tracking-123.a.run.app"),
    ("https://user:secret@tracking.example:8443/", "https://tracking.example:8443"),
])
def test_the_audience_is_the_servers_url(uri: str, audience: str) -> None:
    assert tracking_audience(uri) == audience


@pytest.mark.parametrize("uri", ["", "sqlite:///x/mlflow.db", "databricks"])
def test_a_store_that_is_no_server_is_refused_by_name(uri: str) -> None:
    with pytest.raises(ValueError, match="MLFLOW_TRACKING_URI to be the tracking server"):
        tracking_audience(uri)
