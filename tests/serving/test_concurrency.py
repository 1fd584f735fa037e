"""Many parallel clients: every answer is the in-process model's, from the right version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from serving.model_loader import LoadedModel
from tests.serving.conftest import Server

pytestmark = pytest.mark.integration

CLIENTS = 16
REQUESTS_PER_CLIENT = 50
WORDS = ["outage", "refund", "password", "invoice", "down", "slow", "monitor", "urgent",
         "checkout", "error", "login", "printer", "payment", "crash", "question", "thanks"]


def _ticket(client: int, number: int) -> dict[str, object]:
    """A distinct ticket per request, so a mixed-up answer cannot pass by coincidence."""
    words = [WORDS[(client * 7 + number * 3 + i) % len(WORDS)] for i in range(1 + number % 5)]
    return {"title": " ".join(words), "description": f"client {client} request {number}",
            "source": ["email", "phone", "web", "chat"][number % 4],
            "customer_tier": ["premium", "standard"][client % 2],
            "ticket_id": f"c{client}-r{number}"}


def _client(server: Server, client: int) -> list[tuple[dict[str, object], dict[str, object]]]:
    with requests.Session() as session:
        answers = []
        for number in range(REQUESTS_PER_CLIENT):
            ticket = _ticket(client, number)
            answer = session.post(f"{server.base}/predict", json=ticket, timeout=30,
                                  headers={"X-Request-ID": f"{ticket['ticket_id']}"})
            assert answer.status_code == 200, answer.text
            answers.append((ticket, answer.json()))
        return answers


def test_parallel_clients_get_their_own_exact_answers(server: Server,
                                                      reference_model: LoadedModel) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [pair for batch in pool.map(lambda c: _client(server, c), range(CLIENTS))
                   for pair in batch]
    assert len(results) == CLIENTS * REQUESTS_PER_CLIENT
    tickets = [{k: v for k, v in t.items() if k != "ticket_id"} for t, _ in results]
    expected, labels = reference_model.model.predict_records(tickets)
    for (ticket, body), probability, label in zip(results, expected, labels, strict=True):
        assert body["ticket_id"] == body["request_id"] == ticket["ticket_id"]
        assert body["urgency_probability"] == pytest.approx(float(probability), abs=1e-12)
        assert body["urgent"] is bool(label)
        assert (body["model_version"], body["variant"]) == ("1", "challenger")
    assert len({body["urgency_probability"] for _, body in results}) > 50
