"""How long `registry-tools promote` takes to fail against a dead tracking server. Reported, not
a test.

Points MLFLOW_TRACKING_URI at a closed loopback port and times the command (interpreter start
included) with the project's HTTP defaults (`mlflow_project.tracking_store.HTTP_DEFAULTS`), then,
with `--mlflow-defaults`, with MLflow's own (7 retries, backoff factor 2, 120 s timeout) under a
cap, since those run for minutes. Run: make probe-dead-store (PROBE_ARGS=--mlflow-defaults).
The load average is printed: other work on the same cores slows the interpreter start.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from mlflow import environment_variables as mlflow_variables

from mlflow_project.tracking_store import HTTP_DEFAULTS

REGISTRY_TOOLS = Path(sys.executable).parent / "registry-tools"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mlflow_defaults() -> dict[str, str]:
    """MLflow's own values of the variables the project sets."""
    return {name: str(getattr(mlflow_variables, name).default) for name in HTTP_DEFAULTS}


def time_promote(http: dict[str, str], cap: float) -> tuple[float, str]:
    """Seconds until `promote` exits (or the cap) and its last stderr line (or `killed`)."""
    env = {k: v for k, v in os.environ.items() if k not in HTTP_DEFAULTS}
    env.update(http, MLFLOW_TRACKING_URI=f"http://127.0.0.1:{closed_port()}")
    started = time.monotonic()
    try:
        result = subprocess.run([str(REGISTRY_TOOLS), "promote", "--version", "1"], env=env,
                                capture_output=True, text=True, timeout=cap, check=False)
    except subprocess.TimeoutExpired:
        return time.monotonic() - started, f"killed at the {cap:g} s cap"
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return time.monotonic() - started, f"exit {result.returncode}: {last}"


def main() -> None:
    """Print one line per setting: the wall time and how the command ended."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mlflow-defaults", action="store_true",
                        help="also time MLflow's own defaults (minutes)")
    parser.add_argument("--cap", type=float, default=400.0, help="seconds before giving up")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    settings = {"project defaults": HTTP_DEFAULTS}
    if args.mlflow_defaults:
        settings["MLflow defaults"] = mlflow_defaults()
    for label, http in settings.items():
        seconds, ending = time_promote(http, args.cap)
        print(f"{label:16} {seconds:7.1f} s  {ending}")


if __name__ == "__main__":
    main()
