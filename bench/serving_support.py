"""Helpers of `bench/serving.py`: a model in a throw-away store, server processes, wrk runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
TICKET = {"title": "Checkout down for all customers",
          "description": "Payments fail since 9:00, please escalate immediately.",
          "source": "phone", "customer_tier": "premium"}


def tracking_env(store: Path) -> dict[str, str]:
    """The environment pointing MLflow at the SQLite store in `store`."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "PATH": f"{BIN}:{os.environ['PATH']}"}
    for key in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
        env.pop(key, None)
    return env


def ensure_model(store: Path) -> None:
    """Train and register `<TU_MODEL_NAME>@production` in `store` unless it is already there.

    Uses the project's own training functions in a subprocess (as bench/predict_latency.py does),
    so this process never imports the training code or sklearn.
    """
    script = """
import logging, warnings
warnings.filterwarnings("ignore"); logging.getLogger("mlflow").setLevel(logging.ERROR)
from mlflow import MlflowClient
from contracts.model_uri import PRODUCTION
from contracts.settings import ModelSettings
from demo.model import register_demo_model
from mlflow_project.registry.store import version_by_alias
if version_by_alias(MlflowClient(), ModelSettings.load().model_name, PRODUCTION) is None:
    register_demo_model("bench-serving")
"""
    store.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", script], env=tracking_env(store), cwd=REPO,
                   check=True, capture_output=True, text=True)


def bake(store: Path, out: Path) -> None:
    """Download the production version with its registry.json, as the image build does."""
    if (out / "registry.json").is_file():
        return
    subprocess.run([sys.executable, "-m", "serving.bake_model", "--out", str(out)],
                   env=tracking_env(store), cwd=REPO, check=True, capture_output=True)


def wrk_missing() -> bool:
    """Whether wrk is missing from PATH (then say how to install it)."""
    if shutil.which("wrk") is not None:
        return False
    print("wrk is missing: apt-get install wrk", file=sys.stderr)
    return True


def trained_and_baked(tmp: Path, store: Path | None) -> tuple[Path, Path]:
    """A store holding `@production` (`store` if given, else one under `tmp`, trained unless
    the model is there) and the version baked into `tmp/baked`, as the image build bakes it."""
    store = store or tmp / "store"
    ensure_model(store)
    baked = tmp / "baked"
    bake(store, baked)
    return store, baked


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A server process (and its children) under test."""

    name: str
    command: list[str]
    env: Mapping[str, str]
    ready_path: str
    predict_path: str
    body: str
    port: int
    log_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, path: str) -> str:
        """Full loopback URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, timeout: float = 120.0) -> float:
        """Start the server; return seconds from process start to the first 200 on ready."""
        out = (self.log_dir / f"{self.port}.log").open("wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(self.command, env=dict(self.env), cwd=REPO, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {out.name}")
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=1) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.01)
        raise TimeoutError(f"{self.name} not ready after {timeout}s")

    def rss_mb(self) -> float:
        """Resident memory of the process tree (MB), from /proc."""
        assert self.process is not None
        return sum(rss_kb(pid) for pid in _tree(self.process.pid)) / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time the process tree has used so far, from /proc."""
        assert self.process is not None
        return sum(_cpu_seconds(pid) for pid in _tree(self.process.pid))

    def pids(self) -> list[int]:
        """The process tree's pids, root first."""
        assert self.process is not None
        return _tree(self.process.pid)

    def stop(self) -> None:
        """SIGTERM the whole process group and wait for it."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            pids += _tree(int(child))
    return pids


def rss_kb(pid: int) -> int:
    """Resident memory of one process (kB), from /proc; 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@dataclass(frozen=True)
class WrkResult:
    """Throughput and latency of one wrk run."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: int
    requests: int
    cpu_us_per_request: float = 0.0


def run_wrk(server: Server, connections: int, seconds: int) -> WrkResult:
    """`wrk --latency` POSTing the server's body; wrk needs threads <= connections.

    Also the server's CPU time per request: unlike throughput, it hardly moves when other
    processes compete for the cores.
    """
    threads = min(2, connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                     f"wrk.body = [=[{server.body}]=]\n")
    cpu = server.cpu_seconds()
    try:
        output = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
             "-s", script.name, server.url(server.predict_path)],
            check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    cpu = server.cpu_seconds() - cpu
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    failures += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    throughput = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if throughput is None or total is None:
        raise ValueError(f"no throughput in wrk output:\n{output}")
    requests = int(total.group(1))
    return WrkResult(float(throughput.group(1)), _ms(output, "50%"), _ms(output, "99%"), failures,
                     requests, 1e6 * cpu / max(requests, 1))


def _ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {percentile} latency in wrk output:\n{output}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
