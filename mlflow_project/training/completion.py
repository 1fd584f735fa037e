"""The training job's completion point: the heartbeat the "training job absent" alert watches.

Written once per successful `train` (not when it fails, so a job that stops succeeding goes
silent and the alert fires): value 1 when the run registered a new version, 0 when it found its
data, code and parameters already registered; `model_version` is the version registered or
matched.
"""

from __future__ import annotations

from datetime import datetime

from mlflow_project.cloud_metrics import names
from mlflow_project.cloud_metrics.points import Point
from mlflow_project.training.job import TrainingOutcome


def completion_point(outcome: TrainingOutcome, model_name: str, at: datetime) -> Point:
    """The point saying that training of `model_name` completed at `at`, and with what."""
    version = outcome.version or outcome.duplicate_of or ""
    return Point(names.TRAINING_COMPLETED, int(outcome.version is not None), at,
                 {names.MODEL_NAME: model_name, names.MODEL_VERSION: version})
