"""Two model versions' metrics side by side, on the same labelled evaluation data."""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from contracts.model_uri import version_uri
from mlflow_project.data.contract import FEATURE_COLUMNS, LABEL_COLUMN
from mlflow_project.evaluation.metrics import classification_metrics
from mlflow_project.registry import naming
from mlflow_project.registry.validation import load_holdout, unseen_by

COMPARED = ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "predicted_urgent_rate")


def compare_versions(client: MlflowClient, name: str, first: str, second: str,
                     data: pd.DataFrame | None = None) -> dict[str, Any]:
    """Score both versions on `data` and tabulate.

    By default the rows are the newer version's evaluation rows minus those the older one
    trained on: rows neither version saw, as the gate compares them. Precision, recall and F1
    use each version's own decision threshold, as it would serve.
    """
    versions = {v: client.get_model_version(name, v) for v in (first, second)}
    if data is None:
        ordered = sorted(versions.values(), key=lambda v: int(v.version))
        older, newer = ordered[0], ordered[-1]
        holdout = load_holdout(str(newer.run_id))
        unseen, how = unseen_by(holdout, older)
        data = holdout[unseen].reset_index(drop=True)
        source = f"v{newer.version}'s evaluation rows {how}"
    else:
        source = "given data"
    labels = data[LABEL_COLUMN].to_numpy()
    table: dict[str, dict[str, float | None]] = {m: {} for m in (*COMPARED, "threshold")}
    for number, version in versions.items():
        model = mlflow.pyfunc.load_model(version_uri(name, number))
        scores = np.asarray(model.predict(data[list(FEATURE_COLUMNS)])["urgency_probability"],
                            dtype=float)
        threshold = float(version.tags.get(naming.TAG_THRESHOLD, "0.5"))
        metrics = classification_metrics(labels, scores, threshold)
        for metric in COMPARED:
            table[metric][number] = metrics.get(metric)
        table["threshold"][number] = threshold
    return {"name": name, "versions": [first, second], "data": source, "rows": len(data),
            "metrics": table}


def format_comparison(result: dict[str, Any]) -> str:
    """A text table: one row per metric, one column per version, and the difference."""
    first, second = result["versions"]
    lines = [f"{result['name']} v{first} vs v{second} on {result['data']} ({result['rows']} rows)",
             f"{'metric':24} {'v' + first:>10} {'v' + second:>10} {'diff':>10}"]
    for metric, values in result["metrics"].items():
        a, b = values.get(first), values.get(second)
        diff = f"{b - a:+10.4f}" if a is not None and b is not None else f"{'-':>10}"
        lines.append(f"{metric:24} {_cell(a)} {_cell(b)} {diff}")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return f"{value:10.4f}" if value is not None else f"{'-':>10}"
