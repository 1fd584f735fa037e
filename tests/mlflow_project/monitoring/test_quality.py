"""Delayed labels: the join to predictions, coverage, and the breach rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contracts.feedback import FeedbackError, parse_feedback
from mlflow_project.monitoring.quality import assess_quality

VALIDATION = {"precision": 0.80, "recall": 0.80, "f1": 0.80, "roc_auc": 0.90}


def predictions(count: int, seed: int = 0) -> pd.DataFrame:
    """Scored tickets T-0.. with scores that rank the hidden truth well (truth in `truth`)."""
    rng = np.random.default_rng(seed)
    truth = rng.random(count) < 0.3
    scores = np.clip(np.where(truth, 0.8, 0.2) + rng.normal(0, 0.15, count), 0, 1)
    return pd.DataFrame({
        "timestamp": pd.date_range("2026-03-01", periods=count, freq="min", tz="UTC"),
        "ticket_id": [f"T-{i}" for i in range(count)],
        "urgency_probability": scores, "urgent": (scores >= 0.5).astype(int),
        "truth": truth.astype(int),
    })


def labels_for(frame: pd.DataFrame, flip: bool = False) -> pd.DataFrame:
    truth = 1 - frame["truth"] if flip else frame["truth"]
    return pd.DataFrame({"ticket_id": frame["ticket_id"], "urgent": truth.astype(str)})


def test_labels_for_part_of_the_window_are_joined_and_coverage_reported() -> None:
    window = predictions(400)
    feedback = parse_feedback(pd.concat([
        labels_for(window.iloc[:150]),
        pd.DataFrame({"ticket_id": ["X-1", "X-2"], "urgent": ["1", "0"]}),  # not in the window
    ]))
    result = assess_quality(window, feedback, 0.5, VALIDATION, tolerance=0.1, min_labels=50,
                            bucket="h")
    assert result.labelled == 150
    assert result.coverage == pytest.approx(150 / 400)
    assert result.unmatched_labels == 2
    assert result.judged
    assert not result.breach
    assert result.metrics["recall"] > 0.8
    assert set(result.metrics) >= {"precision", "recall", "f1", "roc_auc"}
    assert result.over_time["labelled"].sum() == 150
    assert list(result.over_time.columns) == ["start", "labelled", "precision", "recall", "f1"]


def test_the_join_uses_each_tickets_latest_prediction_and_ignores_rows_without_id() -> None:
    window = predictions(60)
    rescored = window.iloc[[0]].assign(timestamp=window["timestamp"].iloc[-1]
                                       + pd.Timedelta(minutes=5),
                                       urgency_probability=1.0 - window["urgency_probability"]
                                       .iloc[0])
    anonymous = window.iloc[[1]].assign(ticket_id=None)
    frame = pd.concat([window, rescored, anonymous], ignore_index=True)
    result = assess_quality(frame, parse_feedback(labels_for(window)), 0.5, VALIDATION, 0.1,
                            min_labels=10, bucket="h")
    assert result.duplicate_predictions == 1
    assert result.labelled == 60
    assert result.predictions == 62


def test_worse_than_validation_beyond_the_tolerance_is_a_breach() -> None:
    window = predictions(300)
    result = assess_quality(window, parse_feedback(labels_for(window, flip=True)), 0.5,
                            VALIDATION, tolerance=0.1, min_labels=50, bucket="D")
    assert result.judged
    assert result.breach
    assert set(result.breached) == {"precision", "recall", "f1", "roc_auc"}
    assert "precision" in result.reason


def test_too_few_labels_are_not_judged_even_when_bad() -> None:
    window = predictions(300)
    feedback = parse_feedback(labels_for(window.iloc[:20], flip=True))
    result = assess_quality(window, feedback, 0.5, VALIDATION, tolerance=0.1, min_labels=50,
                            bucket="h")
    assert result.labelled == 20
    assert not result.judged
    assert not result.breach
    assert "at least 50" in result.reason


def test_metrics_without_a_validation_value_are_not_judged() -> None:
    window = predictions(200)
    result = assess_quality(window, parse_feedback(labels_for(window, flip=True)), 0.5,
                            {"recall": 0.8}, tolerance=0.1, min_labels=10, bucket="h")
    assert result.breached == ["recall"]


def test_one_class_labels_leave_roc_auc_out_rather_than_faking_it() -> None:
    window = predictions(100)
    feedback = parse_feedback(pd.DataFrame({"ticket_id": window["ticket_id"], "urgent": "0"}))
    result = assess_quality(window, feedback, 0.5, VALIDATION, 0.1, 10, "h")
    assert "roc_auc" not in result.metrics
    assert "roc_auc" not in result.breached


def test_feedback_with_a_row_without_id_or_with_a_bad_label_is_refused_whole() -> None:
    # The one rule set of contracts.feedback, shared with `ab status`: never partly used.
    with pytest.raises(FeedbackError, match=r"row 3: urgent must be 0 or 1 \(got 'yes'\); "
                                            r"row 4: ticket_id must not be empty"):
        parse_feedback(pd.DataFrame({"ticket_id": ["A", "B", None, "C", "A"],
                                     "urgent": ["1", "yes", "0", "0.0", "1"]}))


def test_feedback_repeating_a_label_counts_it_once() -> None:
    feedback = parse_feedback(pd.DataFrame({"ticket_id": ["A", "C", "A"],
                                            "urgent": ["1", "0.0", "1"]}))
    assert (feedback.rows, feedback.repeated_rows) == (3, 1)
    assert feedback.frame().set_index("ticket_id")["urgent"].to_dict() == {"A": 1, "C": 0}


def test_feedback_without_the_label_column_is_refused() -> None:
    with pytest.raises(FeedbackError, match="urgent"):
        parse_feedback(pd.DataFrame({"ticket_id": ["A"]}))
