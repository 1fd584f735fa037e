"""Raw HTTP/1.1 over a socket, for requests no HTTP client library would send."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawAnswer:
    """A status, its headers and body, and whether the server closed the connection after it
    (checked only when the answer announces it: a kept-alive connection is not waited on)."""

    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def read_answer(client: socket.socket, timeout: float) -> RawAnswer:
    """Read one answer (skipping `100 Continue`); fail with `TimeoutError` if none comes."""
    client.settimeout(timeout)
    response = http.client.HTTPResponse(client)
    response.begin()
    body = response.read()
    headers = {name.lower(): value for name, value in response.getheaders()}
    return RawAnswer(response.status, headers, body, response.will_close and _closed(client))


def _closed(client: socket.socket) -> bool:
    """Whether the server has closed its side (EOF or reset) within the socket's timeout."""
    try:
        return client.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def exchange(port: int, raw: bytes, timeout: float = 5.0) -> RawAnswer:
    """Send `raw` on a new connection to 127.0.0.1:`port` and read the answer.

    The server may answer (413, 400, ...) and stop reading before `raw` is all sent: the answer
    is read all the same.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as client:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            client.sendall(raw)
        return read_answer(client, timeout)
