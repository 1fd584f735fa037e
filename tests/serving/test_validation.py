"""Every request rule, over HTTP: each breach is a 4xx naming the field and rule, never a 500."""

from __future__ import annotations

import json

import pytest

from serving.schemas import ErrorResponse
from tests.serving.conftest import TICKET, Server

pytestmark = pytest.mark.integration

LONG_TITLE = "x" * 501
LONG_DESCRIPTION = "y" * 20_001

# (body, expected status, field, a phrase of the rule)
BAD_TICKETS = [
    ({}, 422, "title,description", "at least one of title and description"),
    ({"title": "", "description": "   \t\n\u3000"}, 422, "title,description", "non-empty"),
    ({"title": None, "description": None}, 422, "title,description", "non-empty"),
    ({"title": LONG_TITLE}, 422, "title", "at most 500 characters"),
    ({"title": "ok", "description": LONG_DESCRIPTION}, 422, "description",
     "at most 20000 characters"),
    ({"title": 5}, 422, "title", "must be a string or null"),
    ({"title": ["a"]}, 422, "title", "must be a string or null"),
    ({"title": {"nested": {"deep": [1, 2]}}}, 422, "title", "must be a string or null"),
    ({"title": "ok", "source": "fax"}, 422, "source", "one of email, phone, web, chat, unknown"),
    ({"title": "ok", "source": "EMAİL"}, 422, "source", "one of"),
    ({"title": "ok", "source": 10**400}, 422, "source", "must be a string or null"),
    ({"title": "ok", "customer_tier": "gold"}, 422, "customer_tier",
     "one of premium, standard, unknown"),
    ({"title": "ok", "customer_tier": True}, 422, "customer_tier", "must be a string or null"),
    ({"title": "ok", "priority": "high"}, 422, "priority", "unexpected field"),
    ({"title": "ok", "descripton": "typo"}, 422, "descripton", "unexpected field"),
    ({"title": "ok", "ticket_id": ""}, 422, "ticket_id", "must not be empty"),
    ({"title": "ok", "ticket_id": 123456789012345678901234567890}, 422, "ticket_id",
     "must be a string or null"),
    ({"title": "ok", "ticket_id": "t" * 129}, 422, "ticket_id", "at most 128 characters"),
    ([TICKET], 422, "body", "must be a JSON object"),
    ("a ticket", 422, "body", "must be a JSON object"),
    (None, 422, "body", "must be a JSON object"),
]

BAD_BATCHES = [
    ({}, 422, "tickets", "required"),
    ({"tickets": []}, 422, "tickets", "at least one ticket"),
    ({"tickets": TICKET}, 422, "tickets", "must be a JSON array"),
    ({"tickets": [TICKET], "extra": 1}, 422, "extra", "unexpected field; allowed: tickets"),
    ({"tickets": [TICKET] * 3 + [{**TICKET, "source": "pigeon"}]}, 422, "tickets[3].source",
     "one of"),
    ({"tickets": [TICKET, {}]}, 422, "tickets[1].title,description", "non-empty"),
    ({"tickets": [TICKET, {"title": "x", "urgent": 1}]}, 422, "tickets[1].urgent",
     "unexpected field; allowed: ticket_id, title"),
    ({"tickets": [TICKET] * 101}, 413, "tickets", "at most 100 tickets per request"),
]

MALFORMED = [
    b"{", b'{"title": "a"', b"{'title': 'single quotes'}", b'{"title": "a"} trailing',
    b'{"title": "\\ud800"}', b"\xff\xfe{}", b"[" * 100_000, b"", b'{"title": tru}',
    b'{"title": "a",}', b"\x00",
]


def _detail(answer_json: object) -> tuple[str, str]:
    error = ErrorResponse.model_validate(answer_json)
    assert error.request_id
    return error.details[0].field, error.details[0].rule


@pytest.mark.parametrize(("body", "status", "field", "rule"), BAD_TICKETS,
                         ids=[f"{case[2]}:{case[3][:24]}" for case in BAD_TICKETS])
def test_bad_ticket_is_refused_naming_field_and_rule(server: Server, body: object, status: int,
                                                     field: str, rule: str) -> None:
    answer = server.post("/predict", data=json.dumps(body),
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    fields = {d["field"]: d["rule"] for d in answer.json()["details"]}
    assert field in fields, answer.text
    assert rule in fields[field]
    assert answer.json()["error"] == "validation failed"


@pytest.mark.parametrize(("body", "status", "field", "rule"), BAD_BATCHES,
                         ids=[f"{case[2]}:{case[3][:24]}" for case in BAD_BATCHES])
def test_bad_batch_is_refused_naming_field_and_rule(server: Server, body: object, status: int,
                                                    field: str, rule: str) -> None:
    answer = server.post("/predict/batch", json=body)
    assert answer.status_code == status, answer.text
    fields = {d["field"]: d["rule"] for d in answer.json()["details"]}
    assert field in fields, answer.text
    assert rule in fields[field]


@pytest.mark.parametrize("raw", MALFORMED, ids=lambda raw: repr(raw[:16]))
def test_malformed_json_is_a_400_not_a_500(server: Server, raw: bytes) -> None:
    answer = server.post("/predict", data=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "malformed JSON"
    assert _detail(answer.json())[0] == "body"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonp"])
def test_only_json_is_accepted(server: Server, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = server.post("/predict", data=json.dumps(TICKET).encode(), headers=headers)
    assert answer.status_code == 415
    assert _detail(answer.json()) == ("Content-Type", "must be application/json")


def test_json_with_a_charset_is_json(server: Server) -> None:
    answer = server.post("/predict", data=json.dumps(TICKET).encode(),
                         headers={"Content-Type": "application/json; charset=utf-8"})
    assert answer.status_code == 200


def test_a_body_over_the_byte_limit_is_a_413(server: Server) -> None:
    huge = json.dumps({"title": "x", "description": "y" * (1_048_576 + 10)})
    answer = server.post("/predict", data=huge, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert _detail(answer.json()) == ("body", "at most 1048576 bytes")


def test_explain_must_be_true_or_false(server: Server) -> None:
    answer = server.post("/predict?explain=yes", json=TICKET)
    assert answer.status_code == 422
    assert _detail(answer.json()) == ("explain", "must be true or false")


@pytest.mark.parametrize("ticket", [
    {"title": "Zahlung fehlgeschlagen \u2013 dringend! \U0001f6a8",
     "description": "\u652f\u4ed8\u5931\u8d25\uff0c\u8bf7\u5c3d\u5feb\u5904\u7406"},
    {"title": "ok", "source": "CHAT", "customer_tier": "Premium"},
    {"title": "ok", "source": None, "customer_tier": ""},
    {"description": "only a description"},
    {"title": "x" * 500, "description": "y" * 20_000},
    {"title": "\u0000 null byte and \u202e override"},
], ids=["unicode", "any-case", "null-and-empty", "description-only", "at-limits", "control"])
def test_odd_but_valid_tickets_are_scored(server: Server, ticket: dict[str, object]) -> None:
    answer = server.post("/predict", json=ticket)
    assert answer.status_code == 200, answer.text
    assert 0.0 <= answer.json()["urgency_probability"] <= 1.0


# (endpoint, raw body with a key repeated in one object, the key)
DUPLICATE_KEYS = [
    ("/predict", b'{"title": "VPN down", "title": "all fine"}', "title"),
    ("/predict", b'{"title": "a", "source": "phone", "description": "b", "source": "web"}',
     "source"),
    ("/predict", b'{"title": "a", "extra": {"deep": [{"k": 1, "k": 2}]}}', "k"),
    ("/predict/batch", b'{"tickets": [{"title": "a"}], "tickets": [{"title": "b"}]}', "tickets"),
    ("/predict/batch", b'{"tickets": [{"title": "a"}, {"title": "b", "customer_tier": "premium",'
                       b' "customer_tier": "standard"}]}', "customer_tier"),
]


@pytest.mark.parametrize(("path", "raw", "key"), DUPLICATE_KEYS, ids=lambda v: str(v)[:24])
def test_a_repeated_key_is_a_400_naming_it(server: Server, path: str, raw: bytes,
                                           key: str) -> None:
    answer = server.post(path, data=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    body = ErrorResponse.model_validate(answer.json())
    assert body.error == "duplicate key"
    assert [(d.field, d.rule) for d in body.details] == [
        (key, "a key may appear only once in each JSON object")]
    assert body.request_id == answer.headers["X-Request-ID"]


def test_the_same_key_in_different_objects_is_fine(server: Server) -> None:
    raw = json.dumps({"tickets": [{"title": "a", "source": "web"},
                                  {"title": "b", "source": "web"}]}).encode()
    answer = server.post("/predict/batch", data=raw,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
