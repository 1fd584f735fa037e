"""API keys (both header forms, wrong and missing keys) and metrics summed over two workers."""

from __future__ import annotations

import re
import time

import pytest

from tests.serving.conftest import API_KEY, OTHER_KEY, TICKET, Server

pytestmark = pytest.mark.integration

PREDICT_PATHS = [("/predict", TICKET), ("/predict/batch", {"tickets": [TICKET]})]


@pytest.mark.parametrize(("path", "body"), PREDICT_PATHS)
@pytest.mark.parametrize("headers", [
    {"Authorization": f"Bearer {API_KEY}"},
    {"Authorization": f"bearer {OTHER_KEY}"},
    {"X-API-Key": API_KEY},
    {"X-API-Key": OTHER_KEY, "Authorization": "Basic dXNlcjpwYXNz"},
], ids=["bearer", "bearer-second-key", "x-api-key", "x-api-key-beside-basic"])
def test_a_configured_key_is_accepted(auth_server: Server, path: str, body: object,
                                      headers: dict[str, str]) -> None:
    answer = auth_server.post(path, json=body, headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("path", "body"), PREDICT_PATHS)
@pytest.mark.parametrize(("headers", "rule"), [
    ({}, "missing key"),
    ({"Authorization": "Bearer "}, "missing key"),
    ({"Authorization": f"Token {API_KEY}"}, "missing key"),
    ({"Authorization": f"Bearer {API_KEY}x"}, "key not accepted"),
    ({"Authorization": f"Bearer {API_KEY[:-1]}"}, "key not accepted"),
    ({"X-API-Key": "wrong-key-but-long-enough"}, "key not accepted"),
    ({"X-API-Key": "ключ-не-тот-совсем".encode().decode("latin-1")}, "key not accepted"),
], ids=["none", "empty-bearer", "other-scheme", "longer", "prefix", "wrong", "non-ascii"])
def test_a_missing_or_wrong_key_is_a_401(auth_server: Server, path: str, body: object,
                                         headers: dict[str, str], rule: str) -> None:
    answer = auth_server.post(path, json=body, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    detail = answer.json()["details"][0]
    assert detail["field"] == "Authorization"
    assert detail["rule"].startswith(rule)


def test_auth_comes_before_validation(auth_server: Server) -> None:
    answer = auth_server.post("/predict", data=b"{not json", headers={
        "Content-Type": "application/json"})
    assert answer.status_code == 401


@pytest.mark.parametrize("path", ["/health", "/ready", "/metadata", "/metrics", "/openapi.json",
                                  "/docs"])
def test_probes_metadata_metrics_and_docs_stay_open(auth_server: Server, path: str) -> None:
    assert auth_server.get(path).status_code == 200


def test_the_openapi_document_declares_the_keys(auth_server: Server) -> None:
    document = auth_server.get("/openapi.json").json()
    assert document["paths"]["/predict"]["post"]["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "401" in document["paths"]["/predict/batch"]["post"]["responses"]
    assert "security" not in document["paths"]["/health"]["get"]


def test_metrics_add_up_every_worker(auth_server: Server) -> None:
    """Two workers answer; every scrape (whichever worker takes it) counts all predictions."""
    before = _predictions(auth_server)
    for _ in range(40):
        answer = auth_server.post("/predict", json=TICKET, headers={"X-API-Key": API_KEY})
        assert answer.status_code == 200
    for _ in range(6):
        assert _predictions(auth_server) == before + 40


def test_model_ready_is_1_once_every_worker_has_loaded(auth_server: Server) -> None:
    deadline = time.monotonic() + 60  # /ready answered by one worker; the other may still load
    while "ticket_urgency_model_ready 1.0" not in auth_server.get("/metrics").text:
        assert time.monotonic() < deadline, auth_server.get("/metrics").text[-2000:]
        time.sleep(0.2)
    text = auth_server.get("/metrics").text
    assert 'model_version="1"' in text
    assert "process_resident_memory_bytes" not in text  # per-process only, off in this mode


def _predictions(server: Server) -> float:
    text = server.get("/metrics").text
    return sum(float(n) for n in re.findall(
        r'^ticket_urgency_predictions_total\{[^}]*\} ([0-9.e+]+)$', text, re.MULTILINE))
