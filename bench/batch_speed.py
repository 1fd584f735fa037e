"""Batch scoring: rows/s of the in-process job vs the bare scikit-learn pipeline, peak memory
at 100k vs 1M rows, and the Spark local-mode figure beside them. Reported, not a test.

Trains a model on 5k synthetic tickets into a throw-away store (registered as
<TU_MODEL_NAME>@production), writes ROWS synthetic tickets (default 1M) as Parquet (row groups of
50k) and CSV, then measures in the same run:
  baseline    the bare pipeline of that model version: `pipeline.predict_proba(model_frame(chunk))`
              over the same rows in 50k chunks, already in memory (no reading, checks or writing);
              run before and after the jobs, the faster run is the one ratios are taken against
  in-process  `python -m mlflow_project.batch` in a subprocess: rows/s from its summary (reading,
              contract checks, scoring, writing; model loading excluded), peak RSS (VmHWM)
  spark       the same command with `--engine spark --spark-master local[2]` (splits of 16 MB so
              both cores work); seconds exclude the JVM start, which is shown apart
Run: make bench-batch (ROWS=1000000). The machine's load average is printed: other work on the
same cores slows every line, the ratios less than the absolute figures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

CHUNK = 50_000
SMALL_ROWS = 100_000
FLOOR_ROWS = 1_000
MB = 1024 * 1024


@dataclass(frozen=True)
class Measure:
    """One line of the table."""

    name: str
    rows: int
    seconds: float
    peak_rss_mb: float = 0.0  # 0: not measured (the baseline runs in this process)
    wall_seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def _train_and_register() -> None:
    from demo.model import register_demo_model

    register_demo_model("bench")


def _write_inputs(folder: Path, rows: int) -> dict[str, Path]:
    from demo.tickets import GeneratorConfig, generate_tickets

    tickets = generate_tickets(GeneratorConfig(rows=rows, seed=7)).drop(columns=["urgent"])
    paths = {"parquet": folder / "tickets.parquet", "csv": folder / "tickets.csv",
             "small": folder / "small.parquet", "floor": folder / "floor.parquet"}
    tickets.to_parquet(paths["parquet"], index=False, row_group_size=CHUNK)
    tickets.to_csv(paths["csv"], index=False)
    tickets.head(SMALL_ROWS).to_parquet(paths["small"], index=False, row_group_size=CHUNK)
    tickets.head(FLOOR_ROWS).to_parquet(paths["floor"], index=False)
    return paths


def _baseline(source: Path, when: str) -> Measure:
    """The bare pipeline of the production version on the same rows, in memory."""
    import mlflow.pyfunc
    import pandas as pd

    from contracts.model_uri import default_model_uri
    from mlflow_project.model.features import model_frame

    pipeline = mlflow.pyfunc.load_model(default_model_uri()).unwrap_python_model().scorer.pipeline
    tickets = pd.read_parquet(source)
    chunks = [tickets.iloc[start:start + CHUNK] for start in range(0, len(tickets), CHUNK)]
    started = time.perf_counter()
    for chunk in chunks:
        pipeline.predict_proba(model_frame(chunk))
    return Measure(f"baseline: bare pipeline, in memory ({when})", len(tickets),
                   time.perf_counter() - started)


def _peak_rss_mb(pid: int) -> float:
    """The process's high-water RSS so far (VmHWM). Not ru_maxrss: Linux carries the parent's
    high-water mark across fork and exec, so a child would report this process's size."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _job(name: str, source: Path, output: Path, *extra: str,
         env: dict[str, str] | None = None) -> Measure:
    """Run the batch command in a child: its summary gives rows and seconds; its VmHWM, read
    every 50 ms until it exits, its peak RSS."""
    command = [sys.executable, "-m", "mlflow_project.batch", "--input", str(source),
               "--output", str(output), "--chunk-size", str(CHUNK), "--no-progress", *extra]
    started = time.perf_counter()
    peak = 0.0
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr,
                                 env={**os.environ, **(env or {})})
        while child.poll() is None:
            with contextlib.suppress(OSError, StopIteration):  # exiting: /proc entry gone
                peak = max(peak, _peak_rss_mb(child.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{stderr.read().decode()[-3000:]}")
        summary = json.loads(stdout.read().decode().strip().splitlines()[-1])
    return Measure(name, summary["rows_in"], summary["seconds"], peak, wall)


def _print(measures: list[Measure], baseline: Measure) -> None:
    print(f"{'path':44} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'vs base':>8} "
          f"{'peak RSS':>9} {'wall s':>7}")
    for m in measures:
        rss = f"{m.peak_rss_mb:7.0f}MB" if m.peak_rss_mb else ""
        wall = f"{m.wall_seconds:7.1f}" if m.wall_seconds else ""
        print(f"{m.name:44} {m.rows:9,d} {m.seconds:8.1f} {m.rows_per_second:8,.0f} "
              f"{m.rows_per_second / baseline.rows_per_second:7.2f}x {rss:>9} {wall:>7}")


def main() -> None:
    """Build the inputs, measure every path, print the table."""
    rows = int(os.environ.get("ROWS", "1000000"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlflow.db"
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        warnings.filterwarnings("ignore")  # keep the table readable
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        _train_and_register()
        paths = _write_inputs(folder, rows)
        print(f"{rows:,} tickets: Parquet {paths['parquet'].stat().st_size / MB:.0f} MB, "
              f"CSV {paths['csv'].stat().st_size / MB:.0f} MB; chunks of {CHUNK:,}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        first = _baseline(paths["parquet"], "before")
        spark_env = {"PYSPARK_SUBMIT_ARGS":
                     "--conf spark.sql.files.maxPartitionBytes=16m pyspark-shell"}
        jobs = [
            _job(f"in-process, Parquet, {FLOOR_ROWS:,} rows (floor)", paths["floor"],
                 folder / "floor_out.parquet"),
            _job(f"in-process, Parquet, {min(rows, SMALL_ROWS):,} rows", paths["small"],
                 folder / "small_out.parquet"),
            _job("in-process, Parquet", paths["parquet"], folder / "out.parquet"),
            _job("in-process, CSV", paths["csv"], folder / "out_csv.parquet"),
            _job("spark local[2], Parquet", paths["parquet"], folder / "spark_out.parquet",
                 "--engine", "spark", "--spark-master", "local[2]", env=spark_env),
        ]
        again = _baseline(paths["parquet"], "after")
    # The faster of two baseline runs (before and after the jobs) is the one compared against:
    # other work on the machine then cannot flatter the ratios.
    baseline = max(first, again, key=lambda m: m.rows_per_second)
    _print([first, again, *jobs], baseline)
    floor, small, large = jobs[0], jobs[1], jobs[2]
    print(f"peak RSS: {floor.peak_rss_mb:.0f} MB with the model and {FLOOR_ROWS:,} rows, "
          f"{small.peak_rss_mb:.0f} MB at {small.rows:,} rows, {large.peak_rss_mb:.0f} MB at "
          f"{rows:,} rows ({large.peak_rss_mb - small.peak_rss_mb:+.0f} MB for "
          f"{rows / small.rows:.0f}x the rows). Spark's figure is its Python driver only "
          "(the JVM and Python workers are other processes).")


if __name__ == "__main__":
    main()
