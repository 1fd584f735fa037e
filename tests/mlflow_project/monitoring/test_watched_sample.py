"""The watched version's record count against the floor, and every version's count."""

from __future__ import annotations

import pandas as pd

from mlflow_project.monitoring.watched_sample import watched_sample


def _records(*versions: str) -> pd.DataFrame:
    return pd.DataFrame({"model_name": ["ticket_urgency"] * len(versions),
                         "model_version": list(versions)})


def test_counts_the_watched_version_and_names_the_others() -> None:
    sample = watched_sample(_records("2", "3", "2", "10"), "ticket_urgency", "2", required=2)
    assert sample.records == 2
    assert sample.sufficient
    assert sample.by_version == {"ticket_urgency v10": 1, "ticket_urgency v2": 2,
                                 "ticket_urgency v3": 1}
    assert sample.describe() == ("ticket_urgency v2: 2 records (2 required); other versions in "
                                 "the window: ticket_urgency v10: 1 record, "
                                 "ticket_urgency v3: 1 record")


def test_one_record_short_of_the_floor_is_insufficient() -> None:
    sample = watched_sample(_records("2", "2", "3"), "ticket_urgency", "2", required=3)
    assert not sample.sufficient
    assert sample.status_line() == (
        "insufficient data: 2 of 3 required records of model ticket_urgency v2")


def test_an_absent_version_is_named_with_what_the_window_holds() -> None:
    sample = watched_sample(_records("3"), "ticket_urgency", "2", required=1)
    assert sample.records == 0
    assert sample.status_line() == ("insufficient data: 0 of 1 required records of model "
                                    "ticket_urgency v2 (the window holds ticket_urgency v3: "
                                    "1 record)")
