"""Batch scoring: `make batch-predict` as a user runs it vs the plain pyfunc way, in the same run.

Trains a model on 5k synthetic tickets into a throw-away store (registered as
<TU_MODEL_NAME>@production), writes ROWS synthetic tickets (default 200,050, of which
BROKEN=50 break the data contract) as CSV, then measures, alternating, REPEATS (default 2)
times each on the same model and the same file:
  make batch-predict  `make batch-predict INPUT=... OUTPUT=....csv` in a child: the whole process
                      tree make starts (contract checks, scoring, rejects file, the MLflow run)
  plain pyfunc        `mlflow.pyfunc.load_model("models:/<name>@production")`, one `predict` on
                      the whole frame `pandas.read_csv` gives, `to_csv` (no checks, no rejects,
                      no run), in a fresh Python process
Wall seconds are from start to exit; CPU seconds (user + system, the whole tree) are printed
beside them, as they vary less with other work on the machine; peak RSS is that of the whole
process tree: the largest sum of the tree's RSS over samples every 20 ms, or the largest single
process's high-water mark (VmHWM), whichever is larger (a sum can miss a short spike between
samples; VmHWM cannot). The best run of each side is compared (other work on the machine then
flatters neither). Every input row must be in the output or the rejects file, and no row in both;
the plain way must return one prediction per row. The Spark engine is not timed here (its JVM
start alone would double the run time).

Run: make bench-batch (ROWS=200050 BROKEN=50 REPEATS=2). The goal (issue 22): wall <= 1.0x and
peak RSS <= 0.5x the plain way. The machine's load average is printed: other work on the same
cores slows every line.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
SAMPLE_SECONDS = 0.02
WALL_GOAL = 1.0
RSS_GOAL = 0.5

PLAIN_WAY = """
import sys
import mlflow.pyfunc
import pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
tickets = pd.read_csv(sys.argv[2])
model.predict(tickets).to_csv(sys.argv[3], index=False)
"""


@dataclass(frozen=True)
class Measure:
    """One run of one side: wall seconds and the process tree's peak RSS."""

    wall_seconds: float
    peak_rss_mb: float
    cpu_seconds: float


def _train_and_register() -> None:
    from demo.model import register_demo_model

    register_demo_model("bench")


def _write_input(path: Path, rows: int, broken: int) -> None:
    """`rows` synthetic tickets without label; `broken` of them, spread over the file, each
    break one contract rule (an unknown source or tier, a too long title, a repeated id)."""
    from demo.tickets import GeneratorConfig, generate_tickets

    tickets = generate_tickets(GeneratorConfig(rows=rows, seed=7)).drop(columns=["urgent"])
    faults = (("source", "fax"), ("customer_tier", "gold"), ("title", "x" * 501),
              ("ticket_id", str(tickets.loc[0, "ticket_id"])))
    for i, row in enumerate(range(rows // (broken + 1), rows, rows // (broken + 1))[:broken]):
        column, value = faults[i % len(faults)]
        tickets.loc[row, column] = value
    tickets.to_csv(path, index=False)


def _tree_rss(root: psutil.Process) -> tuple[float, float]:
    """(sum of the tree's current RSS, largest VmHWM in it), in MB; gone processes count 0."""
    total, high = 0.0, 0.0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0, 0.0
    for process in processes:
        try:
            total += process.memory_info().rss / MB
            high = max(high, _high_water_mb(process.pid))
        except (psutil.Error, OSError, StopIteration):
            continue
    return total, high


def _high_water_mb(pid: int) -> float:
    """A process's high-water RSS so far (VmHWM). Not ru_maxrss: Linux carries the parent's
    high-water mark across fork and exec, so a child would report this process's size."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _measure(name: str, command: list[str], env: dict[str, str]) -> Measure:
    """Run `command` to its end, sampling its process tree's memory; fail loudly if it fails."""
    with tempfile.TemporaryFile() as stderr:
        cpu_before = _children_cpu_seconds()
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                 stderr=stderr)
        root = psutil.Process(child.pid)
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, *_tree_rss(root))
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
        if child.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"{name} failed:\n{stderr.read().decode()[-3000:]}")
    return Measure(wall, peak, _children_cpu_seconds() - cpu_before)


def _children_cpu_seconds() -> float:
    """User + system CPU seconds of every finished descendant this process waited for (make
    waits for its recipe's processes, so the whole tree counts): less sensitive than wall time
    to other work on the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _check_rows(rows: int, output: Path, rejects: Path, plain_output: Path) -> str:
    """Every input row is in the output or the rejects, none in both; the plain way has all."""
    import pandas as pd

    scored = pd.read_csv(output, usecols=["row_number"])["row_number"]
    rejected = set(pd.read_csv(rejects, usecols=["row_number"])["row_number"])
    plain = len(pd.read_csv(plain_output, usecols=["urgent"]))
    problems = []
    if scored.duplicated().any():
        problems.append("a row is scored twice")
    if rejected & set(scored):
        problems.append("a row is both scored and rejected")
    if set(scored) | rejected != set(range(1, rows + 1)):
        problems.append(f"{rows - len(set(scored) | rejected)} input rows are missing")
    if plain != rows:
        problems.append(f"the plain way returned {plain} predictions for {rows} rows")
    if problems:
        raise RuntimeError("rows not accounted for: " + "; ".join(problems))
    return (f"all {rows:,} rows accounted for: {len(scored):,} scored + {len(rejected)} "
            f"rejected; the plain way {plain:,} predictions")


def _print(results: dict[str, list[Measure]]) -> None:
    best = {name: (min(m.wall_seconds for m in runs), min(m.peak_rss_mb for m in runs),
                   min(m.cpu_seconds for m in runs)) for name, runs in results.items()}
    print(f"{'path':20} {'wall s (each run)':>18} {'best':>6} {'CPU s (each run)':>17} "
          f"{'best':>6} {'peak RSS MB (each)':>19} {'best':>5}")
    for name, runs in results.items():
        walls = " ".join(f"{m.wall_seconds:.1f}" for m in runs)
        cpus = " ".join(f"{m.cpu_seconds:.1f}" for m in runs)
        rss = " ".join(f"{m.peak_rss_mb:.0f}" for m in runs)
        print(f"{name:20} {walls:>18} {best[name][0]:6.1f} {cpus:>17} {best[name][2]:6.1f} "
              f"{rss:>19} {best[name][1]:5.0f}")
    (fast_wall, fast_rss, fast_cpu), (plain_wall, plain_rss, plain_cpu) = best.values()
    wall_ratio, rss_ratio = fast_wall / plain_wall, fast_rss / plain_rss
    print(f"ratios, make batch-predict / plain pyfunc: wall {wall_ratio:.2f}x "
          f"(goal <= {WALL_GOAL}x: {'met' if wall_ratio <= WALL_GOAL else 'NOT met'}), "
          f"peak RSS {rss_ratio:.2f}x (goal <= {RSS_GOAL}x: "
          f"{'met' if rss_ratio <= RSS_GOAL else 'NOT met'}); CPU {fast_cpu / plain_cpu:.2f}x")


def main() -> None:
    """Build the store and the input, measure both sides alternately, print the table."""
    rows = int(os.environ.get("ROWS", "200050"))
    broken = int(os.environ.get("BROKEN", "50"))
    repeats = int(os.environ.get("REPEATS", "2"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlflow.db"
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        warnings.filterwarnings("ignore")  # keep the table readable
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        _train_and_register()
        source = folder / "tickets.csv"
        _write_input(source, rows, broken)
        model_uri = f"models:/{os.environ.get('TU_MODEL_NAME', 'ticket_urgency')}@production"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        output, plain_output = folder / "predictions.csv", folder / "plain.csv"
        sides = {
            "make batch-predict": ["make", "--no-print-directory", "batch-predict",
                                   f"INPUT={source}", f"OUTPUT={output}",
                                   f"MODEL_URI={model_uri}"],
            "plain pyfunc": [sys.executable, "-c", PLAIN_WAY, model_uri, str(source),
                             str(plain_output)],
        }
        print(f"{rows:,} tickets ({broken} broken), CSV {source.stat().st_size / MB:.0f} MB; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        results: dict[str, list[Measure]] = {name: [] for name in sides}
        for _ in range(repeats):
            for name, command in sides.items():
                results[name].append(_measure(name, command, env))
        print(_check_rows(rows, output, folder / "predictions.rejects.csv", plain_output))
    _print(results)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
