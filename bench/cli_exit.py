"""How long a command takes to exit once its work is done: plain Python vs `contracts.cli.run_cli`.

A Python process that imported MLflow, scikit-learn and pandas spends about half a second after
its last line, in the interpreter's shutdown, mostly tracing the objects those libraries leave
for garbage. `run_cli` freezes them out of the collector at exit (`gc.freeze`), so shutdown only
frees them. Measured in the same run, best of REPEATS (default 5) each:
  imports only   a fresh Python imports a command's libraries, prints a line, exits; plain, and
                 with `atexit.register(gc.freeze)` as `run_cli` does
  real command   `ticket-urgency ensure-experiment` on a throw-away SQLite store: the Typer app
                 called bare (plain) vs the console script (`run_cli`)
"ready" is the time until the line (or the command's output) appears, "exit" the rest.
Not a test: it prints numbers. Run: make bench-cli-exit
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
REPEATS = int(os.environ.get("REPEATS", "5"))
IMPORT_SETS = {
    "registry command (mlflow)": "import mlflow",
    "training / batch (mlflow, sklearn, pandas)":
        "import mlflow, mlflow.pyfunc, sklearn, pandas",
}
FREEZE = "import atexit, gc; atexit.register(gc.freeze)\n"
BARE_APP = "import sys; from mlflow_project.cli import app; app(prog_name='ticket-urgency')"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds until the first line on stdout, and from then until the process has exited."""
    started = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True) as child:
        assert child.stdout is not None
        if not child.stdout.readline():
            raise RuntimeError(f"{command} printed nothing")
        ready = time.perf_counter()
        child.stdout.read()
        if child.wait() != 0:
            raise RuntimeError(f"{command} failed")
    return ready - started, time.perf_counter() - ready


def best(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The fastest ready and the fastest exit of REPEATS runs."""
    runs = [timed(command, env) for _ in range(REPEATS)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    """Print ready and exit seconds, plain vs frozen, for each row (module docstring)."""
    print(f"{'':44} {'plain ready':>11} {'exit':>6} | {'run_cli ready':>13} {'exit':>6}")
    env = dict(os.environ)
    for name, imports in IMPORT_SETS.items():
        line = f"{imports}\nprint('done', flush=True)\n"
        plain = best([sys.executable, "-c", line], env)
        frozen = best([sys.executable, "-c", FREEZE + line], env)
        print(f"{name:44} {plain[0]:11.2f} {plain[1]:6.2f} | {frozen[0]:13.2f} {frozen[1]:6.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        arguments = ["ensure-experiment", "--name", "bench-cli-exit"]
        plain = best([sys.executable, "-c", BARE_APP, *arguments], env)
        frozen = best([str(BIN / "ticket-urgency"), *arguments], env)
    print(f"{'real command: ticket-urgency ensure-experiment':44} {plain[0]:11.2f} "
          f"{plain[1]:6.2f} | {frozen[0]:13.2f} {frozen[1]:6.2f}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
