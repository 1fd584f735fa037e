"""Prediction logs from the table of a Cloud Logging BigQuery sink: `bq://PROJECT.DATASET.TABLE`.

A sink with partitioned tables writes each log to one table (Cloud Run's stdout:
`run_googleapis_com_stdout`) partitioned by day on the entry's `timestamp`, our record in the
`jsonPayload` column. One parameterised query reads the window: the `timestamp` range prunes the
partitions to the window's days, `record_version` keeps prediction records only, and only the
payload (as JSON) and the entry's timestamp (a current record's time, lifted out of the payload by
Cloud Logging: `log_entries`) are selected; rows are streamed page by page.
Against an emulator set BIGQUERY_EMULATOR_HOST=http://HOST:PORT (anonymous, like
STORAGE_EMULATOR_HOST for GCS).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from contracts.prediction_log import PredictionRecord
from mlflow_project.data.io import DataSourceError, google_client
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.sources.log_entries import entries_until, entry_record
from mlflow_project.monitoring.sources.records import LogCounts

if TYPE_CHECKING:
    from google.cloud import bigquery

SCHEME = "bq://"
EXPECTED = (f"expected {SCHEME}PROJECT.DATASET.TABLE, the table of a Cloud Logging BigQuery sink "
            f"with partitioned tables (e.g. {SCHEME}my-project.logs.run_googleapis_com_stdout)")
PAGE_SIZE = 5000
RETRY_SECONDS = 60  # an unreachable endpoint fails after this, not after 10 minutes; failed
# jobs are not re-run here (job_retry=None): the DAG retries the task
_PARTS = (
    ("PROJECT", re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]"),
     "6-30 lowercase letters, digits or hyphens, starting with a letter"),
    ("DATASET", re.compile(r"\w{1,1024}", re.ASCII), "letters, digits or underscores"),
    ("TABLE", re.compile(r"[\w-]{1,1024}", re.ASCII), "letters, digits, underscores or hyphens"),
)


@dataclass(frozen=True)
class TableRef:
    """A BigQuery table, its three names checked (they go into the SQL text)."""

    project: str
    dataset: str
    table: str

    @property
    def sql_name(self) -> str:
        """The table as SQL: `project.dataset.table`, quoted."""
        return f"`{self.project}.{self.dataset}.{self.table}`"


def parse_table_uri(uri: str) -> TableRef:
    """`bq://PROJECT.DATASET.TABLE` as a TableRef; InputUnusable naming the form and the rule."""
    parts = uri.removeprefix(SCHEME).split(".")
    if not uri.startswith(SCHEME) or len(parts) != 3:
        raise InputUnusable(f"{uri}: {EXPECTED}")
    for value, (name, pattern, rule) in zip(parts, _PARTS, strict=True):
        if not pattern.fullmatch(value):
            raise InputUnusable(f"{uri}: {name} {value!r} must be {rule}; {EXPECTED}")
    return TableRef(*parts)


def build_query(table: TableRef) -> str:
    """The window's query: parameters @since and @until (TIMESTAMP) bound the entries'
    `timestamp`, so BigQuery reads only the partitions of those days."""
    return (
        "SELECT TO_JSON_STRING(jsonPayload) AS payload, timestamp AS entry_timestamp\n"
        f"FROM {table.sql_name}\n"
        "WHERE timestamp >= @since AND timestamp < @until\n"
        "  AND jsonPayload.record_version IS NOT NULL"
    )


@dataclass(frozen=True)
class BigQuerySource:
    """The table of a Cloud Logging BigQuery sink."""

    uri: str
    table: TableRef

    @classmethod
    def from_uri(cls, uri: str) -> BigQuerySource:
        """Parse the URI (InputUnusable for a bad one); nothing is contacted yet."""
        return cls(uri=uri, table=parse_table_uri(uri))

    def records(self, since: datetime, until: datetime,
                counts: LogCounts) -> Iterator[PredictionRecord]:
        """The valid records with `since <= timestamp < until`, in no particular order; each row
        counts as a line, the table as one file.

        Raises InputUnusable when the table cannot be queried (no such table, no credentials,
        an API error).
        """
        client = bigquery_client(self.uri, self.table.project)
        counts.files = 1
        rows = _rows(client, build_query(self.table), since, entries_until(until), self.uri)
        for number, (payload, entry_timestamp) in enumerate(rows, start=1):
            counts.lines += 1
            try:
                entry = {"jsonPayload": json.loads(payload),
                         "timestamp": entry_timestamp.isoformat()}
            except (TypeError, ValueError) as exc:
                counts.add_malformed(self.uri, number, f"Invalid JSON payload: {exc}")
                continue
            record = entry_record(counts, self.uri, number, entry, since, until)
            if record is not None:
                yield record


def bigquery_client(uri: str, project: str) -> bigquery.Client:
    """A client billing `project`; anonymous against BIGQUERY_EMULATOR_HOST when it is set.

    No Google credentials (or a bad emulator address) is InputUnusable saying what to set, not
    google-auth's traceback (`mlflow_project.data.io.google_client`).
    """
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    def connect(emulator: str | None) -> bigquery.Client:
        if emulator is None:
            return bigquery.Client(project=project)
        return bigquery.Client(project=project, credentials=AnonymousCredentials(),
                               client_options={"api_endpoint": emulator})

    try:
        return google_client(uri, "BigQuery", "BIGQUERY_EMULATOR_HOST", connect)
    except DataSourceError as exc:
        raise InputUnusable(str(exc)) from exc


def _rows(client: bigquery.Client, sql: str, since: datetime, until: datetime,
          uri: str) -> Iterator[tuple[str, datetime]]:
    """(payload JSON, entry timestamp) of each row, fetched page by page."""
    from google.api_core import exceptions as gexc
    from google.auth.exceptions import GoogleAuthError
    from google.cloud import bigquery
    from google.cloud.bigquery.retry import DEFAULT_RETRY
    from requests.exceptions import ConnectionError as RequestsConnectionError

    retry = DEFAULT_RETRY.with_timeout(RETRY_SECONDS)
    config = bigquery.QueryJobConfig(query_parameters=[
        bigquery.ScalarQueryParameter("since", "TIMESTAMP", since),
        bigquery.ScalarQueryParameter("until", "TIMESTAMP", until),
    ])
    try:
        job = client.query(sql, job_config=config, retry=retry, job_retry=None)
        for row in job.result(page_size=PAGE_SIZE, retry=retry):
            yield row["payload"], row["entry_timestamp"]
    except gexc.GoogleAPICallError as exc:
        raise InputUnusable(f"{uri}: BigQuery query failed: {' '.join(exc.message.split())}"
                            ) from exc
    except (gexc.RetryError, GoogleAuthError, RequestsConnectionError) as exc:
        raise InputUnusable(f"{uri}: cannot reach BigQuery: {' '.join(str(exc).split())}"
                            ) from exc
