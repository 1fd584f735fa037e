"""`bq://`: the URI, the SQL, the rows turned into records, and every failure as one line.

No BigQuery here: the query is checked as text, and the source is fed rows by a stand-in client
that records how it was called (the emulator test lives with the BigQuery emulator's setup).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from contracts.prediction_log import PredictionRecord
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.sources import LogCounts, bigquery, open_source
from mlflow_project.monitoring.sources.bigquery import (
    BigQuerySource,
    TableRef,
    build_query,
    parse_table_uri,
)
from tests.mlflow_project.monitoring.sources.sink import lift, served
from tests.support import REPO

URI = "bq://test-project.logs.run_googleapis_com_stdout"
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)


def record(timestamp: str = "2026-03-01T10:00:00.000+00:00", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_version": 1, "timestamp": timestamp, "request_id": "r-1", "ticket_id": "T-1",
        "model_name": "ticket_urgency", "model_version": "3", "variant": "production",
        "endpoint": "/predict",
        "features": {"title": "VPN down", "description": "Nobody can work", "source": "email",
                     "customer_tier": "premium"},
        "urgency_probability": 0.91, "urgent": True, "threshold": 0.5, "latency_ms": 2.5}
    return {**base, **changes}


# --- the URI -----------------------------------------------------------------------------------

def test_a_table_uri_names_project_dataset_and_table() -> None:
    assert parse_table_uri(URI) == TableRef("test-project", "logs", "run_googleapis_com_stdout")
    assert open_source(URI) == BigQuerySource(uri=URI, table=parse_table_uri(URI))


@pytest.mark.parametrize(("uri", "rule"), [
    ("bq://onlyproject", "expected bq://PROJECT.DATASET.TABLE"),
    ("bq://my-project.logs", "expected bq://PROJECT.DATASET.TABLE"),
    ("bq://my-project.logs.t.extra", "expected bq://PROJECT.DATASET.TABLE"),
    ("bq://", "expected bq://PROJECT.DATASET.TABLE"),
    ("bq://My_Project.logs.t", "PROJECT 'My_Project' must be 6-30 lowercase letters"),
    ("bq://my-project.lo-gs.t", "DATASET 'lo-gs' must be letters, digits or underscores"),
    ("bq://my-project.logs.t`; DROP TABLE x; --", "TABLE 't`; DROP TABLE x; --' must be"),
])
def test_a_bad_table_uri_is_unusable_naming_the_form(uri: str, rule: str) -> None:
    with pytest.raises(InputUnusable) as caught:
        open_source(uri)
    message = str(caught.value)
    assert message.startswith(f"{uri}: ")
    assert rule in message
    assert "bq://my-project.logs.run_googleapis_com_stdout" in message  # the example


# --- the SQL -----------------------------------------------------------------------------------

def test_the_query_prunes_partitions_and_selects_only_the_payload_and_time() -> None:
    assert build_query(TableRef("test-project", "logs", "run_googleapis_com_stdout")) == (
        "SELECT TO_JSON_STRING(jsonPayload) AS payload, timestamp AS entry_timestamp\n"
        "FROM `test-project.logs.run_googleapis_com_stdout`\n"
        "WHERE timestamp >= @since AND timestamp < @until\n"
        "  AND jsonPayload.record_version IS NOT NULL")


# --- rows -> records, with a stand-in client ---------------------------------------------------

@dataclass
class StandInClient:
    """Answers `query(...).result(page_size=...)` with `rows`; remembers the call."""

    rows: list[dict[str, Any]]
    fail_at: int | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def query(self, sql: str, job_config: Any = None, **retries: Any) -> StandInClient:
        self.calls.append({"sql": sql, "parameters": {
            p.name: (p.type_, p.value) for p in job_config.query_parameters}, **retries})
        return self

    def result(self, page_size: int | None = None, **retries: Any) -> Iterator[dict[str, Any]]:
        self.calls[-1]["page_size"] = page_size
        for number, row in enumerate(self.rows):
            if number == self.fail_at:
                raise gexc.ServiceUnavailable("backend error while reading page 2")
            yield row


def _row(payload: dict[str, Any] | str, at: datetime) -> dict[str, Any]:
    return {"payload": payload if isinstance(payload, str) else json.dumps(payload),
            "entry_timestamp": at}


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> StandInClient:
    client = StandInClient(rows=[])
    monkeypatch.setattr(bigquery, "bigquery_client", lambda uri, project: client)
    return client


def test_rows_become_records_with_the_entry_time_when_the_payload_has_none(
        stand_in: StandInClient) -> None:
    at = datetime(2026, 3, 1, 10, 0, 0, 3000, tzinfo=UTC)
    lifted = {**record(request_id="r-lifted"), "timestamp": None}  # a null column in the row
    _, current = lift(served(datetime(2026, 3, 1, 12, tzinfo=UTC), request_id="r-current"))
    stand_in.rows = [
        _row(record(), at),
        _row(lifted, datetime(2026, 3, 1, 11, tzinfo=UTC)),
        _row({**current, "timestamp": None}, datetime(2026, 3, 1, 12, tzinfo=UTC)),
        _row(record("2026-03-01T23:59:59.999+00:00", request_id="r-late"), UNTIL),
        _row(record("2026-03-02T00:00:10+00:00"), UNTIL + timedelta(seconds=10)),
        _row(record(urgency_probability=1.5), at),
        _row("{not json", at),
    ]
    counts = LogCounts()
    records = list(open_source(URI).records(SINCE, UNTIL, counts))
    assert [r.request_id for r in records] == ["r-1", "r-lifted", "r-current", "r-late"]
    assert records[0] == PredictionRecord.model_validate(record())
    assert records[1].timestamp == datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert (records[2].record_version, records[2].timestamp) == (
        2, datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert (counts.files, counts.lines, counts.outside_window, counts.malformed) == (1, 7, 1, 2)
    assert [(m.file, m.line, m.reason.split(":")[0]) for m in counts.malformed_examples] == [
        (URI, 6, "urgency_probability"), (URI, 7, "Invalid JSON payload")]
    (call,) = stand_in.calls
    assert call["sql"] == build_query(parse_table_uri(URI))
    assert call["parameters"] == {"since": ("TIMESTAMP", SINCE),
                                  "until": ("TIMESTAMP", UNTIL + timedelta(minutes=1))}
    assert call["page_size"] == bigquery.PAGE_SIZE
    assert call["retry"].timeout == bigquery.RETRY_SECONDS  # an unreachable API fails in time
    assert call["job_retry"] is None


def test_an_api_error_while_paging_is_unusable(stand_in: StandInClient) -> None:
    stand_in.rows, stand_in.fail_at = [_row(record(), SINCE)] * 3, 1
    with pytest.raises(InputUnusable, match=rf"^{URI}: BigQuery query failed: backend error"):
        list(open_source(URI).records(SINCE, UNTIL, LogCounts()))


def test_a_missing_table_is_unusable_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoTable(StandInClient):
        def query(self, sql: str, job_config: Any = None, **retries: Any) -> StandInClient:
            raise gexc.NotFound("Not found: Table test-project:logs.run_googleapis_com_stdout "
                                "was not found in location US")

    monkeypatch.setattr(bigquery, "bigquery_client", lambda uri, project: NoTable(rows=[]))
    with pytest.raises(InputUnusable, match=rf"^{URI}: BigQuery query failed: Not found: Table"):
        list(open_source(URI).records(SINCE, UNTIL, LogCounts()))


# --- the client --------------------------------------------------------------------------------

def test_no_credentials_is_unusable_saying_what_to_set(no_credentials: dict[str, str]) -> None:
    with pytest.raises(InputUnusable) as caught:
        list(open_source(URI).records(SINCE, UNTIL, LogCounts()))
    message = str(caught.value)
    assert message.startswith(f"{URI}: no Google credentials to reach BigQuery")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message
    assert "BIGQUERY_EMULATOR_HOST=http://HOST:PORT" in message
    assert "\n" not in message


def test_the_emulator_is_reached_anonymously_at_its_address(
        no_credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "127.0.0.1:9050")
    with pytest.raises(InputUnusable, match=r"BIGQUERY_EMULATOR_HOST=127.0.0.1:9050 needs its "
                                            r"scheme, e.g. http://127.0.0.1:9050"):
        bigquery.bigquery_client(URI, "test-project")
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "http://127.0.0.1:9050")
    client = bigquery.bigquery_client(URI, "test-project")
    assert client.project == "test-project"
    assert isinstance(client._credentials, AnonymousCredentials)
    assert client._connection.API_BASE_URL == "http://127.0.0.1:9050"


@pytest.mark.parametrize(("logs", "message"), [
    ("bq://onlyproject", "input unusable: bq://onlyproject: expected bq://PROJECT.DATASET.TABLE"),
    (URI, f"input unusable: {URI}: no Google credentials to reach BigQuery"),
])
def test_monitor_exits_3_on_an_unusable_table(no_credentials: dict[str, str], tmp_path: Path,
                                              logs: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlflow_project.monitoring", "--logs", logs, "--since",
         SINCE.isoformat(), "--until", UNTIL.isoformat(), "--out", str(tmp_path / "out")],
        cwd=REPO, env={**no_credentials, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/m.db"},
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
