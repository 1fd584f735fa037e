"""The report's figures, each returned as a base64-encoded PNG to embed in the HTML."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever rendered to PNG bytes

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

REFERENCE_COLOUR = "#4c72b0"
CURRENT_COLOUR = "#dd8452"
DRIFT_COLOUR = "#c44e52"
MAX_BINS = 40


@contextmanager
def _figure(width: float = 6.0, height: float = 3.2) -> Iterator[tuple[Axes, list[str]]]:
    """An axes to draw on; on exit the figure is rendered into the yielded list as base64."""
    figure, axes = plt.subplots(figsize=(width, height), dpi=90)
    encoded: list[str] = []
    try:
        yield axes, encoded
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        encoded.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    finally:
        plt.close(figure)


def category_shares(reference: Mapping[str, float], current: Mapping[str, float],
                    title: str) -> str:
    """Side-by-side bars of each category's share in the reference and in the window."""
    labels = sorted(set(reference) | set(current))
    positions = np.arange(len(labels))
    with _figure() as (axes, png):
        axes.bar(positions - 0.2, [reference.get(k, 0.0) for k in labels], 0.4,
                 label="reference", color=REFERENCE_COLOUR)
        axes.bar(positions + 0.2, [current.get(k, 0.0) for k in labels], 0.4, label="window",
                 color=CURRENT_COLOUR)
        axes.set_xticks(positions, labels)
        axes.set_ylabel("share")
        axes.set_title(title)
        axes.legend()
    return png[0]


def distributions(reference: np.ndarray, current: np.ndarray, title: str, xlabel: str,
                  marker: float | None = None) -> str:
    """Overlaid density histograms on shared bins; `marker` draws a vertical line (threshold)."""
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins=MAX_BINS).tolist()
    with _figure() as (axes, png):
        axes.hist(reference, bins=edges, density=True, alpha=0.55, label="reference",
                  color=REFERENCE_COLOUR)
        axes.hist(current, bins=edges, density=True, alpha=0.55, label="window",
                  color=CURRENT_COLOUR)
        if marker is not None:
            axes.axvline(marker, color="black", linestyle="--", label=f"threshold {marker:.3f}")
        axes.set_xlabel(xlabel)
        axes.set_ylabel("density")
        axes.set_title(title)
        axes.legend()
    return png[0]


def component_distances(statistics: list[float], drifted: list[bool], title: str) -> str:
    """KS distance per text component; drifted components (after correction) in red."""
    colours = [DRIFT_COLOUR if flag else REFERENCE_COLOUR for flag in drifted]
    with _figure(width=7.5) as (axes, png):
        axes.bar(np.arange(1, len(statistics) + 1), statistics, color=colours)
        axes.set_xlabel("text component (TF-IDF + TruncatedSVD)")
        axes.set_ylabel("KS distance")
        axes.set_title(title)
    return png[0]


def rates(reference: float, current: float, title: str) -> str:
    """Two bars: the reference rate and the window's rate."""
    with _figure(width=4.0) as (axes, png):
        axes.bar(["reference", "window"], [reference, current],
                 color=[REFERENCE_COLOUR, CURRENT_COLOUR])
        axes.set_ylabel("rate")
        axes.set_ylim(0, max(reference, current, 0.01) * 1.25)
        axes.set_title(title)
    return png[0]


def records_per_hour(per_hour: pd.Series) -> str:
    """Predictions logged in each hour of the window (empty hours show as gaps)."""
    with _figure(width=7.5) as (axes, png):
        axes.bar(per_hour.index, per_hour.to_numpy(), width=1 / 24 * 0.9,
                 color=REFERENCE_COLOUR)
        axes.set_ylabel("records per hour")
        axes.set_title("Traffic")
        axes.figure.autofmt_xdate()
    return png[0]


def quality_over_time(table: pd.DataFrame) -> str:
    """Precision, recall and F1 per time bucket, with the labelled count behind them."""
    with _figure(width=7.5) as (axes, png):
        counts = axes.twinx()
        counts.bar(table["start"], table["labelled"], color="#dddddd",
                   width=_bar_width(table["start"]))
        counts.set_ylabel("labelled predictions")
        axes.set_zorder(counts.get_zorder() + 1)
        axes.patch.set_visible(False)
        for metric in ("precision", "recall", "f1"):
            axes.plot(table["start"], table[metric], marker="o", label=metric)
        axes.set_ylim(0, 1.05)
        axes.set_ylabel("metric")
        axes.set_title("Quality on delayed labels over time")
        axes.legend(loc="lower left")
        axes.figure.autofmt_xdate()
    return png[0]


def _bar_width(starts: pd.Series) -> float:
    """Bar width in days: 90% of the gap between buckets (one hour when there is one)."""
    if len(starts) < 2:
        return 1 / 24
    return float(np.min(np.diff(starts.to_numpy()).astype("timedelta64[s]").astype(float))
                 / 86_400 * 0.9)
