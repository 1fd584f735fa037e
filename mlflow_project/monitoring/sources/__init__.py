"""Prediction-log sources: JSONL files, a Cloud Logging sink's GCS export, its BigQuery table.

`open_source(uri)` picks one by the URI's form; `LogSource.records` yields the window's valid
records and counts what it skipped. `mlflow_project.monitoring.logs.window_records`, the one
reader that monitoring and `registry-tools ab status` use, goes through it.
"""

from mlflow_project.monitoring.sources.dispatch import LogSource, open_source
from mlflow_project.monitoring.sources.records import LogCounts, MalformedLine

__all__ = ["LogCounts", "LogSource", "MalformedLine", "open_source"]
