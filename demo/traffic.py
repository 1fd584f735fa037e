"""Simulated traffic: synthetic tickets scored by a registered model, written as prediction logs.

Monitoring can be tried, tested and benchmarked without a running server: each record is
`contracts.prediction_log`'s, exactly as serving writes it, and the generator's drift
knobs make drifted traffic on demand. The true labels can be written as a feedback file, as if
they had arrived later.

    python -m demo.traffic --out .demo/logs/traffic.jsonl --rows 2000
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from contracts.cloud_logging import log_time
from contracts.model_uri import default_model_uri
from contracts.prediction_log import prediction_record
from mlflow_project.model.scoring import TicketScorer


def log_records(tickets: pd.DataFrame, scorer: TicketScorer, *, model_name: str,
                model_version: str, start: datetime, end: datetime, seed: int,
                variant: str = "production", endpoint: str = "/predict") -> list[dict[str, Any]]:
    """One prediction-log record per ticket, at random instants of [start, end) in time order,
    scored by `scorer` exactly as the batch path scores."""
    rng = np.random.default_rng(seed)
    scores = scorer.probabilities_frame(tickets)
    labels = scorer.labels(scores)
    seconds = np.sort(rng.uniform(0.0, (end - start).total_seconds(), len(tickets)))
    latencies = rng.lognormal(mean=1.0, sigma=0.4, size=len(tickets))
    ids = tickets["ticket_id"] if "ticket_id" in tickets.columns else [None] * len(tickets)
    return [
        prediction_record(
            time=log_time(start + timedelta(seconds=float(offset))),
            request_id=uuid.UUID(int=int(rng.integers(0, 2**63))).hex,
            ticket_id=None if pd.isna(ticket_id) else str(ticket_id),
            model_name=model_name, model_version=model_version, variant=variant,
            endpoint=endpoint,
            features={"title": title, "description": description, "source": source,
                      "customer_tier": tier},
            urgency_probability=float(score), urgent=bool(label), threshold=scorer.threshold,
            latency_ms=round(float(latency), 3))
        for ticket_id, title, description, source, tier, score, label, offset, latency in zip(
            ids, tickets["title"], tickets["description"], tickets["source"],
            tickets["customer_tier"], scores, labels, seconds, latencies, strict=True)
    ]


def write_jsonl(records: Sequence[dict[str, Any]], path: Path) -> None:
    """Write records one JSON object per line, as serving's file sink does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def main(
    out: Annotated[Path, typer.Option(help="JSONL file to write")],
    rows: Annotated[int, typer.Option(min=1)] = 2000,
    seed: Annotated[int, typer.Option(help="generator seed (the demo trains on seed 42)")] = 7,
    model_uri: Annotated[str | None, typer.Option(
        help="registered model to score with [default: models:/<TU_MODEL_NAME>@production]")]
    = None,
    hours: Annotated[float, typer.Option(min=0.01, help="traffic spread over the last N hours")]
    = 24.0,
    source_shift: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.0,
    new_vocabulary: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.0,
    urgent_rate_shift: Annotated[float, typer.Option(min=-1.0, max=1.0)] = 0.0,
    feedback: Annotated[Path | None, typer.Option(
        help="also write the true labels of a share of the tickets here (CSV)")] = None,
    labelled_share: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
) -> None:
    """Score synthetic tickets with a registered model and write them as prediction logs."""
    from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
    from mlflow_project.monitoring.watched_model import find_version, load_watched_model

    model = load_watched_model(find_version(model_uri or default_model_uri()))
    end = datetime.now(UTC)
    tickets = generate_tickets(GeneratorConfig(rows=rows, seed=seed, drift=DriftConfig(
        source_shift=source_shift, new_vocabulary=new_vocabulary,
        urgent_rate_shift=urgent_rate_shift)))
    tickets["ticket_id"] = [f"SIM-{seed}-{i:06d}" for i in range(1, rows + 1)]
    write_jsonl(log_records(tickets, model.scorer, model_name=model.name,
                            model_version=model.version, start=end - timedelta(hours=hours),
                            end=end, seed=seed), out)
    typer.echo(f"wrote {rows} prediction records of {model.name} v{model.version} to {out}")
    if feedback is not None:
        labelled = tickets.sample(frac=labelled_share, random_state=seed)
        feedback.parent.mkdir(parents=True, exist_ok=True)
        labelled[["ticket_id", "urgent"]].to_csv(feedback, index=False)
        typer.echo(f"wrote {len(labelled)} delayed labels to {feedback}")


if __name__ == "__main__":
    from mlflow_project.tracking_store import use_tracking_store

    use_tracking_store()  # MLFLOW_TRACKING_URI unset: the project's store, said so
    typer.run(main)
