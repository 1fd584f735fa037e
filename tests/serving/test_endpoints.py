"""Every endpoint of a real gunicorn server, over HTTP, against the in-process model."""

from __future__ import annotations

import re

import pytest

from serving.model_loader import LoadedModel
from serving.schemas import (
    BatchPredictionResponse,
    ErrorResponse,
    MetadataResponse,
    PredictionResponse,
    ReadyResponse,
)
from tests.serving.conftest import MODEL, TICKET, ModelStore, Server

pytestmark = pytest.mark.integration


def test_health_answers_ok(server: Server) -> None:
    answer = server.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_ready_reports_the_loaded_version(server: Server) -> None:
    answer = server.get("/ready")
    assert answer.status_code == 200
    assert ReadyResponse.model_validate(answer.json()).model_version == "1"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy, inside MlflowClient
def test_metadata_says_exactly_what_is_served(server: Server, model_store: ModelStore,
                                              reference_model: LoadedModel) -> None:
    registered = model_store.client().get_model_version_by_alias(MODEL, "production")
    metadata = MetadataResponse.model_validate(server.get("/metadata").json())
    assert (metadata.model_name, metadata.model_version) == (MODEL, "1")
    assert metadata.run_id == registered.run_id
    assert metadata.model_uri == "models:/ticket_urgency@production"
    assert metadata.alias == "production"
    assert metadata.resolved_uri == "models:/ticket_urgency/1"
    assert metadata.source == "registry"
    assert metadata.threshold == reference_model.threshold
    assert metadata.variant == "challenger"
    assert metadata.loaded_at.endswith("+00:00")
    properties = metadata.input_schema["properties"]
    assert set(properties) == {"ticket_id", "title", "description", "source", "customer_tier"}
    assert properties["title"]["anyOf"][0]["maxLength"] == 500
    assert properties["description"]["anyOf"][0]["maxLength"] == 20_000
    assert metadata.limits["max_batch_size"] == 100


def test_predict_scores_one_ticket_like_the_model(server: Server,
                                                  reference_model: LoadedModel) -> None:
    answer = server.post("/predict", json={**TICKET, "ticket_id": "T-1"})
    assert answer.status_code == 200
    body = PredictionResponse.model_validate(answer.json())
    (expected,), (label,) = reference_model.model.predict_records([TICKET])
    assert body.urgency_probability == pytest.approx(float(expected), abs=1e-12)
    assert body.urgent is bool(label)
    assert body.threshold == reference_model.threshold
    assert (body.model_name, body.model_version, body.variant) == (MODEL, "1", "challenger")
    assert body.ticket_id == "T-1"
    assert body.explanation is None
    assert answer.headers["X-Request-ID"] == body.request_id


def test_explain_returns_the_terms_that_raised_the_score(server: Server,
                                                         reference_model: LoadedModel) -> None:
    answer = server.post("/predict?explain=true", json=TICKET)
    assert answer.status_code == 200
    terms = PredictionResponse.model_validate(answer.json()).explanation
    expected = reference_model.model.explain(TICKET, top=5)
    assert terms is not None
    assert [(t.term, t.weight) for t in terms] == [(e.term, e.weight) for e in expected]
    assert terms
    assert all(t.weight > 0 for t in terms)


def test_batch_keeps_request_order_and_ids(server: Server, reference_model: LoadedModel) -> None:
    tickets = [{**TICKET, "ticket_id": "urgent"},
               {"title": "Request for a second monitor", "ticket_id": "calm"},
               {"description": "How do I change my invoice address?", "source": "EMAIL"}]
    answer = server.post("/predict/batch?explain=false", json={"tickets": tickets})
    assert answer.status_code == 200
    body = BatchPredictionResponse.model_validate(answer.json())
    expected, _ = reference_model.model.predict_records(
        [tickets[0], tickets[1], {**tickets[2], "source": "email"}])
    assert [p.ticket_id for p in body.predictions] == ["urgent", "calm", None]
    assert [p.urgency_probability for p in body.predictions] == pytest.approx(
        [float(p) for p in expected], abs=1e-12)
    assert body.predictions[0].urgency_probability > body.predictions[1].urgency_probability


def test_request_id_is_honoured_when_safe_and_replaced_when_not(server: Server) -> None:
    mine = server.post("/predict", json=TICKET, headers={"X-Request-ID": "abc-123.x:y_z"})
    assert mine.headers["X-Request-ID"] == mine.json()["request_id"] == "abc-123.x:y_z"
    unsafe = server.post("/predict", json=TICKET, headers={"X-Request-ID": "a b<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["X-Request-ID"])
    fresh = [server.get("/health").headers["X-Request-ID"] for _ in range(2)]
    assert fresh[0] != fresh[1]


def test_metrics_count_requests_predictions_and_model_info(server: Server) -> None:
    server.post("/predict", json=TICKET)
    server.post("/predict", json={"title": 5})
    text = server.get("/metrics").text
    assert re.search(r'ticket_urgency_http_requests_total\{endpoint="/predict",method="POST",'
                     r'status="200"\} [1-9]', text)
    assert re.search(r'ticket_urgency_http_requests_total\{endpoint="/predict",method="POST",'
                     r'status="422"\} [1-9]', text)
    assert 'ticket_urgency_http_request_duration_seconds_bucket{endpoint="/predict"' in text
    assert re.search(r'ticket_urgency_predictions_total\{label="(not_)?urgent",'
                     r'model_version="1",variant="challenger"\} [1-9]', text)
    assert ('ticket_urgency_model_info{alias="production",model_name="ticket_urgency",'
            'model_version="1",variant="challenger"} 1.0') in text
    assert "ticket_urgency_model_ready 1.0" in text
    assert "process_resident_memory_bytes" in text


def test_openapi_document_describes_every_endpoint(server: Server) -> None:
    document = server.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/predict", "/predict/batch", "/invocations", "/health",
                                      "/ready", "/ping", "/metadata", "/metrics",
                                      "/openapi.json", "/docs"}
    ticket = document["components"]["schemas"]["Ticket"]
    assert ticket["additionalProperties"] is False
    assert "security" not in document["paths"]["/predict"]["post"]  # no API_KEYS here


def test_docs_page_is_swagger_ui_served_by_the_app_itself(server: Server) -> None:
    answer = server.get("/docs")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert 'url: "openapi.json"' in answer.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert sorted(sources) == ["docs/assets/swagger-ui-bundle.js", "docs/assets/swagger-ui.css"]
    script = server.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert "SwaggerUIBundle" in script.text
    assert server.get("/docs/assets/swagger-ui.css").headers["Content-Type"].startswith("text/css")
    assert server.get("/docs/assets/..%2Fcore.py").status_code == 404
    assert server.get("/docs/assets/index.html").status_code == 404


def test_unknown_path_and_wrong_method_answer_json(server: Server) -> None:
    missing = server.get("/nope")
    assert missing.status_code == 404
    assert ErrorResponse.model_validate(missing.json()).details[0].field == "path"
    wrong = server.get("/predict")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    assert wrong.json()["error"] == "method not allowed"
