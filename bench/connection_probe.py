"""Idle-connection probe: how long a real /predict waits while thousands of idle connections
are held open against the service.

Trains (or reuses, with --store) `<TU_MODEL_NAME>@production`, bakes it as the image build does,
and starts `gunicorn -c serving/gunicorn.conf.py` with the image's settings (one worker, 4
threads, the baked model). It times `--requests` predictions (each on a fresh connection, as a
client behind a proxy would) with no idle connection, then again while `--idle` loopback
connections that never send a byte are held open, each reopened as soon as the server closes it
(the flood of issue 23). Prints the worst /predict and /health latency of both phases and exits
1 if a /predict or /health of the flooded phase failed or took longer than `--goal` seconds.
Run: make probe-connections
"""

from __future__ import annotations

import argparse
import http.client
import json
import selectors
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

# the repository first: `serving` is the package there, not bench/serving.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import serving_support as support

from serving.open_files import raise_open_files_limit

HOST = "127.0.0.1"
SPARE_FILES = 256  # descriptors this process needs besides the idle connections
REQUEST_TIMEOUT = 30.0


class IdleFlood:
    """`count` connections to `port` that never send anything, reopened when the server
    closes them, until the context exits."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.reopened = 0
        self.selector = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._keep_open, daemon=True)

    def __enter__(self) -> IdleFlood:
        for _ in range(self.count):
            self._open()
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()

    def _open(self) -> None:
        """One idle connection (connect waits while the server's backlog is full)."""
        client = socket.create_connection((HOST, self.port), timeout=REQUEST_TIMEOUT)
        client.setblocking(False)
        self.selector.register(client, selectors.EVENT_READ)

    def _keep_open(self) -> None:
        """Reopen every connection the server closes (readable with EOF or reset)."""
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                self.selector.unregister(sock)
                sock.close()
                if self.stop.is_set():
                    return
                try:
                    self._open()
                    self.reopened += 1
                except OSError:
                    pass  # counted as not held; the flood stays bounded by `count`

    @property
    def held(self) -> int:
        """Connections open right now."""
        return len(self.selector.get_map())


def timed(port: int, method: str, path: str, body: bytes | None) -> tuple[int, float]:
    """(status, seconds) of one request on a fresh connection; status 0 if it failed."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        status = answer.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - began


def phase(port: int, requests: int) -> tuple[float, float, list[int]]:
    """Worst /predict and /health seconds over `requests` rounds, and every status seen."""
    body = json.dumps(support.TICKET).encode()
    worst_predict = worst_health = 0.0
    statuses = []
    for _ in range(requests):
        status, seconds = timed(port, "POST", "/predict", body)
        statuses.append(status)
        worst_predict = max(worst_predict, seconds)
        status, seconds = timed(port, "GET", "/health", None)
        statuses.append(status)
        worst_health = max(worst_health, seconds)
        time.sleep(0.2)
    return worst_predict, worst_health, statuses


def probe(port: int, idle: int, requests: int, goal: float) -> bool:
    """Print both phases; whether the flooded phase met the goal."""
    predict, health, statuses = phase(port, requests)
    print(f"  0 idle connections:     /predict worst {predict * 1000:7.1f} ms, "
          f"/health worst {health * 1000:7.1f} ms, statuses {sorted(set(statuses))}")
    with IdleFlood(port, idle) as flood:
        time.sleep(1.0)  # let the server take them all in
        predict, health, statuses = phase(port, requests)
        print(f"  {idle} idle connections: /predict worst {predict * 1000:7.1f} ms, "
              f"/health worst {health * 1000:7.1f} ms, statuses {sorted(set(statuses))} "
              f"({flood.held} held at the end, {flood.reopened} reopened after the server "
              "closed them)")
    met = set(statuses) == {200} and max(predict, health) <= goal
    print(f"  goal: every answer 200 within {goal:g} s while flooded: "
          f"{'met' if met else 'MISSED'}")
    return met


def main() -> int:
    """Start the service, probe it, stop it; exit 1 if the goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=int, default=2000, help="idle connections held open")
    parser.add_argument("--requests", type=int, default=10, help="timed requests per phase")
    parser.add_argument("--goal", type=float, default=1.0, help="worst latency allowed (s)")
    parser.add_argument("--store", type=Path, help="reuse this store folder (kept)")
    args = parser.parse_args()
    if not 0 < args.idle <= 20_000:
        parser.error("--idle must be between 1 and 20000")
    raise_open_files_limit(args.idle + SPARE_FILES)
    with tempfile.TemporaryDirectory() as tmp:
        store, baked = support.trained_and_baked(Path(tmp), args.store)
        port = support.free_port()
        env = {**support.tracking_env(store), "PORT": str(port), "HOST": HOST,
               "MODEL_URI": str(baked), "PREDICTION_LOG": "off"}
        server = support.Server("ours, baked model",
                                [str(support.BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"],
                                env, "/ready", "/predict", json.dumps(support.TICKET), port,
                                Path(tmp))
        try:
            server.start()
            print(f"probing {HOST}:{port} ...", flush=True)
            met = probe(port, args.idle, args.requests, args.goal)
        finally:
            server.stop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
