"""Slow and oversized requests against real gunicorn: no client can stall the worker.

The server (`guarded`) runs the image's 4 threads with CLIENT_TIMEOUT_SECONDS=2. Slow clients
are raw sockets that send headers (and maybe part of a body) and then nothing; `/health` and
predictions must keep answering at once while they hang, and each slow request gets a 408.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.serving.conftest import TICKET, Server
from tests.serving.raw_http import exchange, read_answer

pytestmark = pytest.mark.integration

CLIENT_TIMEOUT = 2.0
THREADS = 4
LIMIT = 1_048_576
HEAD = ("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "{framing}\r\n\r\n")


def _slow_clients(server: Server) -> list[socket.socket]:
    """Twice as many stalled requests as there are threads, of every kind: headers with a
    declared body never sent, half a body, half a chunked body, half a header block."""
    partial = [
        HEAD.format(framing="Content-Length: 300").encode(),
        HEAD.format(framing="Content-Length: 300").encode() + b'{"title": "VPN',
        HEAD.format(framing="Transfer-Encoding: chunked").encode() + b"40\r\n{\"title\"",
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Ty",
    ]
    clients = []
    for index in range(2 * THREADS):
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(partial[index % len(partial)])
        clients.append(client)
    return clients


def test_slow_clients_never_stall_the_worker(guarded: Server) -> None:
    clients = _slow_clients(guarded)
    started = time.monotonic()
    try:
        latencies = []
        while time.monotonic() - started < CLIENT_TIMEOUT + 1:
            began = time.monotonic()
            assert guarded.get("/health").status_code == 200
            assert guarded.post("/predict", json=TICKET).status_code == 200
            latencies.append(time.monotonic() - began)
            time.sleep(0.1)
        assert len(latencies) >= 10
        assert max(latencies) < 1.0, latencies
        answers = [read_answer(client, timeout=CLIENT_TIMEOUT + 3) for client in clients]
    finally:
        for client in clients:
            client.close()
    assert [answer.status for answer in answers] == [408] * len(clients)
    assert all(answer.closed for answer in answers)
    assert answers[0].json()["details"] == [{
        "field": "request", "rule": f"the whole request must arrive within {CLIENT_TIMEOUT:g} s"}]
    assert time.monotonic() - started < CLIENT_TIMEOUT + 3


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(guarded: Server) -> None:
    """After KEEPALIVE_SECONDS (1 on `guarded`)."""
    with socket.create_connection(("127.0.0.1", guarded.port)) as idle:
        idle.settimeout(CLIENT_TIMEOUT + 3)
        began = time.monotonic()
        assert idle.recv(100) == b""
        assert time.monotonic() - began < CLIENT_TIMEOUT + 2


def test_a_trickled_body_within_the_deadline_is_served(guarded: Server) -> None:
    body = json.dumps(TICKET).encode()
    with socket.create_connection(("127.0.0.1", guarded.port)) as client:
        client.sendall(HEAD.format(framing=f"Content-Length: {len(body)}").encode())
        for start in range(0, len(body), 20):
            client.sendall(body[start:start + 20])
            time.sleep(0.02)
        answer = read_answer(client, timeout=5)
    assert answer.status == 200
    assert 0 <= answer.json()["urgency_probability"] <= 1


def test_expect_100_continue_gets_the_go_ahead_before_the_body(guarded: Server) -> None:
    body = json.dumps(TICKET).encode()
    with socket.create_connection(("127.0.0.1", guarded.port)) as client:
        client.settimeout(5)
        client.sendall(HEAD.format(
            framing=f"Content-Length: {len(body)}\r\nExpect: 100-continue").encode())
        assert client.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        client.sendall(body)
        answer = read_answer(client, timeout=5)
    assert answer.status == 200


def _chunks(payload: bytes, size: int = 65_536) -> Iterator[bytes]:
    for start in range(0, len(payload), size):
        yield payload[start:start + size]


def test_a_chunked_body_over_max_body_bytes_is_a_413(guarded: Server) -> None:
    """requests sends a generator as `Transfer-Encoding: chunked`, with no Content-Length."""
    padded = json.dumps(TICKET).encode() + b" " * (LIMIT + 100_000)  # valid JSON, 1.1 MB
    garbage = b"x" * (LIMIT + 100_000)
    for payload in (padded, garbage):
        answer = requests.post(guarded.base + "/predict", data=_chunks(payload), timeout=10,
                               headers={"Content-Type": "application/json"})
        assert answer.status_code == 413
        assert answer.json()["details"] == [{"field": "body", "rule": f"at most {LIMIT} bytes"}]
    within = requests.post(guarded.base + "/predict", data=_chunks(json.dumps(TICKET).encode()),
                           timeout=10, headers={"Content-Type": "application/json"})
    assert within.status_code == 200


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(guarded: Server) -> None:
    framing = f"Content-Length: {LIMIT + 1}\r\nX-Request-ID: upload-7"
    answer = exchange(guarded.port, HEAD.format(framing=framing).encode())
    assert answer.status == 413
    assert answer.closed
    assert answer.headers["x-request-id"] == answer.json()["request_id"] == "upload-7"


def test_refusals_under_load_leave_the_threads_free(guarded: Server) -> None:
    """64 oversized chunked uploads at once, then predictions still answer at once."""
    payload = b"x" * (LIMIT + 1)

    def upload(_: int) -> int:
        return requests.post(guarded.base + "/predict", data=_chunks(payload), timeout=20,
                             headers={"Content-Type": "application/json"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(upload, range(64)))
    assert statuses == [413] * 64
    began = time.monotonic()
    assert guarded.post("/predict", json=TICKET).status_code == 200
    assert time.monotonic() - began < 1.0

