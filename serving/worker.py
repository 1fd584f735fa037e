"""gunicorn's `gthread` worker, except that no thread ever waits for a client.

Stock `gthread` hands a connection to a thread once its first bytes arrive, and the thread then
blocks reading the rest of the headers and the body: four clients that send headers and never
the body hold the four threads for good (`timeout = 0`), and nothing else, not even `/health`,
is answered. It also drains a closing connection on the worker's main loop, blocking it.

`BufferingWorker` receives each request on the worker's event loop instead, without blocking
(`serving.arrival`: gunicorn's own header parser, then the body as its framing says), and a
thread runs the app only once the whole request is in memory, so a thread never reads from the
socket. The loop answers by itself, then closes:
- 408 when a request is not complete CLIENT_TIMEOUT_SECONDS after its first byte;
- 413 for a body over MAX_BODY_BYTES, declared or counted while chunked, before it is read;
- 431 for a header block over 64 KiB, 400 for broken chunked framing, and gunicorn's own
  answers (400, 417, 501) for a header block gunicorn refuses.
Closing connections are drained on the loop (at most LINGER_SECONDS), and a thread's writes
time out after CLIENT_TIMEOUT_SECONDS, so a client that does not read cannot hold a thread either.

Idle connections (new ones that have not sent a byte yet, and kept-alive ones between requests)
wait on the loop too, oldest first, and are closed silently after KEEPALIVE_SECONDS. Stock
`gthread` stops accepting once MAX_CONNECTIONS (gunicorn's `worker_connections`) are open and
waits for one to close, so ~1,000 idle connections made every real request queue in the kernel's
backlog until idle ones timed out (10-20 s, measured by `make probe-connections`). Here the
worker instead closes the oldest idle connection to make room before it accepts a new one, as
nginx reuses its idle keep-alive connections: only connections with a request in progress count
against the cap, so an idle flood costs a real request one accept, not a timeout.

Plain HTTP/1.x only: Cloud Run terminates TLS and HTTP/2 is off in `gunicorn.conf.py`; with
either configured this worker behaves exactly as `gthread` does.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from concurrent.futures import Future
from functools import partial
from http import HTTPStatus
from typing import Any

from gunicorn.http.errors import NoMoreData, ParseException
from gunicorn.workers.gthread import ThreadWorker

from serving.arrival import Arrival, Progress, Refused
from serving.request_ids import REQUEST_ID_HEADER, request_id
from serving.schemas import ErrorDetail, ErrorResponse
from serving.settings import ServingSettings

RECV_BYTES = 64 * 1024
LINGER_SECONDS = 2.0
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
GONE = (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN)


def refusal_bytes(refused: Refused, request_id: str) -> bytes:
    """The whole HTTP answer to a refused request, as the app answers: the JSON error body and
    the request id (in the body and in X-Request-ID), then close."""
    body = ErrorResponse(error=refused.error, request_id=request_id, details=[
        ErrorDetail(field=refused.field, rule=refused.rule)]).model_dump_json().encode()
    head = (f"HTTP/1.1 {refused.status} {HTTPStatus(refused.status).phrase}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{REQUEST_ID_HEADER}: {request_id}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class BufferingWorker(ThreadWorker):
    """`gthread` whose threads only ever see complete requests (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = ServingSettings.load()
        self.client_timeout = settings.client_timeout_seconds
        self.max_body_bytes = settings.max_body_bytes
        self.buffering = not self.cfg.is_ssl and "h2" not in self.cfg.http_protocols
        self.idle_timeout = float(self.cfg.keepalive)
        self.idle: dict[Any, float] = {}  # no byte of a request yet: connection -> deadline
        self.arriving: dict[Any, float] = {}  # a request under way: connection -> deadline
        self.lingering: dict[socket.socket, tuple[float, int]] = {}  # -> deadline, bytes left

    # --- the event loop: receiving ----------------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        """Make room by closing the oldest idle connection if need be, then accept one."""
        if self.buffering:
            while self.nr_conns >= self.worker_connections - 1 and self.idle:
                self.drop(next(iter(self.idle)))
        super().accept(listener)

    def enqueue_req(self, conn: Any) -> None:
        """A new or kept-alive connection: wait for a request on the loop, not in a thread."""
        if not self.buffering:
            super().enqueue_req(conn)
            return
        conn.sock.setblocking(False)
        conn.arrival = Arrival(self.cfg, conn.client, self.max_body_bytes)
        self.idle[conn] = time.monotonic() + self.idle_timeout
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_arrival, conn))

    def on_arrival(self, conn: Any, _sock: socket.socket) -> None:
        """Bytes for a request being received: take them, then act on how far it got."""
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self.drop(conn)
            return
        if self.idle.pop(conn, None) is not None:  # a request starts: CLIENT_TIMEOUT_SECONDS
            self.arriving[conn] = time.monotonic() + self.client_timeout
        try:
            progress = conn.arrival.receive(data)
        except Refused as refused:
            self.refuse(conn, refused)
            return
        except ParseException as exc:  # a header block gunicorn refuses
            self.stop_receiving(conn)
            self.handle_error(None, conn.sock, conn.client, exc)
            self.nr_conns -= 1
            self.linger(conn.sock)
            return
        if progress is Progress.CONTINUE:
            self.send_quietly(conn.sock, CONTINUE)
        elif progress is Progress.COMPLETE:
            self.stop_receiving(conn)
            super().enqueue_req(conn)

    def stop_receiving(self, conn: Any) -> None:
        """Take a connection off the loop's idle or receiving list."""
        self.poller.unregister(conn.sock)
        if self.arriving.pop(conn, None) is None:
            del self.idle[conn]

    def drop(self, conn: Any) -> None:
        """Close a receiving connection without an answer (idle, or its client went away)."""
        self.stop_receiving(conn)
        self.nr_conns -= 1
        conn.sock.close()

    def refuse(self, conn: Any, refused: Refused) -> None:
        """Answer a request on the loop (408, 413, 431, 400) and close its connection."""
        self.stop_receiving(conn)
        self.log.info("refused a request from %s: %s", conn.client[0] if conn.client else "-",
                      refused)
        caller_id = conn.arrival.header(REQUEST_ID_HEADER)
        self.send_quietly(conn.sock, refusal_bytes(refused, request_id(caller_id)))
        self.nr_conns -= 1
        self.linger(conn.sock)

    @staticmethod
    def send_quietly(sock: socket.socket, data: bytes) -> None:
        """Send a short answer without blocking; a client that cannot take it loses it."""
        with contextlib.suppress(OSError):
            sock.send(data)

    def murder_pending(self) -> None:
        """Once per loop turn (gthread's hook for expiring connections): also close idle
        connections, refuse requests and end lingering past their deadlines."""
        super().murder_pending()
        now = time.monotonic()
        while self.idle and (next(iter(self.idle.values())) <= now or not self.alive):
            self.drop(next(iter(self.idle)))  # when stopping, at once: nothing is lost
        while self.arriving and next(iter(self.arriving.values())) <= now:
            self.refuse(next(iter(self.arriving)), Refused(408, "request timeout", "request", (
                f"the whole request must arrive within {self.client_timeout:g} s")))
        self.expire_lingering(now)

    # --- the event loop: closing ------------------------------------------------------------

    def finish_request(self, conn: Any, fs: Future[Any]) -> None:
        """A thread is done: wait for the next request on the loop (idle), else close by
        lingering on the loop."""
        if not self.buffering:
            super().finish_request(conn, fs)
        elif self.kept_alive(fs):
            self.enqueue_req(conn)
        else:
            self.nr_conns -= 1
            self.linger(conn.sock)

    def kept_alive(self, fs: Future[Any]) -> bool:
        """Whether the finished request leaves its connection open for another."""
        return (self.alive and not fs.cancelled() and fs.exception() is None
                and fs.result() is True)

    def linger(self, sock: socket.socket) -> None:
        """Close after the answer is sent: FIN first, then discard what the client still sends
        (closing with unread bytes would reset the connection and could lose the answer)."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
        except OSError:
            sock.close()
            return
        self.lingering[sock] = (time.monotonic() + LINGER_SECONDS, 2 * self.max_body_bytes)
        self.poller.register(sock, selectors.EVENT_READ, self.on_linger)

    def on_linger(self, sock: socket.socket) -> None:
        """Discard bytes from a closing connection; close it at EOF or when its budget is spent."""
        deadline, budget = self.lingering[sock]
        try:
            data = sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data and len(data) < budget:
            self.lingering[sock] = (deadline, budget - len(data))
            return
        self.end_linger(sock)

    def expire_lingering(self, now: float) -> None:
        """Close lingering connections whose time is up."""
        while self.lingering:
            sock, (deadline, _) = next(iter(self.lingering.items()))
            if deadline > now:
                break
            self.end_linger(sock)

    def end_linger(self, sock: socket.socket) -> None:
        """Stop lingering on `sock` and close it."""
        del self.lingering[sock]
        self.poller.unregister(sock)
        sock.close()

    # --- a thread: the app on a complete request ----------------------------------------

    def handle(self, conn: Any) -> Any:
        """Run the app on a complete request; True keeps the connection open for another."""
        arrival: Arrival | None = getattr(conn, "arrival", None)
        if arrival is None:  # TLS or HTTP/2: gthread's own way
            return super().handle(conn)
        conn.arrival = None
        conn.sock.settimeout(self.client_timeout)  # sending the answer is bounded too
        request = arrival.request
        try:
            return self.handle_request(request, conn) and not arrival.pipelined
        except (NoMoreData, StopIteration):
            return False
        except OSError as exc:
            if exc.errno not in GONE and not isinstance(exc, TimeoutError):
                self.log.exception("socket error answering a request")
            return False
        except Exception as exc:  # gunicorn's own answer to what the app could not handle
            self.handle_error(request, conn.sock, conn.client, exc)
            return False
