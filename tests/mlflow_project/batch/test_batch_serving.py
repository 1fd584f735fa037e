"""Batch scores equal the serving API's answers for the same tickets and model version.

Starts the real service (`gunicorn -c serving/gunicorn.conf.py`, one worker) on the test store's
`models:/ticket_urgency@production` and posts 50 tickets to `/predict/batch`.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from mlflow_project.batch.job import BatchRequest, run_batch
from tests.mlflow_project.batch.conftest import PYTHON, REPO, RegisteredModel

GUNICORN = Path(PYTHON).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def service(registered_model: RegisteredModel, tmp_path: Path) -> Iterator[str]:
    """The prediction service on a free loopback port; yields its base URL."""
    port = _free_port()
    env = {**registered_model.env(), "PORT": str(port), "HOST": "127.0.0.1",
           "MODEL_URI": "models:/ticket_urgency@production",
           "PREDICTION_LOG": str(tmp_path / "predictions")}
    for key in ("API_KEYS", "VARIANT"):
        env.pop(key, None)
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([str(GUNICORN), "-c", "serving/gunicorn.conf.py"], cwd=REPO,
                               env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the service did not become ready:\n"
                        + (tmp_path / "server.log").read_text()[-3000:])
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_batch_scores_equal_the_serving_api_answers(registered_model: RegisteredModel,
                                                   messy_csv: Path, messy_tickets: pd.DataFrame,
                                                   service: str, out_dir: Path) -> None:
    run_batch(BatchRequest(str(messy_csv), str(out_dir / "p.parquet"), chunk_size=64),
              registered_model.resolved, registered_model.model)
    # Row 21's source is "  PHONE ": the data contract strips it, the API refuses it (422).
    batch = pd.read_parquet(out_dir / "p.parquet").query("row_number != 21").head(50)
    sent = messy_tickets.iloc[batch["row_number"] - 1]
    tickets = [{"ticket_id": ticket_id, **{k: row[k] for k in
                                           ("title", "description", "source", "customer_tier")}}
               for ticket_id, (_, row) in zip(batch["ticket_id"], sent.iterrows(), strict=True)]
    answer = requests.post(f"{service}/predict/batch", json={"tickets": tickets}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] == "1"
    served = pd.DataFrame(body["predictions"])
    assert served["ticket_id"].tolist() == batch["ticket_id"].tolist()
    np.testing.assert_allclose(served["urgency_probability"], batch["urgency_probability"],
                               rtol=0, atol=1e-9)
    near_threshold = np.abs(batch["urgency_probability"] - body["threshold"]) < 1e-9
    agree = served["urgent"].astype(int).to_numpy() == batch["urgent"].to_numpy()
    assert agree[~near_threshold.to_numpy()].all()
