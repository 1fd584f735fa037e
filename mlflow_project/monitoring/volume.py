"""Traffic facts of a window: records per hour, the mix of variants and model versions, latency.

They carry no verdict of their own (a quiet night is not an incident), but an hour without any
prediction or a latency jump is often the first sign that something upstream broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Volume:
    """Summary numbers (JSON-able) and the per-hour counts for the report's plot."""

    summary: dict[str, Any]
    per_hour: pd.Series


def summarise_volume(records: pd.DataFrame, since: datetime, until: datetime) -> Volume:
    """Count records per hour of [since, until), share them by variant and version, and take
    latency percentiles."""
    hours = pd.date_range(pd.Timestamp(since).floor("h"), pd.Timestamp(until), freq="h",
                          inclusive="left")
    per_hour = (records.set_index("timestamp").resample("h").size()
                .reindex(hours, fill_value=0) if len(records)
                else pd.Series(0, index=hours, dtype="int64"))
    latency = records["latency_ms"].to_numpy(dtype=float)
    versions = (records["model_name"].fillna("?") + " v" + records["model_version"].fillna("?"))
    summary: dict[str, Any] = {
        "records": len(records),
        "hours": len(hours),
        "records_per_hour": {"mean": float(per_hour.mean()) if len(hours) else 0.0,
                             "min": int(per_hour.min()) if len(hours) else 0,
                             "max": int(per_hour.max()) if len(hours) else 0},
        "empty_hours": int((per_hour == 0).sum()),
        "variant_shares": _shares(records["variant"].fillna("(none)")),
        "model_version_shares": _shares(versions),
        "latency_ms": {f"p{q}": float(np.percentile(latency, q)) for q in (50, 95, 99)}
        if len(latency) else {},
    }
    return Volume(summary=summary, per_hour=per_hour)


def _shares(values: pd.Series) -> dict[str, float]:
    counts = values.astype(str).value_counts(normalize=True).sort_index()
    return {str(k): round(float(v), 6) for k, v in counts.items()}
