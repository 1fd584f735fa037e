"""The prediction log (folder sink): one parseable JSON line per prediction, matching its answer."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.serving.conftest import MODEL, TICKET, Server, prediction_records

pytestmark = pytest.mark.integration

RECORD_FIELDS = {"record_version", "severity", "time", "logging.googleapis.com/labels",
                 "request_id", "ticket_id", "model_name", "model_version", "variant", "endpoint",
                 "features", "urgency_probability", "urgent", "threshold", "latency_ms"}


def test_each_prediction_is_logged_as_answered(server: Server, prediction_log_dir: Path) -> None:
    single_id, batch_id = uuid.uuid4().hex, uuid.uuid4().hex
    single = server.post("/predict", json={**TICKET, "ticket_id": "log-1", "source": "PHONE"},
                         headers={"X-Request-ID": single_id}).json()
    batch = server.post("/predict/batch", headers={"X-Request-ID": batch_id}, json={"tickets": [
        {"title": "VPN broken for the whole office", "ticket_id": "log-2"},
        {"description": "Please update my billing address"}]}).json()
    records = prediction_records(prediction_log_dir, {single_id, batch_id}, 3)
    assert len(records) == 3
    by_ticket = {r["ticket_id"]: r for r in records}
    answers = {"log-1": single, "log-2": batch["predictions"][0],
               None: batch["predictions"][1]}
    for ticket_id, answer in answers.items():
        record = by_ticket[ticket_id]
        assert set(record) == RECORD_FIELDS  # no trace: this server has no project set
        assert (record["record_version"], record["severity"]) == (2, "INFO")
        assert record["logging.googleapis.com/labels"] == {"model_version": "1",
                                                           "variant": "challenger"}
        assert record["urgency_probability"] == answer["urgency_probability"]
        assert record["urgent"] == answer["urgent"]
        assert (record["model_name"], record["model_version"]) == (MODEL, "1")
        assert record["variant"] == "challenger"
        assert record["latency_ms"] > 0
    assert by_ticket["log-1"]["request_id"] == single["request_id"] == single_id
    assert by_ticket["log-1"]["endpoint"] == "/predict"
    assert by_ticket["log-1"]["features"] == {**{k: TICKET[k] for k in TICKET}, "source": "phone"}
    assert by_ticket[None]["features"] == {"title": None,
                                           "description": "Please update my billing address",
                                           "source": "unknown", "customer_tier": "unknown"}
    assert {by_ticket["log-2"]["request_id"], by_ticket[None]["request_id"]} == {batch_id}
    assert by_ticket["log-2"]["endpoint"] == "/predict/batch"


def test_refused_requests_are_not_logged(server: Server, prediction_log_dir: Path) -> None:
    request_id = uuid.uuid4().hex
    answer = server.post("/predict", json={"title": 5}, headers={"X-Request-ID": request_id})
    assert answer.status_code == 422
    server.post("/predict", json=TICKET)  # a later, logged prediction proves the writer ran
    time.sleep(0.3)
    assert prediction_records(prediction_log_dir, {request_id}, 0) == []


def test_one_file_per_worker_process(server: Server, prediction_log_dir: Path) -> None:
    files = list(prediction_log_dir.glob("predictions-*.jsonl"))
    assert len(files) == 1
    pid = int(files[0].stem.rsplit("-", 1)[1])
    assert server.process is not None
    assert pid != server.process.pid  # written by the worker, not the gunicorn master
