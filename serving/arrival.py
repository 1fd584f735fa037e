"""One HTTP/1.x request as it arrives, judged without blocking: complete, not yet, or refused.

`serving.worker` feeds the bytes a connection delivers into an `Arrival` on its event loop; only a
complete request goes to a thread. The header block is parsed by gunicorn's own parser, so the
framing decided here (Content-Length or chunked, and every refusal of ambiguous framing) is the
one gunicorn applies; a chunked body is followed by `ChunkedScanner`, which applies gunicorn's
chunk rules incrementally. A request is refused (`Refused`, answered by the worker) when its
header block, its body or its chunked framing breaks a limit or a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from gunicorn import http
from gunicorn.http.body import ChunkedReader
from gunicorn.http.errors import NoMoreData, UnsupportedTransferCoding

HEADER_LIMIT = 64 * 1024  # request line + headers; the API needs a few hundred bytes
LINE_LIMIT = 8 * 1024  # one chunk-size line (with extensions), or the trailer section
MAX_CHUNKS = 10_000  # each costs the event loop some Python steps: 1-byte chunks would hog it
HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class Refused(Exception):
    """A request the worker answers itself (status, error, field, rule), then closes."""

    def __init__(self, status: int, error: str, field: str, rule: str) -> None:
        super().__init__(f"{status} {error}: {field} {rule}")
        self.status = status
        self.error = error
        self.field = field
        self.rule = rule


def too_large(max_body_bytes: int) -> Refused:
    """The 413 of a body over MAX_BODY_BYTES, worded as the app words it."""
    return Refused(413, "request entity too large", "body", f"at most {max_body_bytes} bytes")


def bad_chunking(rule: str) -> Refused:
    """The 400 of a body whose chunked framing is broken."""
    return Refused(400, "bad request", "Transfer-Encoding", f"chunked body: {rule}")


class Progress(enum.Enum):
    """What `Arrival.receive` found."""

    INCOMPLETE = "incomplete"
    CONTINUE = "continue"  # headers read, the client waits for "100 Continue" before the body
    COMPLETE = "complete"


class _Chunk(enum.Enum):
    SIZE = "size"
    DATA = "data"
    DATA_END = "data-end"
    TRAILERS = "trailers"


class ChunkedScanner:
    """Where a chunked body ends, found as its bytes arrive (RFC 9112 7.1, gunicorn's rules).

    `scan` resumes where it stopped, so a body that trickles in costs linear time. The decoded
    size is counted: past `max_body_bytes` the body is refused as too large, as is an encoding
    so wasteful (long extensions) that its raw bytes pass `raw_limit`; more than MAX_CHUNKS
    chunks are refused as bad framing (a client streaming 1-byte chunks would keep the worker's
    event loop busy).
    """

    def __init__(self, start: int, max_body_bytes: int) -> None:
        self.position = start
        self.start = start
        self.max_body_bytes = max_body_bytes
        self.raw_limit = 2 * max_body_bytes + LINE_LIMIT
        self.decoded = 0
        self.chunks = 0
        self.remaining = 0
        self.state = _Chunk.SIZE
        self.end: int | None = None
        self._steps: dict[_Chunk, Callable[[bytearray], bool]] = {
            _Chunk.SIZE: self._size_line, _Chunk.DATA: self._data,
            _Chunk.DATA_END: self._data_end, _Chunk.TRAILERS: self._trailers}

    def scan(self, buffer: bytearray) -> int | None:
        """The index just past the body's end in `buffer`, or None while it is incomplete."""
        if len(buffer) - self.start > self.raw_limit:
            raise too_large(self.max_body_bytes)
        while self.end is None:
            if not self._steps[self.state](buffer):  # each step: True once it moved on
                return None
        return self.end

    def _size_line(self, buffer: bytearray) -> bool:
        end = buffer.find(b"\r\n", self.position)
        if end < 0:
            if len(buffer) - self.position > LINE_LIMIT:
                raise bad_chunking(f"a chunk-size line is longer than {LINE_LIMIT} bytes")
            return False
        size = chunk_size(bytes(buffer[self.position:end]))
        self.position = end + 2
        self.chunks += 1
        if self.chunks > MAX_CHUNKS:
            raise bad_chunking(f"at most {MAX_CHUNKS} chunks")
        self.decoded += size
        if self.decoded > self.max_body_bytes:
            raise too_large(self.max_body_bytes)
        self.remaining = size
        self.state = _Chunk.DATA if size else _Chunk.TRAILERS
        return True

    def _data(self, buffer: bytearray) -> bool:
        taken = min(self.remaining, len(buffer) - self.position)
        self.position += taken
        self.remaining -= taken
        if self.remaining:
            return False
        self.state = _Chunk.DATA_END
        return True

    def _data_end(self, buffer: bytearray) -> bool:
        if len(buffer) - self.position < 2:
            return False
        if buffer[self.position:self.position + 2] != b"\r\n":
            raise bad_chunking("chunk data must end with CRLF")
        self.position += 2
        self.state = _Chunk.SIZE
        return True

    def _trailers(self, buffer: bytearray) -> bool:
        if len(buffer) - self.position < 2:
            return False
        if buffer[self.position:self.position + 2] == b"\r\n":
            self.end = self.position + 2
            return True
        end = buffer.find(b"\r\n\r\n", self.position)
        if end >= 0:
            self.end = end + 4
            return True
        if len(buffer) - self.position > LINE_LIMIT:
            raise bad_chunking(f"the trailer section is longer than {LINE_LIMIT} bytes")
        return False


def chunk_size(line: bytes) -> int:
    """The size on a chunk-size line, with gunicorn's rules (hex digits, extensions allowed)."""
    size, separator, extension = line.partition(b";")
    if separator:
        if b"\r" in extension:
            raise bad_chunking("a chunk extension holds a bare CR")
        size = size.rstrip(b" \t")
    if not size or any(byte not in HEX_DIGITS for byte in size):
        raise bad_chunking(f"invalid chunk size {size[:32]!r}")
    return int(size, 16)


class Arrival:
    """The bytes of one request received so far, and what its framing says about them.

    `receive` takes each new piece and answers `Progress`; it raises `Refused`, or gunicorn's
    own `ParseException` for a header block gunicorn refuses (the worker answers those as
    gunicorn does: 400, 417 or 431). Once COMPLETE, `request` is gunicorn's parsed request
    whose body reads from memory, and `pipelined` says whether the client already sent bytes of
    a next request.
    """

    def __init__(self, cfg: Any, client: Any, max_body_bytes: int) -> None:
        self.cfg = cfg
        self.client = client
        self.max_body_bytes = max_body_bytes
        self.buffer = bytearray()
        self.request: Any = None
        self.pipelined = False
        self._searched = 0
        self._body_start = 0
        self._length = 0
        self._chunks: ChunkedScanner | None = None

    def header(self, name: str) -> str | None:
        """The value of header `name` once the header block is parsed, else None."""
        if self.request is None:
            return None
        wanted = name.upper()
        return next((value for key, value in self.request.headers if key == wanted), None)

    def receive(self, data: bytes) -> Progress:
        """Add `data`; say whether the request is complete (or waits for "100 Continue")."""
        self.buffer += data
        first_look = self.request is None
        if first_look and not self._parse_headers():
            return Progress.INCOMPLETE
        request: Any = self.request
        end = self._body_end()
        if first_look:
            # gunicorn would send "100 Continue" itself when the app runs: too late here
            waits = end is None and request._expected_100_continue
            request._expected_100_continue = False
            if waits:
                return Progress.CONTINUE
        if end is None:
            return Progress.INCOMPLETE
        self.pipelined = len(self.buffer) > end
        request.unreader.unread(bytes(self.buffer[self._body_start:end]))
        return Progress.COMPLETE

    def _parse_headers(self) -> bool:
        """Parse the header block once it is complete; False while it is not."""
        end = self.buffer.find(b"\r\n\r\n", max(0, self._searched - 3))
        if end < 0:
            self._searched = len(self.buffer)
        if (len(self.buffer) if end < 0 else end + 4) > HEADER_LIMIT:
            raise Refused(431, "request header fields too large", "headers",
                          f"request line and headers take at most {HEADER_LIMIT} bytes")
        if end < 0:
            return False
        self._body_start = end + 4
        parser = http.get_parser(self.cfg, [bytes(self.buffer[:self._body_start])], self.client)
        try:
            self.request = next(parser)
        except UnsupportedTransferCoding:  # RFC 9112 6.1: chunked must be last, else 400
            raise Refused(400, "bad request", "Transfer-Encoding",
                          "chunked is the only transfer coding accepted") from None
        except NoMoreData:  # e.g. a header block of blank lines only
            raise Refused(400, "bad request", "request",
                          "no request line and headers before the blank line") from None
        reader = self.request.body.reader
        if isinstance(reader, ChunkedReader):
            self._chunks = ChunkedScanner(self._body_start, self.max_body_bytes)
        else:  # gunicorn gives a request without a declared length a LengthReader of 0
            self._length = reader.length
            if self._length > self.max_body_bytes:
                raise too_large(self.max_body_bytes)
        return True

    def _body_end(self) -> int | None:
        """Index just past the body in the buffer, or None while it is incomplete."""
        if self._chunks is not None:
            return self._chunks.scan(self.buffer)
        end = self._body_start + self._length
        return end if len(self.buffer) >= end else None
