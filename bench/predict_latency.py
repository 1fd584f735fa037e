"""In-process latency of scoring ONE ticket: loaded pyfunc vs the bare scikit-learn pipeline.

Trains a model on synthetic tickets into a throw-away store, loads it back through
`mlflow.pyfunc.load_model` (exactly as serving will), then times, in the same process:
  baseline  bare pipeline: `predict_proba` on a one-row frame built from the request dict
  pyfunc    `PyFuncModel.predict` on a one-row DataFrame (MLflow's generic path, schema checks)
  fast      `unwrap_python_model().predict_records([ticket])` (the path serving uses)
Run: make bench-predict
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable

import pandas as pd

TICKET = {"title": "Checkout down for all customers",
          "description": "Payments fail since 9:00, please escalate immediately.",
          "source": "phone", "customer_tier": "premium"}


def _time(call: Callable[[], object], repeat: int) -> list[float]:
    for _ in range(50):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def main(repeat: int = 2000) -> None:
    """Print median and p99 microseconds per call, and each path's ratio to the baseline."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        warnings.filterwarnings("ignore")  # keep the table readable
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        import mlflow

        from demo.model import register_demo_model
        from mlflow_project.model.features import model_frame

        trained = register_demo_model("bench")
        pipeline = trained.pipeline
        model = mlflow.pyfunc.load_model(trained.model_uri)
        fast = model.unwrap_python_model()
        paths = {
            "baseline (bare sklearn pipeline)":
                lambda: pipeline.predict_proba(model_frame(pd.DataFrame([TICKET]))),
            "pyfunc predict (1-row DataFrame)": lambda: model.predict(pd.DataFrame([TICKET])),
            "pyfunc fast path (predict_records)": lambda: fast.predict_records([TICKET]),
        }
        results = {name: _time(call, repeat) for name, call in paths.items()}
    base = statistics.median(next(iter(results.values())))
    print(f"{'path':38} {'median us':>10} {'p99 us':>10} {'vs baseline':>12}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p99 = statistics.quantiles(samples, n=100)[98]
        print(f"{name:38} {median:10.0f} {p99:10.0f} {median / base:11.2f}x")


if __name__ == "__main__":
    main()
