"""Per-variant A/B figures from prediction logs and delayed labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contracts.cloud_logging import log_time
from contracts.prediction_log import PredictionRecord, prediction_record
from registry_tools.ab.analysis import figures, percentile, wilson
from registry_tools.ab.logs import read_log
from registry_tools.ab.report import figures_table

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(n: int, version: str, *, urgent: bool, score: float, latency: float,
           ticket: str | None = None, request: str | None = None,
           at: datetime = T0) -> PredictionRecord:
    return PredictionRecord.model_validate(prediction_record(
        time=log_time(at + timedelta(seconds=n)), request_id=request or f"r{n}",
        ticket_id=ticket, model_name="ticket_urgency", model_version=version,
        variant="production" if version == "1" else "challenger", endpoint="/predict",
        features={"title": "t", "description": "d", "source": "web",
                  "customer_tier": "standard"},
        urgency_probability=score, urgent=urgent, threshold=0.5, latency_ms=latency))


def log_line(n: int, version: str | None, at: datetime, ticket: str | None = None) -> str:
    """A prediction-log line as serving wrote it before record version 2 (still read)."""
    return json.dumps({
        "record_version": 1, "timestamp": (at + timedelta(seconds=n)).isoformat(),
        "request_id": f"req-{n}", "ticket_id": ticket, "model_name": "ticket_urgency",
        "model_version": version, "variant": "challenger", "endpoint": "/predict",
        "features": {"title": "t", "description": "d", "source": "web",
                     "customer_tier": "standard"},
        "urgency_probability": 0.7, "urgent": True, "threshold": 0.5, "latency_ms": 2.5})


def test_figures_attribute_by_model_version_and_put_production_first() -> None:
    records = [record(i, "1", urgent=i < 2, score=0.2, latency=float(i + 1)) for i in range(8)]
    records += [record(10 + i, "2", urgent=True, score=0.9, latency=5.0) for i in range(2)]
    production, challenger = figures(records, {}, {"1": "production", "2": "challenger"})
    assert (production.role, production.model_version, production.predictions) == \
        ("production", "1", 8)
    assert production.share == pytest.approx(0.8)
    assert production.urgent_rate == pytest.approx(0.25)
    assert production.mean_score == pytest.approx(0.2)
    assert (production.latency_p50_ms, production.latency_p99_ms) == (4.0, 8.0)
    assert (challenger.role, challenger.share, challenger.urgent_rate) == ("challenger", 0.2, 1.0)
    assert (production.accuracy, production.labelled) == (None, 0)


def test_accuracy_counts_only_predictions_whose_ticket_has_a_label() -> None:
    records = [record(0, "2", urgent=True, score=0.9, latency=1, ticket="a"),
               record(1, "2", urgent=False, score=0.1, latency=1, ticket="b"),
               record(2, "2", urgent=True, score=0.8, latency=1, ticket="c"),
               record(3, "2", urgent=True, score=0.8, latency=1)]
    (row,) = figures(records, {"a": True, "b": True, "c": True, "zzz": False},
                     {"2": "challenger"})
    assert (row.labelled, row.accuracy) == (3, pytest.approx(2 / 3))
    assert row.accuracy_ci is not None
    assert row.accuracy_ci.low < 2 / 3 < row.accuracy_ci.high


def test_recall_and_precision_are_judged_at_the_threshold_on_labelled_tickets() -> None:
    said = {"a": True, "b": True, "c": False, "d": False, "e": True}  # the model's calls
    truth = {"a": True, "b": False, "c": True, "d": False, "e": True}
    records = [record(i, "2", urgent=said[t], score=0.5, latency=1, ticket=t)
               for i, t in enumerate(said)]
    records.append(record(9, "2", urgent=True, score=0.9, latency=1))  # no label: not judged
    (row,) = figures(records, truth, {"2": "challenger"})
    assert row.labelled == 5
    assert row.recall == pytest.approx(2 / 3)  # caught a and e, missed c
    assert row.precision == pytest.approx(2 / 3)  # a and e right, b wrong
    assert row.recall_ci is not None
    assert row.precision_ci is not None
    assert row.recall_ci.low < 2 / 3 < row.recall_ci.high
    assert (row.recall_ci.low, row.recall_ci.high) == (wilson(2, 3).low, wilson(2, 3).high)
    table = figures_table([row])
    assert "recall [95% CI]" in table.splitlines()[0]
    assert f"0.667 [{wilson(2, 3).low:.3f}, {wilson(2, 3).high:.3f}]" in table.splitlines()[1]


def test_without_labelled_urgent_tickets_recall_is_not_invented() -> None:
    records = [record(0, "1", urgent=False, score=0.1, latency=1, ticket="a")]
    (row,) = figures(records, {"a": False}, {"1": "production"})
    assert (row.recall, row.recall_ci, row.precision, row.precision_ci) == (None,) * 4
    assert row.accuracy == 1.0
    assert figures_table([row]).splitlines()[1].split()[9:11] == ["-", "-"]


def test_a_batch_request_counts_one_latency_and_its_predictions_each() -> None:
    records = [record(i, "1", urgent=False, score=0.1, latency=9.0, request="batch")
               for i in range(3)]
    (row,) = figures(records, {}, {})
    assert (row.role, row.predictions, row.requests, row.latency_p99_ms) == ("v1", 3, 1, 9.0)


def test_wilson_interval_matches_the_textbook_value() -> None:
    interval = wilson(8, 10)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 5).low == 0.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile([3.0], 99)) == \
        (50.0, 99.0, 3.0)


def test_logs_are_read_from_the_experiment_start_with_malformed_lines_counted(
        tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("\n".join([
        log_line(0, "2", T0 - timedelta(hours=1)),  # before the experiment
        log_line(1, "2", T0, ticket="t1"),
        log_line(2, None, T0),  # no version: cannot be attributed
        "{not json",
    ]) + "\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.jsonl").write_text(log_line(3, "1", T0) + "\n")
    parsed = read_log(str(tmp_path), T0)
    assert (parsed.files, parsed.malformed) == (2, 1)
    assert sorted((r.model_version, r.ticket_id) for r in parsed.records) == \
        [("1", None), ("2", "t1")]
