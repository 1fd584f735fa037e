"""Idle-connection floods against real gunicorn: 2,000 connections that never send a byte must
not keep a real request waiting (issue 23; the latency itself is measured by
`make probe-connections`, here a 10 s client timeout is only the hang guard).

Stock `gthread` stopped accepting at `worker_connections` (1,000) and every request waited in the
backlog until idle connections timed out; `BufferingWorker` closes the oldest idle connection to
make room instead. KEEPALIVE_SECONDS is 60 on this server, so any idle connection closed during
the test was closed to make room, not because it timed out.
"""

from __future__ import annotations

import http.client
import selectors
import socket
import time
from collections.abc import Iterator

import pytest

from serving.open_files import raise_open_files_limit
from tests.serving.conftest import TICKET, ModelStore, Server

pytestmark = pytest.mark.integration

IDLE = 2000
MAX_CONNECTIONS = 1000
KEEPALIVE = 60


@pytest.fixture(scope="module")
def crowded(model_store: ModelStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The image's settings, a long keep-alive and the default connection cap."""
    env = {**model_store.env(), "MODEL_URI": str(model_store.baked), "PREDICTION_LOG": "off",
           "KEEPALIVE_SECONDS": str(KEEPALIVE), "MAX_CONNECTIONS": str(MAX_CONNECTIONS)}
    running = Server(env, tmp_path_factory.mktemp("crowded-server")).start()
    yield running
    assert running.stop() == 0
    assert "Traceback" not in running.stderr()


@pytest.fixture
def idle_connections(crowded: Server) -> Iterator[list[socket.socket]]:
    """IDLE loopback connections to `crowded` that never send anything."""
    raise_open_files_limit(IDLE + 256)
    clients: list[socket.socket] = []
    try:
        for _ in range(IDLE):
            clients.append(socket.create_connection(("127.0.0.1", crowded.port), timeout=10))
        yield clients
    finally:
        for client in clients:
            client.close()


def _closed_by_server(clients: list[socket.socket], at_least: int, within: float) -> int:
    """How many of `clients` the server has closed (EOF or reset), waiting up to `within`
    seconds for `at_least` of them."""
    closed: set[socket.socket] = set()
    deadline = time.monotonic() + within
    with selectors.DefaultSelector() as selector:
        for client in clients:
            selector.register(client, selectors.EVENT_READ)
        while len(closed) < at_least and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                closed.add(key.fileobj)  # type: ignore[arg-type]
                selector.unregister(key.fileobj)
    return len(closed)


def test_real_requests_are_answered_while_2000_idle_connections_are_held(
        crowded: Server, idle_connections: list[socket.socket]) -> None:
    for _ in range(3):
        assert crowded.post("/predict", json=TICKET).status_code == 200
        assert crowded.get("/health").status_code == 200
    # the server holds at most MAX_CONNECTIONS: the oldest idle ones were closed to make room
    assert _closed_by_server(idle_connections, IDLE - MAX_CONNECTIONS, within=5) >= (
        IDLE - MAX_CONNECTIONS)


def test_a_kept_alive_connection_is_reused_then_closed_after_keepalive_seconds(
        guarded: Server) -> None:
    """`guarded` runs KEEPALIVE_SECONDS=1: two requests on one connection, then it is closed."""
    connection = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=10)
    try:
        for _ in range(2):
            connection.request("GET", "/health")
            answer = connection.getresponse()
            assert (answer.status, answer.will_close) == (200, False)
            answer.read()
            client = connection.sock
        assert client is connection.sock  # the same connection served both
        assert client.recv(100) == b""  # then closed by the server, well within the timeout
    finally:
        connection.close()
