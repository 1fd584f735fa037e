"""Traffic facts: records per hour (empty hours included), mixes, latency."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from mlflow_project.monitoring.volume import summarise_volume


def test_records_per_hour_count_empty_hours_and_mixes_are_shared_out() -> None:
    records = pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-03-01T00:10Z", "2026-03-01T00:50Z",
                                     "2026-03-01T03:00Z", "2026-03-01T05:59Z"], utc=True),
        "variant": ["production", "production", "challenger", None],
        "model_name": ["ticket_urgency"] * 4,
        "model_version": ["3", "3", "4", None],
        "latency_ms": [1.0, 2.0, 3.0, 100.0],
    })
    volume = summarise_volume(records, datetime(2026, 3, 1, tzinfo=UTC),
                              datetime(2026, 3, 1, 6, tzinfo=UTC))
    assert volume.per_hour.tolist() == [2, 0, 0, 1, 0, 1]
    assert volume.summary["empty_hours"] == 3
    assert volume.summary["records_per_hour"] == {"mean": 4 / 6, "min": 0, "max": 2}
    assert volume.summary["variant_shares"] == {"(none)": 0.25, "challenger": 0.25,
                                                "production": 0.5}
    assert volume.summary["model_version_shares"] == {"ticket_urgency v3": 0.5,
                                                      "ticket_urgency v4": 0.25,
                                                      "ticket_urgency v?": 0.25}
    assert volume.summary["latency_ms"]["p50"] == 2.5
