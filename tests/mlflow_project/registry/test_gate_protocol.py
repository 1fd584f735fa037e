"""The gate compares candidate and production only on rows neither trained on.

Real `mlflow run` trainings on a SQLite store, in order: v1 promoted; v2 the issue's repro (the
same demo data minus ten tickets) must pass; v3 holds out a larger share, so some of its
evaluation rows were training rows of v1, and the gate must leave exactly those out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from mlflow_project.data.contract import FEATURE_COLUMNS
from mlflow_project.registry.validation import load_holdout, load_trained_keys
from tests.support import BIN, Store

pytestmark = pytest.mark.integration

MODEL = "ticket_urgency"
FAST = "features=word"  # the protocol is under test here, not the features


def _keys(store: Store, candidate: str, production: str) -> tuple[pd.Series, set[str]]:
    """(the key of each evaluation row of the candidate, the keys production trained on)."""
    mlflow.set_tracking_uri(store.uri)
    client = store.client()
    holdout = load_holdout(str(client.get_model_version(MODEL, candidate).run_id))
    trained = load_trained_keys(str(client.get_model_version(MODEL, production).run_id))
    assert trained is not None
    return holdout["key"], trained


def test_the_issue_repro_passes_the_better_candidate(store: Store, tickets_csv: Path,
                                                      tmp_path: Path) -> None:
    first = store.train(tickets_csv, FAST)
    assert first.returncode == 0, first.stderr[-3000:]
    promoted = store.run(str(BIN / "registry-tools"), "promote", "--from", "challenger")
    assert promoted.returncode == 0, promoted.stderr
    lines = tickets_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    shorter = tmp_path / "d.csv"
    shorter.write_text(lines[0] + "".join(lines[11:]), encoding="utf-8")  # drop rows 2-11
    second = store.train(shorter, FAST)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "gate: passed" in second.stdout, second.stdout
    tags = store.client().get_model_version(MODEL, "2").tags
    assert tags["gate_baseline_version"] == "1"
    evaluation, trained = _keys(store, "2", "1")
    unseen = int((~evaluation.isin(trained)).sum())
    assert _gate_report(store, "2")["rows"] == unseen > 0


def test_rows_production_trained_on_are_left_out_of_the_comparison(store: Store,
                                                                    tickets_csv: Path) -> None:
    result = store.train(tickets_csv, FAST, "eval_fraction=0.4")
    assert result.returncode == 0, result.stderr[-3000:]
    client = store.client()
    tags = client.get_model_version(MODEL, "3").tags
    assert tags["gate_baseline_version"] == "1"
    evaluation, trained = _keys(store, "3", "1")
    unseen = int((~evaluation.isin(trained)).sum())
    assert unseen < 0.7 * len(evaluation)  # hash in [0.2, 0.4): v1 trained on those rows
    report = _gate_report(store, "3")
    assert report["rows"] == unseen
    # The recorded difference is the one on unseen rows, recomputed here independently.
    holdout = load_holdout(str(client.get_model_version(MODEL, "3").run_id))
    unseen = holdout[~holdout["key"].isin(trained)]
    seen = holdout[holdout["key"].isin(trained)]
    auc = {}
    for version in ("1", "3"):
        model = mlflow.pyfunc.load_model(f"models:/{MODEL}/{version}")
        auc[version] = {name: roc_auc_score(rows["urgent"], model.predict(
            rows[list(FEATURE_COLUMNS)])["urgency_probability"]) for name, rows in
            (("unseen", unseen), ("seen", seen))}
    difference = report["overall"]["roc_auc"]["difference"]
    assert difference["estimate"] == pytest.approx(
        auc["3"]["unseen"] - auc["1"]["unseen"], abs=1e-6)
    # What was left out would have flattered production: it ranks rows it trained on better.
    assert auc["1"]["seen"] > auc["1"]["unseen"]
    assert np.isfinite(difference["low"])


def _gate_report(store: Store, version: str) -> dict[str, Any]:
    """The gate's report of `version` against v1 (`evaluation/gate_vs_v1.json` of its run)."""
    run_id = str(store.client().get_model_version(MODEL, version).run_id)
    return dict(json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="evaluation/gate_vs_v1.json")).read_text()))
