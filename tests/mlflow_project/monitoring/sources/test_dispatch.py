"""`open_source`: one choice of source by the URI's form, for monitoring and `ab status` alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.sources import LogCounts, open_source
from mlflow_project.monitoring.sources.bigquery import BigQuerySource
from mlflow_project.monitoring.sources.cloud_logging import CloudLoggingSource
from mlflow_project.monitoring.sources.jsonl import JsonlSource


@pytest.mark.parametrize(("uri", "kind"), [
    ("/var/log/predictions", JsonlSource),
    ("relative/logs", JsonlSource),
    ("gs://bucket/serving/", JsonlSource),
    ("logging+gs://bucket/run.googleapis.com/stdout", CloudLoggingSource),
    ("bq://my-project.logs.run_googleapis_com_stdout", BigQuerySource),
])
def test_the_uri_form_chooses_the_source(uri: str, kind: type) -> None:
    source = open_source(uri)
    assert isinstance(source, kind)
    assert source.uri == uri


@pytest.mark.parametrize("uri", ["s3://bucket/logs", "logging+s3://b/x", "https://logs.example"])
def test_an_unknown_scheme_is_unusable_naming_the_forms(uri: str) -> None:
    with pytest.raises(InputUnusable) as caught:
        open_source(uri)
    message = str(caught.value)
    assert message.startswith(f"{uri}: unknown kind of prediction logs; expected ")
    for form in ("gs://BUCKET[/PREFIX]", "logging+gs://BUCKET/LOG_FOLDER",
                 "bq://PROJECT.DATASET.TABLE"):
        assert form in message


def test_opening_reads_nothing(tmp_path: Path) -> None:
    """Errors about the location itself come when records are asked for, as before."""
    source = open_source(str(tmp_path / "absent"))
    with pytest.raises(InputUnusable, match="no such folder"):
        list(source.records(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC),
                            LogCounts()))
