"""Wall time of a full training run (validate, fit, evaluate, log, register, gate).

Runs the `train` job in-process against a throw-away SQLite store on: the real Endava tickets
(when ../shared/data is present) and synthetic tickets of 5k and 100k rows.
Run: make bench-train
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

ENDAVA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "endava" / "tickets.csv"


def main() -> None:
    """Print seconds per training run and the resulting hold-out ROC-AUC."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        warnings.filterwarnings("ignore")  # keep the table readable
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        from demo.tickets import GeneratorConfig, generate_tickets
        from mlflow_project.data.io import write_table
        from mlflow_project.settings import ProjectSettings
        from mlflow_project.training.config import TrainConfig
        from mlflow_project.training.job import train

        datasets = {}
        if ENDAVA.is_file():
            datasets["endava (4,390 real)"] = str(ENDAVA)
        else:
            print(f"skipping Endava: {ENDAVA} absent")
        for rows in (5_000, 100_000):
            path = f"{tmp}/synthetic_{rows}.csv"
            write_table(generate_tickets(GeneratorConfig(rows=rows, seed=1)), path)
            datasets[f"synthetic {rows:,}"] = path
        print(f"{'data':24} {'seconds':>8} {'roc_auc':>8} {'incident roc_auc':>17}")
        for index, (name, path) in enumerate(datasets.items()):
            start = time.perf_counter()
            outcome = train(TrainConfig(data=path, experiment_name=f"bench{index}"),
                            ProjectSettings(model_name=f"bench_{index}"))
            seconds = time.perf_counter() - start
            incident = outcome.metrics.get("slice.incident.roc_auc")
            print(f"{name:24} {seconds:8.1f} {outcome.metrics['roc_auc']:8.4f} "
                  f"{'' if incident is None else f'{incident:.4f}':>17}")


if __name__ == "__main__":
    main()
