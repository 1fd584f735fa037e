"""Structured log lines for Cloud Logging over real HTTP: a prediction record carries severity,
time, labels and, with GOOGLE_CLOUD_PROJECT set, the trace of the request's header (either
form); a malformed header is ignored, never refused. The formatter of the service's own lines
adds the same trace to a line written while serving a request."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, g

from contracts.prediction_log import PredictionRecord
from serving.app_logging import JsonFormatter
from tests.serving.conftest import TICKET, ModelStore, Server, prediction_records

PROJECT = "tu-trace-test"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"
SAMPLED_FIELD = "logging.googleapis.com/trace_sampled"
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.fixture(scope="module")
def traced_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder sink of the server that knows its Google Cloud project."""
    return tmp_path_factory.mktemp("traced-log")


@pytest.fixture(scope="module")
def traced_server(model_store: ModelStore, traced_log: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The baked model, a folder log, GOOGLE_CLOUD_PROJECT set as the deploy sets it."""
    env = {**model_store.env(), "MODEL_URI": str(model_store.baked),
           "PREDICTION_LOG": f"{traced_log}/", "GOOGLE_CLOUD_PROJECT": PROJECT}
    running = Server(env, tmp_path_factory.mktemp("traced-server")).start()
    yield running
    running.stop()


def _logged(server: Server, folder: Path, headers: dict[str, str]) -> dict[str, object]:
    """The prediction record of one POST /predict sent with `headers` (which must succeed)."""
    request_id = uuid.uuid4().hex
    answer = server.post("/predict", json=TICKET, headers={**headers, "X-Request-ID": request_id})
    assert answer.status_code == 200, answer.text
    (record,) = prediction_records(folder, {request_id}, 1)
    return record


@pytest.mark.integration
def test_a_traceparent_header_puts_its_trace_in_the_record(traced_server: Server,
                                                           traced_log: Path) -> None:
    before = datetime.now(UTC)
    record = _logged(traced_server, traced_log, {"traceparent": f"00-{TRACE}-{SPAN}-01"})
    assert record[TRACE_FIELD] == f"projects/{PROJECT}/traces/{TRACE}"
    assert (record[SPAN_FIELD], record[SAMPLED_FIELD]) == (SPAN, True)
    assert (record["record_version"], record["severity"]) == (2, "INFO")
    assert record["logging.googleapis.com/labels"] == {"model_version": "1",
                                                       "variant": "production"}
    assert "timestamp" not in record
    assert RFC3339_UTC.fullmatch(str(record["time"]))
    parsed = PredictionRecord.model_validate(record)  # what every reader validates
    assert before - timedelta(seconds=1) <= parsed.timestamp <= datetime.now(UTC)
    assert (parsed.model_version, parsed.variant) == ("1", "production")


@pytest.mark.integration
def test_an_x_cloud_trace_context_header_puts_its_trace_in_the_record(
        traced_server: Server, traced_log: Path) -> None:
    record = _logged(traced_server, traced_log,
                     {"X-Cloud-Trace-Context": f"{TRACE}/18446744073709551615;o=0"})
    assert record[TRACE_FIELD] == f"projects/{PROJECT}/traces/{TRACE}"
    assert (record[SPAN_FIELD], record[SAMPLED_FIELD]) == ("ffffffffffffffff", False)


@pytest.mark.integration
def test_traceparent_wins_over_the_cloud_header(traced_server: Server, traced_log: Path) -> None:
    other = "0af7651916cd43dd8448eb211c80319c"
    record = _logged(traced_server, traced_log, {"traceparent": f"00-{TRACE}-{SPAN}-00",
                                                 "X-Cloud-Trace-Context": f"{other}/5;o=1"})
    assert record[TRACE_FIELD] == f"projects/{PROJECT}/traces/{TRACE}"
    assert record[SAMPLED_FIELD] is False


@pytest.mark.integration
@pytest.mark.parametrize("headers", [
    {},
    {"traceparent": f"00-{TRACE}-{SPAN}"},
    {"traceparent": f"00-{'0' * 32}-{SPAN}-01"},
    {"traceparent": f"00-{TRACE}-{SPAN}-01-extra"},
    {"X-Cloud-Trace-Context": f"{TRACE[:-2]}/1;o=1"},
    {"X-Cloud-Trace-Context": f"{TRACE}/18446744073709551616;o=1"},
    {"X-Cloud-Trace-Context": "projects/evil/traces/x/1;o=1"},
    {"traceparent": "x" * 4000, "X-Cloud-Trace-Context": "y" * 4000},
], ids=["none", "no-flags", "zero-trace", "extra-part", "short-trace", "span-overflow",
        "injected-name", "long-junk"])
def test_a_missing_or_malformed_header_is_ignored_not_refused(
        traced_server: Server, traced_log: Path, headers: dict[str, str]) -> None:
    record = _logged(traced_server, traced_log, headers)
    assert {TRACE_FIELD, SPAN_FIELD, SAMPLED_FIELD}.isdisjoint(record)
    assert record["severity"] == "INFO"


@pytest.mark.integration
def test_without_a_project_a_valid_header_gives_no_trace(server: Server,
                                                         prediction_log_dir: Path) -> None:
    """The session's default server has no GOOGLE_CLOUD_PROJECT: no trace beats a wrong one."""
    record = _logged(server, prediction_log_dir, {"traceparent": f"00-{TRACE}-{SPAN}-01",
                                                  "X-Cloud-Trace-Context": f"{TRACE}/1;o=1"})
    assert {TRACE_FIELD, SPAN_FIELD, SAMPLED_FIELD}.isdisjoint(record)


def _format(level: int) -> dict[str, object]:
    record = logging.LogRecord("serving.errors", level, __file__, 1, "unhandled error: %s",
                               ("boom",), None)
    return dict(json.loads(JsonFormatter().format(record)))


def test_a_service_line_written_while_serving_a_traced_request_carries_its_trace() -> None:
    app = Flask("trace-format-test")
    fields = {TRACE_FIELD: f"projects/{PROJECT}/traces/{TRACE}", SPAN_FIELD: SPAN,
              SAMPLED_FIELD: True}
    with app.test_request_context("/predict"):
        g.trace_fields = fields
        line = _format(logging.ERROR)
    assert {key: line[key] for key in fields} == fields
    assert (line["severity"], line["message"]) == ("ERROR", "unhandled error: boom")
    assert RFC3339_UTC.fullmatch(str(line["time"]))


def test_a_service_line_outside_a_request_has_no_trace() -> None:
    line = _format(logging.WARNING)
    assert set(line) == {"severity", "time", "logger", "message"}
    assert line["severity"] == "WARNING"
