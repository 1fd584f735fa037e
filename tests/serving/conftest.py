"""Fixtures of the serving tests: one model trained per session, real gunicorn on free ports.

The model is trained with the project's own functions in a subprocess, registered as
`ticket_urgency` v1 with alias `production` in a throw-away SQLite store, and baked into a folder
with `serving.bake_model` (the image flow). Servers are `gunicorn -c serving/gunicorn.conf.py`
subprocesses answering real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient

from serving.model_loader import LoadedModel, load

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = "ticket_urgency"
API_KEY = "serving-test-key-0123456789"
OTHER_KEY = "other-serving-key-9876543210"
TICKET = {"title": "Checkout down for all customers",
          "description": "Payments fail since 9:00, please escalate immediately.",
          "source": "phone", "customer_tier": "premium"}

TRAIN = """
import logging, warnings
warnings.filterwarnings("ignore"); logging.getLogger("mlflow").setLevel(logging.ERROR)
from demo.model import register_demo_model
register_demo_model("serving-tests", rows=2000, seed=11, min_df=1)
"""


@dataclass(frozen=True)
class ModelStore:
    """A SQLite tracking store holding `ticket_urgency` v1 @production, and its baked folder."""

    root: Path
    uri: str
    baked: Path

    def client(self) -> MlflowClient:
        """A client bound to this store (no global MLflow state)."""
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def env(self) -> dict[str, str]:
        """The environment of a process using this store."""
        env = {**os.environ, "MLFLOW_TRACKING_URI": self.uri,
               "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
               "PATH": f"{BIN}:{os.environ['PATH']}"}
        for key in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "API_KEYS",
                    "MODEL_URI", "PREDICTION_LOG", "PORT", "VARIANT", "GOOGLE_CLOUD_PROJECT"):
            env.pop(key, None)
        return env


def store_at(root: Path) -> ModelStore:
    """The store whose database and baked model live under `root`."""
    return ModelStore(root, f"sqlite:///{root / 'mlflow.db'}", root / "baked")


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One `gunicorn -c serving/gunicorn.conf.py` process and how to talk to it."""

    env: Mapping[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr_path(self) -> Path:
        """Where the server's stderr (gunicorn and the app's JSON log lines) goes."""
        return self.log_dir / f"server-{self.port}.stderr"

    def start(self, *, ready: bool = True, timeout: float = 60.0) -> Server:
        """Start gunicorn; wait for /health (and /ready unless `ready` is False)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"], cwd=REPO, env=env,
            stdout=(self.log_dir / f"server-{self.port}.stdout").open("wb"),
            stderr=self.stderr_path.open("wb"), start_new_session=True)
        try:
            self.wait_for("/ready" if ready else "/health", timeout)
        except BaseException:  # never leave a server behind a failed fixture
            self.stop()
            raise
        return self

    def wait_for(self, path: str, timeout: float) -> None:
        """Poll `path` until it answers 200; fail with the server's stderr otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"server exited ({self.process.returncode}):\n{self.stderr()}")
            try:
                if requests.get(self.base + path, timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # booting: queued or refused
                pass
            time.sleep(0.05)
        pytest.fail(f"{path} not 200 after {timeout}s:\n{self.stderr()[-3000:]}")

    def get(self, path: str, **kwargs: object) -> requests.Response:
        """GET `path`."""
        return requests.get(self.base + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object) -> requests.Response:
        """POST to `path`."""
        return requests.post(self.base + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def alive(self) -> bool:
        """Whether the gunicorn master still runs."""
        return self.process is not None and self.process.poll() is None

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stop(self) -> int | None:
        """SIGTERM gunicorn (a graceful stop, as Cloud Run does) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def prediction_records(folder: Path, request_ids: set[str],
                       expected: int) -> list[dict[str, object]]:
    """The log records of these requests, once `expected` of them are written (<= 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line for path in sorted(folder.glob("predictions-*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines()]
        records = [json.loads(line) for line in lines]  # every line parses
        mine = [r for r in records if r["request_id"] in request_ids]
        if len(mine) >= expected or time.monotonic() > deadline:
            return mine
        time.sleep(0.05)


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    """`ticket_urgency` v1 @production in a fresh SQLite store, plus its baked folder."""
    store = store_at(tmp_path_factory.mktemp("serving-store"))
    for command in ([sys.executable, "-c", TRAIN],
                    [sys.executable, "-m", "serving.bake_model", "--out", str(store.baked)]):
        result = subprocess.run(command, cwd=REPO, env=store.env(), capture_output=True,
                                text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
    return store


@pytest.fixture(scope="session")
def reference_model(model_store: ModelStore) -> LoadedModel:
    """The same model loaded in this process: what every served answer must equal."""
    return load(str(model_store.baked))


@pytest.fixture(scope="session")
def prediction_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder sink of the default server."""
    return tmp_path_factory.mktemp("prediction-log")


@pytest.fixture(scope="session")
def server(model_store: ModelStore, prediction_log_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Default settings, no API keys, the model by alias from the registry, a JSONL folder log."""
    env = {**model_store.env(), "PREDICTION_LOG": f"{prediction_log_dir}/",
           "VARIANT": "challenger"}
    running = Server(env, tmp_path_factory.mktemp("server")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def auth_server(model_store: ModelStore,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """API keys on, two workers (Prometheus multi-process mode), the baked model, log off."""
    env = {**model_store.env(), "API_KEYS": f"{API_KEY},{OTHER_KEY}", "GUNICORN_WORKERS": "2",
           "MODEL_URI": str(model_store.baked), "PREDICTION_LOG": "off"}
    running = Server(env, tmp_path_factory.mktemp("auth-server")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def guarded(model_store: ModelStore,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The image's 4 threads, the baked model, log off, CLIENT_TIMEOUT_SECONDS=2 and
    KEEPALIVE_SECONDS=1 (so slow and idle clients are cut off quickly); it must stop cleanly and
    never log a traceback."""
    env = {**model_store.env(), "MODEL_URI": str(model_store.baked), "PREDICTION_LOG": "off",
           "GUNICORN_THREADS": "4", "CLIENT_TIMEOUT_SECONDS": "2", "KEEPALIVE_SECONDS": "1"}
    running = Server(env, tmp_path_factory.mktemp("guarded-server")).start()
    yield running
    assert running.stop() == 0
    assert "Traceback" not in running.stderr()
