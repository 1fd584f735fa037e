"""Build a scorer from a logged model's artifact files: what loading the pyfunc model does.

It imports no MLflow, so a server may load a model folder with the model's own bundled code and
skip MLflow's import and loader (`serving.model_folder`). `load_scorer` is what
`TicketUrgencyModel.load_context` calls: the fitted pipeline, for frames and single tickets.
`load_record_scorer` is a server's: it reads the model's scoring table (`linear`) when the model
has one and then imports neither pandas nor scikit-learn, which is most of a server's start-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mlflow_project.model.linear import RecordScorer

if TYPE_CHECKING:
    from mlflow_project.model.scoring import TicketScorer

PIPELINE_ARTIFACT = "pipeline"
CONFIG_ARTIFACT = "model_config"
SCORING_TABLE_ARTIFACT = "scoring_table"


def load_scorer(artifacts: Mapping[str, str]) -> TicketScorer:
    """The scorer of the fitted pipeline and threshold in `artifacts` (name -> local file)."""
    import joblib

    from mlflow_project.model.scoring import TicketScorer

    return TicketScorer(joblib.load(artifacts[PIPELINE_ARTIFACT]), _threshold(artifacts))


def load_record_scorer(artifacts: Mapping[str, str]) -> RecordScorer:
    """A scorer of single tickets: from the scoring table when the model has one (models logged
    before it existed have none), else from the fitted pipeline."""
    if SCORING_TABLE_ARTIFACT not in artifacts:
        return load_scorer(artifacts)
    threshold = _threshold(artifacts)
    path = artifacts[SCORING_TABLE_ARTIFACT]
    try:
        with open(path, encoding="utf-8") as handle:
            return RecordScorer.from_table(json.load(handle), threshold)
    except ValueError as exc:  # not JSON, or not a table this code reads
        raise ValueError(f"{path}: {exc}") from exc


def _threshold(artifacts: Mapping[str, str]) -> float:
    with open(artifacts[CONFIG_ARTIFACT], encoding="utf-8") as handle:
        return float(json.load(handle)["threshold"])
