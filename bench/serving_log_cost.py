"""CPU cost of one prediction-log record: stdlib QueueHandler/QueueListener vs serving's writer.

The alternative is what the standard library offers: a queue, a `QueueListener` thread, a
`FileHandler` whose formatter runs `json.dumps`, one write and flush per record. Serving's
`PredictionLog` appends to a deque and writes batches every 0.1 s (`serving/prediction_log.py`).
Both write the same 100,000 records to a temporary file; printed per record: time spent in the
caller (the request thread) and total process CPU (caller + writer thread).
Run: python bench/serving_log_cost.py
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import tempfile
import time
from collections.abc import Callable
from logging.handlers import QueueListener
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts.cloud_logging import trace_fields
from contracts.prediction_log import prediction_record
from serving.prediction_log import PredictionLog

RECORDS = 100_000
RECORD = prediction_record(
    time="2026-11-27T12:15:47.854000Z", request_id="c4eb62283f914995a8ac1c3e4ea0f67d",
    ticket_id=None, model_name="ticket_urgency", model_version="1", variant="production",
    endpoint="/predict",
    features={"title": "Checkout down for all customers",
              "description": "Payments fail since 9:00, please escalate immediately.",
              "source": "phone", "customer_tier": "premium"},
    urgency_probability=0.9575996827107996, urgent=True, threshold=0.9407328375292329,
    latency_ms=0.124,
    trace=trace_fields("bench-project", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
                       True))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record.msg, separators=(",", ":"))


class _DictListener(QueueListener):
    def prepare(self, record: Any) -> logging.LogRecord:
        return logging.makeLogRecord({"msg": record})


def stdlib_listener(path: Path) -> tuple[float, float]:
    """Caller and total CPU microseconds per record through QueueListener + FileHandler."""
    records: queue.Queue[dict[str, object]] = queue.Queue(RECORDS + 1)
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(_JsonFormatter())
    listener = _DictListener(records, handler)
    listener.start()

    def close() -> None:
        listener.stop()
        handler.close()

    return _timed(records.put_nowait, close)


def serving_writer(path: Path) -> tuple[float, float]:
    """Caller and total CPU microseconds per record through serving's PredictionLog."""
    log = PredictionLog(path.open("wb"))
    return _timed(log.write, log.close)


def _timed(write: Callable[[dict[str, object]], None],
           close: Callable[[], None]) -> tuple[float, float]:
    cpu = time.process_time()
    caller = 0.0
    for number in range(RECORDS):
        started = time.perf_counter()
        write(dict(RECORD))
        caller += time.perf_counter() - started
        if number % 200 == 0:
            time.sleep(0)  # yield, as a server does between requests
    close()
    return caller / RECORDS * 1e6, (time.process_time() - cpu) / RECORDS * 1e6


def main() -> None:
    """Print both writers' cost per record, twice each, alternating."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, writer in (("QueueHandler/QueueListener", stdlib_listener),
                             ("serving PredictionLog", serving_writer)) * 2:
            path = Path(tmp) / "log.jsonl"
            caller, total = writer(path)
            lines = sum(1 for _ in path.open("rb"))
            print(f"{name:28} caller {caller:5.2f} us/record  total CPU {total:5.2f} us/record"
                  f"  ({lines} lines)")


if __name__ == "__main__":
    main()
