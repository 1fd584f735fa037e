"""`POST /invocations`: MLflow's scoring protocol over real gunicorn, with /predict's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

from serving.model_loader import LoadedModel
from serving.schemas import ErrorResponse
from serving.scoring_protocol import InvocationsResponse
from tests.serving.conftest import API_KEY, TICKET, Server, prediction_records

pytestmark = pytest.mark.integration

OTHER = {"ticket_id": "T-2", "title": "Request for a new monitor",
         "description": "Next month is fine.", "source": "WEB", "customer_tier": None}
SPLIT = {"columns": list(OTHER), "data": [list(OTHER.values())], "index": [7]}


def _probabilities(body: dict[str, object]) -> list[float]:
    return [row["urgency_probability"] for row in
            InvocationsResponse.model_validate(body).model_dump()["predictions"]]


NORMALISED_OTHER = {**OTHER, "source": "web", "customer_tier": "unknown"}  # as the model sees it


@pytest.mark.parametrize(("payload", "tickets"), [
    ({"dataframe_records": [TICKET, OTHER]}, [TICKET, OTHER]),
    ({"instances": [TICKET, OTHER]}, [TICKET, OTHER]),
    ({"dataframe_split": SPLIT}, [OTHER]),
], ids=["dataframe_records", "instances", "dataframe_split"])
def test_every_mlflow_input_format_scores_like_predict(
        server: Server, payload: dict[str, object], tickets: list[dict[str, object]],
        reference_model: LoadedModel) -> None:
    answer = server.post("/invocations", json=payload)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    single = [server.post("/predict", json=ticket).json()["urgency_probability"]
              for ticket in tickets]
    assert _probabilities(body) == single
    expected, labels = reference_model.model.predict_records(
        [NORMALISED_OTHER if ticket is OTHER else ticket for ticket in tickets])
    assert _probabilities(body) == expected.tolist()
    assert [row["urgent"] for row in body["predictions"]] == labels.tolist()
    assert set(body["predictions"][0]) == {"urgency_probability", "urgent"}  # MLflow's columns
    assert (body["model_version"], body["variant"]) == ("1", "challenger")
    assert answer.headers["X-Request-ID"] == body["request_id"]


def test_mlflows_own_scoring_client_works_unchanged(server: Server,
                                                    reference_model: LoadedModel) -> None:
    client = ScoringServerClient("127.0.0.1", server.port)
    client.wait_server_ready(timeout=10)  # polls /ping
    frame = pd.DataFrame([TICKET, {**TICKET, "title": "Printer jam", "description": "",
                                   "source": "email", "customer_tier": "standard"}])
    predictions = client.invoke(frame).get_predictions()
    expected, labels = reference_model.model.predict_records(
        [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")])
    assert predictions["urgency_probability"].tolist() == expected.tolist()
    assert predictions["urgent"].tolist() == labels.tolist()


@pytest.mark.parametrize(("payload", "status", "field", "rule"), [
    ({}, 422, "body", "exactly one of dataframe_split, dataframe_records, instances"),
    ({"instances": [TICKET], "dataframe_records": [TICKET]}, 422, "body", "exactly one of"),
    ({"inputs": [TICKET]}, 422, "inputs", "unexpected field; allowed: dataframe_split"),
    ({"instances": [{"title": "x", "source": "fax"}]}, 422, "instances[0].source",
     "must be one of email"),
    ({"dataframe_records": [{"title": "x", "descripton": "typo"}]}, 422,
     "dataframe_records[0].descripton", "unexpected field"),
    ({"dataframe_split": {"columns": ["title"], "data": [["a", "b"]]}}, 422, "dataframe_split",
     "one value per column"),
    ({"dataframe_split": {"columns": ["title", "title"], "data": [["a", "b"]]}}, 422,
     "dataframe_split", "distinct column names"),
    ({"dataframe_split": {"columns": ["title"], "data": [[" "]]}}, 422,
     "dataframe_split.data[0].title,description", "must be non-empty"),
    ({"dataframe_records": []}, 422, "dataframe_records", "at least one ticket"),
    ({"instances": [TICKET] * 101}, 413, "instances", "at most 100 tickets"),
])
def test_bad_payloads_are_refused_naming_field_and_rule(server: Server, payload: object,
                                                        status: int, field: str,
                                                        rule: str) -> None:
    answer = server.post("/invocations", json=payload)
    assert answer.status_code == status, answer.text
    details = ErrorResponse.model_validate(answer.json()).details
    assert [d.field for d in details] == [field]
    assert rule in details[0].rule


def test_duplicate_keys_csv_and_bad_json_are_refused_as_on_predict(server: Server) -> None:
    duplicate = server.post("/invocations", data=b'{"instances": [{"title": "a", "title": "b"}]}',
                            headers={"Content-Type": "application/json"})
    assert duplicate.status_code == 400
    assert duplicate.json()["details"][0]["field"] == "title"  # as /predict/batch names it
    csv = server.post("/invocations", data=b"title\nCheckout down\n",
                      headers={"Content-Type": "text/csv"})
    assert csv.status_code == 415
    assert csv.json()["details"][0] == {"field": "Content-Type", "rule": "must be application/json"}
    broken = server.post("/invocations", data=b'{"instances": [',
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


def test_the_api_key_is_required_as_on_predict(auth_server: Server) -> None:
    payload = {"dataframe_split": SPLIT}
    assert auth_server.post("/invocations", json=payload).status_code == 401
    answer = auth_server.post("/invocations", json=payload,
                              headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code == 200
    assert answer.json()["predictions"][0]["urgent"] in (0, 1)


def test_each_row_is_logged_and_counted_under_invocations(server: Server,
                                                          prediction_log_dir: Path) -> None:
    answer = server.post("/invocations", json={"dataframe_split": SPLIT},
                         headers={"X-Request-ID": "invocations-log-1"})
    assert answer.status_code == 200
    (record,) = prediction_records(prediction_log_dir, {"invocations-log-1"}, 1)
    assert (record["endpoint"], record["ticket_id"]) == ("/invocations", "T-2")
    assert record["features"] == {"title": OTHER["title"], "description": OTHER["description"],
                                  "source": "web", "customer_tier": "unknown"}
    assert record["urgency_probability"] == answer.json()["predictions"][0]["urgency_probability"]
    metrics = server.get("/metrics").text
    assert re.search(r'ticket_urgency_http_requests_total\{endpoint="/invocations",'
                     r'method="POST",status="200"\} [1-9]', metrics)


def test_ping_answers_like_ready(server: Server) -> None:
    ping, ready = server.get("/ping"), server.get("/ready")
    assert (ping.status_code, ping.json()) == (ready.status_code, ready.json())
    assert ping.json()["status"] == "ready"
