"""Soak benchmark: the service under steady load for a minute, with errors, latency and memory.

Trains (or reuses, with --store) `<TU_MODEL_NAME>@production`, bakes it as the image build does,
and starts `gunicorn -c serving/gunicorn.conf.py` with the image's settings (one worker, 4
threads, the baked model, PREDICTION_LOG=stdout into a file). wrk then POSTs one ticket to
/predict at concurrency 8 for 60 s (`--seconds`, `--connections`); meanwhile the RSS of the
master and of the worker is sampled every second. With `--slow-clients N`, N raw connections
that send headers and never the body are reopened as fast as the server cuts them off, for the
whole run, so the soak also shows that slow clients cost the others nothing.
Prints requests, errors (non-2xx, socket errors), req/s, p50/p99, and RSS at start, middle and
end with the end-minus-start growth. Exits 1 if any request failed, else 0.
Run: make bench-soak   (needs wrk: apt-get install wrk)
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving_support as support

SLOW_REQUEST = (b"POST /predict HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{")


@dataclass(frozen=True)
class MemorySample:
    """Seconds into the run and the RSS (MB) of gunicorn's master and of its worker."""

    at: float
    master_mb: float
    worker_mb: float


def sample_memory(server: support.Server, stop: threading.Event, every: float
                  ) -> list[MemorySample]:
    """RSS of master and worker every `every` seconds until `stop` is set."""
    samples: list[MemorySample] = []
    master, worker = server.pids()[0], server.pids()[-1]
    began = time.monotonic()
    while not stop.is_set():
        samples.append(MemorySample(time.monotonic() - began, support.rss_kb(master) / 1024,
                                    support.rss_kb(worker) / 1024))
        stop.wait(every)
    return samples


class SlowClients:
    """`count` stalled requests held open on `port`: each reopened as soon as it is cut off."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.stop = threading.Event()
        self.cut_off = 0  # answers of 408 received
        self.threads = [threading.Thread(target=self._hold, daemon=True) for _ in range(count)]

    def __enter__(self) -> SlowClients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)

    def _hold(self) -> None:
        while not self.stop.is_set():
            with socket.create_connection(("127.0.0.1", self.port)) as client:
                client.sendall(SLOW_REQUEST)
                client.settimeout(0.5)
                while not self.stop.is_set():
                    try:
                        answer = client.recv(4096)
                    except TimeoutError:
                        continue
                    self.cut_off += answer.startswith(b"HTTP/1.1 408")  # one thread per slot
                    break


def soak(server: support.Server, connections: int, seconds: int, slow: SlowClients
         ) -> tuple[support.WrkResult, list[MemorySample]]:
    """wrk for `seconds` while memory is sampled and the slow clients hang on."""
    stop = threading.Event()
    samples: list[MemorySample] = []
    sampler = threading.Thread(target=lambda: samples.extend(sample_memory(server, stop, 1.0)))
    sampler.start()
    try:
        with slow:
            result = support.run_wrk(server, connections, seconds)
    finally:
        stop.set()
        sampler.join()
    return result, samples


def report(result: support.WrkResult, samples: list[MemorySample], connections: int,
           seconds: int, slow: SlowClients) -> None:
    """Print the figures (see the module docstring)."""
    start, middle, end = samples[0], samples[len(samples) // 2], samples[-1]
    print(f"\nsoak: {seconds} s at concurrency {connections}")
    print(f"  requests     {result.requests}  ({result.requests_per_second:.0f} req/s)")
    print(f"  errors       {result.failures}")
    print(f"  latency      p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms")
    print(f"  server CPU   {result.cpu_us_per_request:.0f} us per request")
    for name, attribute in (("master", "master_mb"), ("worker", "worker_mb")):
        values = [getattr(s, attribute) for s in (start, middle, end)]
        print(f"  RSS {name:6}   start {values[0]:.1f} MB, middle {values[1]:.1f} MB, "
              f"end {values[2]:.1f} MB (growth {values[2] - values[0]:+.1f} MB)")
    if slow.threads:
        print(f"  slow clients {len(slow.threads)} held throughout; {slow.cut_off} cut off "
              "with 408")


def main() -> int:
    """Run the soak once and print its figures; exit 1 on any failed request."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="load duration")
    parser.add_argument("--connections", type=int, default=8, help="wrk concurrency")
    parser.add_argument("--slow-clients", type=int, default=0,
                        help="stalled requests held open during the run")
    parser.add_argument("--store", type=Path, help="reuse this store folder (kept)")
    args = parser.parse_args()
    if support.wrk_missing():
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        store, baked = support.trained_and_baked(Path(tmp), args.store)
        port = support.free_port()
        env = {**support.tracking_env(store), "PORT": str(port), "HOST": "127.0.0.1",
               "MODEL_URI": str(baked), "PREDICTION_LOG": "stdout", "CLIENT_TIMEOUT_SECONDS": "2"}
        server = support.Server("ours, baked model",
                                [str(support.BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"],
                                env, "/ready", "/predict", json.dumps(support.TICKET), port,
                                Path(tmp))
        try:
            server.start()
            print(f"soaking for {args.seconds} s ...", file=sys.stderr, flush=True)
            slow = SlowClients(port, args.slow_clients)
            result, samples = soak(server, args.connections, args.seconds, slow)
        finally:
            server.stop()
        report(result, samples, args.connections, args.seconds, slow)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
