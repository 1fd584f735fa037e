"""Run names a person can read in the MLflow UI."""

from __future__ import annotations

import re

from mlflow_project import run_names

DAY = r"\d{4}-\d{2}-\d{2}"


def test_each_job_names_its_run_after_what_it_did_and_the_day() -> None:
    digest = "0123456789ab" * 5
    assert re.fullmatch(rf"train-0123456789ab-{DAY}", run_names.training_run_name(digest))
    assert re.fullmatch(rf"batch-{DAY}", run_names.batch_run_name())
    assert re.fullmatch(rf"monitor-{DAY}", run_names.monitor_run_name())
