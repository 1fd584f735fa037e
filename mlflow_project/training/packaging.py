"""Log a fitted pipeline as the `ticket_urgency` pyfunc model, with its own inference code.

Only `mlflow_project/model/` is bundled (as `code_paths`), so a server loading the model needs
MLflow's pyfunc loader and the pinned runtime libraries, never the training package. Beside the
pickled pipeline goes its scoring table (`mlflow_project.model.linear`): the same model as plain
numbers, which a server reads without importing scikit-learn; it is checked against the pipeline
before anything is logged.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import cast

import joblib
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.model import ModelInfo
from sklearn.pipeline import Pipeline

from mlflow_project.model import loading, pyfunc
from mlflow_project.model.linear import RecordScorer
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.model.staged import TwoStageModel

MODEL_PACKAGE_DIR = Path(pyfunc.__file__).resolve().parent
MODEL_CODE = MODEL_PACKAGE_DIR / "model_code.py"
RUNTIME_PACKAGES = ("mlflow-skinny", "scikit-learn", "numpy", "scipy", "pandas", "joblib",
                    "cloudpickle")

INPUT_EXAMPLE = pd.DataFrame({
    "title": ["Production outage: checkout down", "Request for a new monitor"],
    "description": ["Checkout is down for all customers and payments are failing since 9:00. "
                    "Please escalate immediately.",
                    "Could I get a second monitor for my desk next month?"],
    "source": ["phone", "web"],
    "customer_tier": ["premium", "standard"],
})
OUTPUT_EXAMPLE = pd.DataFrame({"urgency_probability": [0.93, 0.04], "urgent": [1, 0]})


def runtime_requirements() -> list[str]:
    """Exact pins of what loading and scoring the model needs, taken from this environment."""
    return [f"{name}=={version(name)}" for name in RUNTIME_PACKAGES]


def log_pyfunc_model(pipeline: Pipeline | TwoStageModel, threshold: float,
                     target_recall: float, *, model_code: Path = MODEL_CODE,
                     extra_config: Mapping[str, object] | None = None) -> ModelInfo:
    """Log the model (pipeline, threshold, inference code, signature, example) to the active run.

    `model_code` is the model-from-code file MLflow runs at load time; another one (a demo's
    deliberately broken model) may read its own keys from `extra_config` in the model config.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pipeline_path = folder / "pipeline.joblib"
        config_path = folder / "model_config.json"
        table_path = folder / "scoring_table.json"
        joblib.dump(pipeline, pipeline_path)
        table_path.write_text(json.dumps(scoring_table(pipeline, threshold)), encoding="utf-8")
        config_path.write_text(json.dumps({**(extra_config or {}), "threshold": threshold,
                                           "target_recall": target_recall}))
        code_root = _bundle_inference_code(folder / "code")
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=str(model_code),
            artifacts={loading.PIPELINE_ARTIFACT: str(pipeline_path),
                       loading.CONFIG_ARTIFACT: str(config_path),
                       loading.SCORING_TABLE_ARTIFACT: str(table_path)},
            code_paths=[str(code_root)],
            signature=_signature(),
            input_example=INPUT_EXAMPLE,
            pip_requirements=runtime_requirements(),
        )


def scoring_table(pipeline: Pipeline | TwoStageModel, threshold: float) -> dict[str, object]:
    """The pipeline's scoring table, after checking that it scores the input example as the
    pipeline does (`ValueError` if not: a server must never score differently from batch)."""
    scorer = TicketScorer(pipeline, threshold)
    table = scorer.table()
    copied = RecordScorer.from_table(json.loads(json.dumps(table)), threshold)
    expected = scorer.probabilities_frame(INPUT_EXAMPLE)
    got = copied.probabilities(cast("list[dict[str, object]]", INPUT_EXAMPLE.to_dict("records")))
    if not np.allclose(got, expected, rtol=0, atol=1e-9):
        raise ValueError(f"the scoring table scores the input example {got.tolist()}, the "
                         f"pipeline {expected.tolist()}")
    return table


def _signature() -> ModelSignature:
    with warnings.catch_warnings():  # the integer `urgent` output is never missing: no hint needed
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        return infer_signature(INPUT_EXAMPLE, OUTPUT_EXAMPLE)


def _bundle_inference_code(target: Path) -> Path:
    """Lay out `target/mlflow_project/model/` so the bundled code keeps its import path."""
    package = target / "mlflow_project"
    shutil.copytree(MODEL_PACKAGE_DIR, package / "model",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (package / "__init__.py").write_text('"""Inference code bundled with the model."""\n')
    return package

