"""Builders shared by the monitoring tests: log records, log files and windows of traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.prediction_log import prediction_record
from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.checks import WindowSample


def record(timestamp: str = "2026-03-01T10:00:00.000+00:00", **changes: Any) -> dict[str, Any]:
    """A valid version 1 record (as serving wrote them before version 2: readers still take
    them), with `changes` applied; `current_record` is today's."""
    base: dict[str, Any] = {
        "record_version": 1, "timestamp": timestamp, "request_id": "r-1", "ticket_id": "T-1",
        "model_name": "ticket_urgency", "model_version": "3", "variant": "production",
        "endpoint": "/predict",
        "features": {"title": "VPN down", "description": "Nobody can work",
                     "source": "email", "customer_tier": "premium"},
        "urgency_probability": 0.91, "urgent": True, "threshold": 0.5, "latency_ms": 2.5,
    }
    return {**base, **changes}


def current_record(time: str = "2026-03-01T10:00:00.000000Z", **changes: Any) -> dict[str, Any]:
    """A valid record as serving's `log_records` writes it now, with `changes` applied."""
    fields = {k: v for k, v in record().items() if k not in {"record_version", "timestamp"}}
    return prediction_record(**{**fields, "time": time, **changes})


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write `lines` as a log file (creating its folder) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def window_of(scorer: TicketScorer, rows: int, seed: int,
              drift: DriftConfig | None = None) -> WindowSample:
    """A window of synthetic traffic (fresh seed) as the checks see it."""
    tickets = generate_tickets(GeneratorConfig(rows=rows, seed=seed,
                                               drift=drift or DriftConfig()))
    scores = scorer.probabilities_frame(tickets)
    return WindowSample(tickets=tickets, scores=scores, urgent=scorer.labels(scores))
