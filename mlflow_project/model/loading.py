"""Build the scorer from a logged model's artifact files: what loading the pyfunc model does.

It imports no MLflow, so a server may load a model folder with the model's own bundled code and
skip MLflow's import and loader (`serving.model_folder`); `TicketUrgencyModel.load_context` calls
the same function, so both ways load the same scorer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import joblib

from mlflow_project.model.scoring import TicketScorer

PIPELINE_ARTIFACT = "pipeline"
CONFIG_ARTIFACT = "model_config"


def load_scorer(artifacts: Mapping[str, str]) -> TicketScorer:
    """The scorer of the fitted pipeline and threshold in `artifacts` (name -> local file)."""
    pipeline = joblib.load(artifacts[PIPELINE_ARTIFACT])
    with open(artifacts[CONFIG_ARTIFACT], encoding="utf-8") as handle:
        config = json.load(handle)
    return TicketScorer(pipeline, threshold=config["threshold"])
