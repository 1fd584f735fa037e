"""Serving benchmark: this service under gunicorn vs `mlflow models serve`, same model, same run.

Trains (or reuses, with --store) one `<TU_MODEL_NAME>@production` model in a SQLite store, starts
a real `mlflow server` on that store, then starts each server on a free loopback port with ONE
worker, records the time from process start to the first 200 on its readiness endpoint (/ping
for MLflow, /ready for ours), drives it with wrk (`-t1 -c1` and `-t2 -c8`; wrk needs threads <=
connections) POSTing one ticket, and reads the RSS of its process tree. MLflow gets
`{"dataframe_records": [ticket]}` on /invocations; ours gets the ticket on /predict. Rows:
  mlflow models serve         the baseline: -m models:/<TU_MODEL_NAME>@production -w 1
  ours, log off               PREDICTION_LOG=off
  ours, log on                PREDICTION_LOG=stdout (the default; stdout goes to a file here)
  ours, baked model           MODEL_URI=<folder from serving.bake_model> (the Cloud Run image flow)
  mlflow serve, server        the baseline again, MLFLOW_TRACKING_URI=<the mlflow server>
  ours, server                log on, MLFLOW_TRACKING_URI=<the mlflow server> (the real stack's
                              way, as docker-compose.yml's serving; artifacts are read from disk)
The first four read the SQLite store directly (the embedded default). Ratios are ours / mlflow,
each against the baseline with the same MLFLOW_TRACKING_URI; beside them, the time a fresh Python
takes to read the alias from the SQLite store with MLflow's client alone (the floor of the
embedded `models:/` rows). `--profile` adds a py-spy profile of our worker at -c8 and the model's
share of request time. Not a test: it prints numbers and fails only if a server does.
Run: make bench-serving   (needs wrk: apt-get install wrk)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from contracts.model_uri import default_model_uri

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving_support import (
    BIN,
    TICKET,
    Server,
    WrkResult,
    free_port,
    run_wrk,
    tracking_env,
    trained_and_baked,
    wrk_missing,
)

HANDLE_FRAMES = ("ThreadWorker.handle (", "BufferingWorker.handle (")
MODEL_FRAMES = ("RecordScorer.predict_records", "TicketUrgencyModel.predict_records")
READ_ALIAS = ("from mlflow import MlflowClient; "
              "MlflowClient().get_model_version_by_alias({name!r}, {alias!r}); "
              "print('read', flush=True)")


def tracking_server(store: Path, logs: Path) -> Server:
    """A real `mlflow server` on the SQLite store (one worker)."""
    port = free_port()
    return Server("mlflow server", [str(BIN / "mlflow"), "server", "--backend-store-uri",
                                    f"sqlite:///{store / 'mlflow.db'}", "--host", "127.0.0.1",
                                    "--port", str(port), "--workers", "1"],
                  tracking_env(store), "/health", "", "", port, logs)


def servers(store: Path, baked: Path, logs: Path, server_url: str) -> list[Server]:
    """The six configurations, each on its own free port."""
    embedded = tracking_env(store)
    remote = {**embedded, "MLFLOW_TRACKING_URI": server_url}
    log_on = {"PREDICTION_LOG": "stdout"}
    return [_mlflow_serve("mlflow models serve", embedded, logs),
            _ours("ours, log off", {**embedded, "PREDICTION_LOG": "off"}, logs),
            _ours("ours, log on", {**embedded, **log_on}, logs),
            _ours("ours, baked model", {**embedded, **log_on, "MODEL_URI": str(baked)}, logs),
            _mlflow_serve("mlflow serve, server", remote, logs),
            _ours("ours, server", {**remote, **log_on}, logs)]


def _mlflow_serve(name: str, env: dict[str, str], logs: Path) -> Server:
    port = free_port()
    return Server(name, [str(BIN / "mlflow"), "models", "serve", "-m", default_model_uri(),
                         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
                  env, "/ping", "/invocations", json.dumps({"dataframe_records": [TICKET]}),
                  port, logs)


def _ours(name: str, env: dict[str, str], logs: Path) -> Server:
    port = free_port()
    return Server(name, [str(BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"],
                  {**env, "PORT": str(port), "HOST": "127.0.0.1", "GUNICORN_WORKERS": "1"},
                  "/ready", "/predict", json.dumps(TICKET), port, logs)


@dataclass(frozen=True)
class Measurement:
    """One server's numbers."""

    ready_s: float
    c1: WrkResult
    c8: WrkResult
    rss_mb: float


def measure(server: Server, seconds: int, profile: Path | None) -> Measurement:
    """Time to ready, wrk at c1 and c8, RSS; optionally a py-spy profile during another c8."""
    try:
        ready = server.start()
        single = run_wrk(server, 1, seconds)
        eight = run_wrk(server, 8, seconds)
        rss = server.rss_mb()
        if profile is not None:
            _profile(server, seconds, profile)
    finally:
        server.stop()
    return Measurement(ready, single, eight, rss)


def _profile(server: Server, seconds: int, out: Path) -> None:
    worker = server.pids()[-1]  # gunicorn's one worker, the master's child
    spy = subprocess.Popen([str(BIN / "py-spy"), "record", "-p", str(worker), "-d", str(seconds),
                            "-r", "400", "-f", "raw", "-o", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_wrk(server, 8, seconds + 1)
    spy.wait()


def log_overhead(off: Server, on: Server, rounds: int,
                 seconds: int) -> dict[str, tuple[float, float]]:
    """Medians at -c8 with the log off and on: req/s, p50, p99 and server CPU per request.

    Run-to-run noise on a shared 2-core machine is larger than the log's cost, so the two
    configurations are measured alternately, `rounds` times each; CPU per request is the figure
    least disturbed by other load.
    """
    samples: dict[str, list[WrkResult]] = {off.name: [], on.name: []}
    for _ in range(rounds):
        for server in (off, on):
            try:
                server.start()
                samples[server.name].append(run_wrk(server, 8, seconds))
            finally:
                server.stop()
    return {field: (statistics.median(getattr(r, field) for r in samples[off.name]),
                    statistics.median(getattr(r, field) for r in samples[on.name]))
            for field in ("requests_per_second", "p50_ms", "p99_ms", "cpu_us_per_request")}


def profile_summary(raw: Path) -> tuple[float, list[tuple[str, float]]]:
    """The model's share of request-handling samples, and the top functions by inclusive share.

    Only stacks inside the worker's `handle` (gthread's `ThreadWorker`, or the service's
    `BufferingWorker`: app and write) count: the poller and idle pool threads are not request
    time.
    """
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        frames = {re.sub(r":\d+\)", ")", frame) for frame in stack.split(";")}
        if not any(f.startswith(HANDLE_FRAMES) for f in frames):
            continue
        total += int(count)
        inclusive.update(dict.fromkeys(frames, int(count)))
    model = sum(n for f, n in inclusive.items()
                if f.startswith(MODEL_FRAMES))
    top = [(f, n / total) for f, n in inclusive.most_common(25)]
    return (model / total if total else 0.0), top


def alias_read_seconds(store: Path, runs: int = 3) -> float:
    """Best wall time of a fresh Python that only reads the production alias with MLflow's
    client: the floor under any server that resolves `models:/...@production` through MLflow."""
    name, alias = default_model_uri().removeprefix("models:/").split("@")
    command = [sys.executable, "-c", READ_ALIAS.format(name=name, alias=alias)]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with subprocess.Popen(command, env=tracking_env(store), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) as child:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "read":
                raise RuntimeError("reading the alias with MLflow's client failed")
            times.append(time.perf_counter() - started)  # until read, not until exit
    return min(times)


def print_table(results: dict[str, Measurement], alias_read_s: float) -> None:
    """One row per server, then the ratios against the baseline and the log's overhead."""
    print(f"\n{'server':22} {'ready s':>8} {'RSS MB':>7} | {'c1 req/s':>9} {'p50 ms':>7} "
          f"{'p99 ms':>7} | {'c8 req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10} "
          f"{'fail':>5}")
    for name, row in results.items():
        c1, c8 = row.c1, row.c8
        print(f"{name:22} {row.ready_s:8.2f} {row.rss_mb:7.0f} | "
              f"{c1.requests_per_second:9.0f} {c1.p50_ms:7.2f} {c1.p99_ms:7.2f} | "
              f"{c8.requests_per_second:9.0f} {c8.p50_ms:7.2f} {c8.p99_ms:7.2f} "
              f"{c8.cpu_us_per_request:10.0f} {c1.failures + c8.failures:5d}")
    base, ours = results["mlflow models serve"], results["ours, log on"]
    baked = results["ours, baked model"]
    remote_base, remote = results["mlflow serve, server"], results["ours, server"]
    print("\nours (log on) / mlflow models serve, at -c8:")
    print(f"  throughput  {ours.c8.requests_per_second / base.c8.requests_per_second:6.2f}x"
          "   (target >= 5)")
    print(f"  p99 latency {ours.c8.p99_ms / base.c8.p99_ms:6.3f}    (target <= 0.2)")
    print(f"  ready       {ours.ready_s / base.ready_s:6.3f}    (target <= 0.333); "
          f"baked model: {baked.ready_s / base.ready_s:.3f}; through the mlflow server: "
          f"{remote.ready_s / remote_base.ready_s:.3f}")
    print(f"  CPU/request {ours.c8.cpu_us_per_request / base.c8.cpu_us_per_request:6.3f}")
    print(f"  a fresh Python reading the alias from SQLite with MLflow's client alone: "
          f"{alias_read_s:.2f} s ({alias_read_s / base.ready_s:.3f} of mlflow's ready), the "
          "floor of the embedded models:/ rows")


def main() -> int:
    """Run every configuration and print the table (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--store", type=Path, help="reuse this store folder (kept)")
    parser.add_argument("--profile", action="store_true", help="py-spy profile of our worker")
    parser.add_argument("--log-rounds", type=int, default=3,
                        help="alternating log off/on runs for the log's overhead (0: skip)")
    args = parser.parse_args()
    if wrk_missing():
        return 2
    if args.profile and not (BIN / "py-spy").exists():
        print("py-spy is missing: pip install py-spy", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        store, baked = trained_and_baked(Path(tmp), args.store)
        logs = Path(tmp) / "logs"
        logs.mkdir()
        results = {}
        registry = tracking_server(store, logs)
        registry.start()
        try:
            configured = {server.name: server
                          for server in servers(store, baked, logs, registry.url(""))}
            for name, server in configured.items():
                print(f"measuring {name} ...", file=sys.stderr, flush=True)
                profile = Path(tmp) / "profile.txt" \
                    if args.profile and name == "ours, log on" else None
                results[name] = measure(server, args.seconds, profile)
        finally:
            registry.stop()
        print_table(results, alias_read_seconds(store))
        if args.log_rounds:
            print(f"measuring the prediction log, {args.log_rounds} rounds ...", file=sys.stderr)
            medians = log_overhead(configured["ours, log off"], configured["ours, log on"],
                                   args.log_rounds, args.seconds)
            print(f"\nprediction log, median of {args.log_rounds} alternating -c8 runs:")
            for field, (off, on) in medians.items():
                print(f"  {field:20} off {off:9.2f}  on {on:9.2f}  ({100 * (on / off - 1):+.1f}%)")
        if args.profile:
            share, top = profile_summary(Path(tmp) / "profile.txt")
            print(f"\nmodel (predict_records) share of request handling at -c8: {100 * share:.1f}%")
            for frame, fraction in top:
                print(f"  {100 * fraction:5.1f}%  {frame[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
