"""A local revision: `gunicorn -c serving/gunicorn.conf.py` serving one registry version.

Each server loads `models:/<name>/<version>` (the version pinned, as a Cloud Run revision pins it
by baking), reports `VARIANT` (the role it was deployed in) in every response, and appends its
prediction log to `AB_RUN_DIR/logs/<revision>.jsonl`, which `ab status` analyses.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from contracts.model_uri import version_uri
from deploy.local.processes import Service

REPO = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def log_dir(run_dir: Path) -> Path:
    """Where the servers' prediction logs go."""
    return run_dir.resolve() / "logs"


def server(run_dir: Path, *, revision: str, model_name: str, version: str, port: int,
           variant: str, tracking_uri: str) -> Service:
    """The process serving `revision`: ready once its `/ready` answers 200 (model loaded)."""
    marker = f"ab[{revision}@{port}]"  # bracketed: no marker is a substring of another
    return Service(
        name=revision,
        command=[str(GUNICORN), "-c", str(REPO / "serving" / "gunicorn.conf.py"),
                 "--chdir", str(REPO), "--name", marker],
        health_url=f"http://127.0.0.1:{port}/ready",
        marker=marker,
        env={"MODEL_URI": version_uri(model_name, version), "VARIANT": variant,
             "PREDICTION_LOG": str(log_dir(run_dir) / f"{revision}.jsonl"),
             "HOST": "127.0.0.1", "PORT": str(port), "MLFLOW_TRACKING_URI": tracking_uri,
             "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"},
        port=port,
    )


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
