"""Model quality on the real Endava tickets: 5-fold cross-validation, old pipeline vs new.

Each outer fold plays "tickets the model never saw"; on the other four folds:
- old: the previous `train` (before issue 11): word TF-IDF + LR (C=4) fitted on 60% of the rows,
  threshold for recall 0.8 chosen on 20%, nothing refitted;
- new: today's `train` with its defaults (`TrainConfig`): cross-validation on those rows, the
  threshold from out-of-fold scores with its expected recall interval, refit on all of them.
Reported per fold and as the mean with a 95% t-interval over the folds: PR-AUC, ROC-AUC,
incidents-only ROC-AUC (SOURCE.md: the honest figure, requests are never urgent), recall at the
threshold, and whether that recall fell inside the interval the new protocol logged.
Run: make bench-quality (needs ../shared/data/endava/tickets.csv).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

from mlflow_project.data.dataset import load_tickets
from mlflow_project.model.decision import urgent_at
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import fit_model, fit_pipeline, fold_ids, scores_of
from mlflow_project.training.threshold import choose_threshold

ENDAVA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "endava" / "tickets.csv"
FOLDS = 5
OLD = TrainConfig(data="old", stages=1, features="word", C=4.0)


def old_protocol(rows: pd.DataFrame) -> tuple[object, float, None]:
    """Fit on 60%, threshold on 20% (the other 20% was its test split), as `train` did."""
    strata = rows["urgent"].astype(str) + "|" + rows["slice"]
    rest, _ = train_test_split(rows, test_size=0.2, random_state=42, stratify=strata)
    train, validation = train_test_split(rest, test_size=0.25, random_state=42,
                                         stratify=strata.loc[rest.index])
    pipeline = fit_pipeline(train, OLD.model())
    threshold = choose_threshold(validation["urgent"].to_numpy(),
                                 scores_of(pipeline, validation), OLD.target_recall)
    return pipeline, threshold, None


def new_protocol(rows: pd.DataFrame, positives: int) -> tuple[object, float, tuple[float, float]]:
    """Today's `train`: CV threshold with its expected-recall interval, refit on all rows."""
    fitted = fit_model(rows.reset_index(drop=True), TrainConfig(data="new"),
                       evaluation_positives=positives)
    return fitted.pipeline, fitted.threshold, (fitted.recall.low, fitted.recall.high)


def fold_figures(pipeline: object, threshold: float, interval: tuple[float, float] | None,
                 test: pd.DataFrame) -> dict[str, float]:
    """The figures of one fitted model on one unseen fold."""
    labels = test["urgent"].to_numpy()
    scores = scores_of(pipeline, test)  # type: ignore[arg-type]
    incident = (test["slice"] == "incident").to_numpy()
    recall = float(urgent_at(scores[labels == 1], threshold).mean())
    figures = {"pr_auc": average_precision_score(labels, scores),
               "roc_auc": roc_auc_score(labels, scores),
               "incident_roc_auc": roc_auc_score(labels[incident], scores[incident]),
               "recall": recall}
    if interval is not None:
        figures["recall_in_interval"] = float(interval[0] <= recall <= interval[1])
    return figures


def summary(values: list[float]) -> str:
    """Mean and 95% t-interval over the folds."""
    mean = float(np.mean(values))
    half = stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values))
    return f"{mean:.3f} [{mean - half:.3f}, {mean + half:.3f}]"


def main() -> int:
    """Print per-fold figures and the summary table."""
    if not ENDAVA.is_file():
        print(f"{ENDAVA} is absent: nothing to measure", file=sys.stderr)
        return 1
    tickets = load_tickets(str(ENDAVA)).validation.valid.reset_index(drop=True)
    folds = fold_ids(tickets, FOLDS, seed=0)
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for fold in range(FOLDS):
        rows, test = tickets[folds != fold], tickets[folds == fold]
        for name in results:
            start = time.perf_counter()
            fitted = (old_protocol(rows) if name == "old"
                      else new_protocol(rows, int(test["urgent"].sum())))
            figures = fold_figures(*fitted, test)
            results[name].append(figures)
            print(f"fold {fold} {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
                  + (f", interval [{fitted[2][0]:.3f}, {fitted[2][1]:.3f}]" if fitted[2] else "")
                  + f" ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\nEndava, {len(tickets)} tickets, {FOLDS}-fold CV: mean [95% t-interval over folds]")
    print(f"{'metric':18} {'old pipeline':>24} {'new (train defaults)':>24}")
    for metric in ("pr_auc", "roc_auc", "incident_roc_auc", "recall"):
        print(f"{metric:18} {summary([f[metric] for f in results['old']]):>24} "
              f"{summary([f[metric] for f in results['new']]):>24}")
    inside = sum(f["recall_in_interval"] for f in results["new"])
    print(f"new: recall inside its logged interval in {inside:.0f} of {FOLDS} folds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
