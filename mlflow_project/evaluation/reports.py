"""Evaluation artifacts: plots (PNG), a classification report and a data profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never open a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    classification_report,
)

from mlflow_project.model.decision import urgent_at


def write_evaluation_plots(labels: np.ndarray, scores: np.ndarray, threshold: float,
                           folder: Path) -> list[Path]:
    """Confusion matrix, ROC, PR and calibration plots as PNG files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    predicted = urgent_at(scores, threshold)
    plots = {
        "confusion_matrix.png": lambda ax: ConfusionMatrixDisplay.from_predictions(
            labels, predicted, display_labels=["not urgent", "urgent"], ax=ax, colorbar=False),
        "roc_curve.png": lambda ax: RocCurveDisplay.from_predictions(labels, scores, ax=ax),
        "pr_curve.png": lambda ax: PrecisionRecallDisplay.from_predictions(labels, scores, ax=ax),
        "calibration.png": lambda ax: _calibration(labels, scores, ax),
    }
    written = []
    for name, draw in plots.items():
        figure, ax = plt.subplots(figsize=(5, 4))
        draw(ax)
        ax.set_title(name.removesuffix(".png").replace("_", " "))
        figure.tight_layout()
        figure.savefig(folder / name, dpi=90)
        plt.close(figure)
        written.append(folder / name)
    return written


def classification_report_text(labels: np.ndarray, scores: np.ndarray, threshold: float) -> str:
    """scikit-learn's per-class precision/recall/F1 table at the chosen threshold."""
    predicted = urgent_at(scores, threshold)
    header = f"decision threshold: {threshold:.4f}\n\n"
    return header + str(classification_report(labels, predicted, labels=[0, 1],
                                              target_names=["not urgent", "urgent"],
                                              zero_division=0))


def data_profile(tickets: pd.DataFrame) -> dict[str, Any]:
    """A small description of the training data: size, label balance, category mix, text size."""
    text_length = (tickets["title"].str.len() + tickets["description"].str.len())
    profile: dict[str, Any] = {
        "rows": len(tickets),
        "urgent_rate": float(tickets["urgent"].mean()) if len(tickets) else None,
        "empty_titles": int((tickets["title"] == "").sum()),
        "source_counts": tickets["source"].value_counts().to_dict(),
        "customer_tier_counts": tickets["customer_tier"].value_counts().to_dict(),
        "text_length": {k: float(v) for k, v in text_length.describe().items()},
    }
    if "slice" in tickets.columns:
        profile["slice_counts"] = tickets["slice"].value_counts().to_dict()
    return profile


def _calibration(labels: np.ndarray, scores: np.ndarray, ax: Any) -> None:
    observed, predicted = calibration_curve(labels, scores, n_bins=10, strategy="quantile")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.plot(predicted, observed, marker="o", label="model")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed urgent rate")
    ax.legend(loc="upper left")
