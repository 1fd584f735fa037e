"""Wall time and peak memory of a monitoring run over 100k (--records) logged predictions
against a 50k-row reference.

Sets up a throw-away SQLite store with a trained, promoted model, writes 100,000 prediction
records (synthetic tickets scored by that model, in four files as four serving workers would) and
a 50,000-row reference file, then times `python -m mlflow_project.monitoring` end to end (start-up,
model load, checks, report, MLflow logging) with each engine. Target: <= 30 s wall.
Baseline named in the output: `json.loads` of every log line in this process, the floor of any
reader (ratio = run time / baseline).
Run: make bench-monitor (or python bench/monitor_speed.py --records 1000000: a busy day)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

TARGET_SECONDS = 30.0
LOG_RECORDS = 100_000
REFERENCE_ROWS = 50_000
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)


def prepare(folder: Path, log_records_count: int) -> tuple[Path, Path]:
    """Train and promote a model, write the logs and the reference; return their paths."""
    import mlflow
    from mlflow import MlflowClient

    from contracts.model_uri import PRODUCTION, default_model_uri
    from demo.tickets import GeneratorConfig, generate_tickets
    from demo.traffic import log_records, write_jsonl
    from mlflow_project.data.io import write_table
    from mlflow_project.monitoring.watched_model import find_version, load_watched_model
    from mlflow_project.registry.store import move_alias
    from mlflow_project.settings import ProjectSettings
    from mlflow_project.training.config import TrainConfig
    from mlflow_project.training.job import train

    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    write_table(generate_tickets(GeneratorConfig(rows=5000, seed=42)), str(folder / "train.csv"))
    outcome = train(TrainConfig(data=str(folder / "train.csv"), experiment_name="bench"),
                    ProjectSettings(actor="bench"))
    move_alias(MlflowClient(), ProjectSettings.load().model_name, PRODUCTION,
               str(outcome.version), actor="bench", reason="bench-monitor")
    model = load_watched_model(find_version(default_model_uri()))
    reference = folder / "reference.csv"
    write_table(generate_tickets(GeneratorConfig(rows=REFERENCE_ROWS, seed=1)), str(reference))
    tickets = generate_tickets(GeneratorConfig(rows=log_records_count, seed=2))
    records = log_records(tickets, model.scorer, model_name=model.name,
                          model_version=model.version, start=SINCE, end=UNTIL, seed=2)
    quarter = log_records_count // 4
    for worker in range(4):
        write_jsonl(records[worker * quarter:(worker + 1) * quarter],
                    folder / "logs" / f"predictions-host-{worker}.jsonl")
    return folder / "logs", reference


def parse_baseline(logs: Path) -> float:
    """Seconds to read and `json.loads` every line: what any reader must at least spend."""
    start = time.perf_counter()
    for path in sorted(logs.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            json.loads(line)
    return time.perf_counter() - start


# Runs the monitor as `python -m mlflow_project.monitoring` would, and at exit writes its own peak
# RSS (VmHWM): a forked child's ru_maxrss would count this bench's memory from before the exec.
PEAK_WRAPPER = """
import atexit, runpy, sys
def _peak(path=sys.argv.pop(1)):
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    open(path, "w").write(line.split()[1])
atexit.register(_peak)
runpy.run_module("mlflow_project.monitoring", run_name="__main__", alter_sys=True)
"""


def timed_run(logs: Path, reference: Path, out: Path,
              engine: str) -> tuple[float, float, float, dict]:
    """Wall and CPU seconds and peak RSS (MB) of one monitoring run as a fresh process, and its
    summary.

    CPU time is reported too because wall time on a shared machine includes waiting for cores.
    """
    peak_file = out.parent / f"peak-{engine}"
    command = [sys.executable, "-c", PEAK_WRAPPER, str(peak_file), "--logs", str(logs),
               "--reference", str(reference), "--since", SINCE.isoformat(), "--until",
               UNTIL.isoformat(), "--engine", engine, "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0, 10):
        raise SystemExit(f"monitoring run failed ({result.returncode}): {result.stderr[-2000:]}")
    peak_mb = int(peak_file.read_text()) / 1024
    return seconds, cpu, peak_mb, json.loads((out / "summary.json").read_text())

def main() -> None:
    """Print the run time per engine against the parse-only baseline and the target."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=LOG_RECORDS)
    records = parser.parse_args().records
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlflow.db"
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        print(f"preparing {records:,} log records and a {REFERENCE_ROWS:,}-row reference...")
        logs, reference = prepare(folder, records)
        baseline = parse_baseline(logs)
        print(f"\nbaseline: json.loads of {records:,} lines: {baseline:.2f} s\n")
        print(f"{'engine':8} {'wall s':>7} {'cpu s':>6} {'ratio':>6} {'target':>7} "
              f"{'peak MB':>8}  stages (wall s)")
        for engine in ("alibi", "scipy"):
            seconds, cpu, peak, summary = timed_run(logs, reference, folder / f"out-{engine}",
                                                    engine)
            assert summary["counts"]["records"] == records
            stages = ", ".join(f"{k} {v:.1f}" for k, v in summary["timings_seconds"].items())
            verdict = "ok" if seconds <= TARGET_SECONDS else "SLOW"
            print(f"{engine:8} {seconds:7.1f} {cpu:6.1f} {seconds / baseline:6.1f} "
                  f"{verdict:>7} {peak:8.0f}  {stages}")


if __name__ == "__main__":
    main()
