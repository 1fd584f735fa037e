"""A BigQuery emulator (bqemulator) on a free loopback port, for tests that use the real client.

bqemulator (REST API on DuckDB + SQLGlot) answers google-cloud-bigquery's dataset, table,
`insertAll` and parameterised-query calls. It runs from its own virtualenv, like Airflow: its
1.4.0 pins grpcio-tools/grpcio-health-checking < 1.81, which need protobuf < 7, and
requirements.lock has protobuf 7. `make bqemulator-install` (part of `make test`) creates that
environment, `.venv-bqemulator`, from `tests/bigquery_emulator_requirements.txt`; BQEMULATOR_BIN
points at another `bqemulator` executable.

At start bqemulator runs DuckDB's `INSTALL spatial; LOAD spatial` and refuses to start without
it; INSTALL downloads from DuckDB's extension site, which this workplace cannot reach. The
extension also comes from PyPI (`duckdb-extension-spatial`, built for one DuckDB version), so the
emulator runs with HOME set to a private folder whose ~/.duckdb/extensions holds a link to that
file: INSTALL then finds it installed and nothing is downloaded. The Avro extension, also fetched
at start, is turned off (BQEMU_ENABLE_FORMAT_EXTENSIONS=false): the tests load no Avro.

Known divergences from BigQuery (measured with bqemulator 1.4.0, DuckDB 1.5.5):
- TO_JSON_STRING of a TIMESTAMP gives "2026-03-01 12:00:00.5+00" where BigQuery documents
  "2026-03-01T12:00:00.5Z"-style RFC 3339 text;
- a FLOAT64 1.0 is written `1.0` (crucible-emulator, checked against recorded BigQuery
  answers, writes `1`); the record's fields accept both;
- load jobs from JSON (`load_table_from_json`) fail: "multipart upload's second part has
  unsupported Content-Type '*/*'"; use `insert_rows_json`.

Tests take the `bigquery_emulator` fixture by importing it:
`from tests.bigquery_emulator import bigquery_emulator`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from google.cloud import bigquery

REPO = Path(__file__).resolve().parents[1]
EMULATOR_VENV = REPO / ".venv-bqemulator"
PROJECT = "test-project"
START_TIMEOUT = 60.0
# Run by the emulator's own interpreter: its DuckDB version and platform, and the spatial
# extension file that duckdb-extension-spatial ships (null when that package is absent).
_PROBE = """
import json, pathlib, duckdb
version = duckdb.__version__
platform = duckdb.sql("PRAGMA platform").fetchone()[0]
try:
    import duckdb_extension_spatial as pkg
    path = pathlib.Path(pkg.__file__).parent / "extensions" / f"v{version}"
    path = path / "spatial.duckdb_extension"
    spatial = str(path) if path.is_file() else None
except ImportError:
    spatial = None
print(json.dumps({"version": version, "platform": platform, "spatial": spatial}))
"""


class EmulatorUnavailable(RuntimeError):
    """bqemulator is not installed or did not start; the message says why and what to do."""


@dataclass(frozen=True)
class BigQueryEmulator:
    """A running emulator: its REST endpoint (BIGQUERY_EMULATOR_HOST's value) and project."""

    endpoint: str
    project: str
    log: Path

    def client(self) -> bigquery.Client:
        """The real google-cloud-bigquery client, anonymous, pointed at the emulator."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(project=self.project, credentials=AnonymousCredentials(),
                               client_options={"api_endpoint": self.endpoint})


def emulator_executable() -> Path:
    """BQEMULATOR_BIN, else .run/bqemulator-venv's, else one next to this Python or on PATH."""
    explicit = os.environ.get("BQEMULATOR_BIN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise EmulatorUnavailable(f"BQEMULATOR_BIN={explicit} is not an executable")
        return Path(explicit)
    for candidate in (EMULATOR_VENV / "bin" / "bqemulator",
                      Path(sys.executable).parent / "bqemulator"):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("bqemulator")
    if found:
        return Path(found)
    raise EmulatorUnavailable(
        "bqemulator is not installed; create its environment with `make bqemulator-install` "
        f"({EMULATOR_VENV.relative_to(REPO)}) or set BQEMULATOR_BIN")


def _private_home(executable: Path, home: Path) -> None:
    """Lay out `home`/.duckdb/extensions so that DuckDB finds the pip-shipped spatial extension
    already installed. Without duckdb-extension-spatial nothing is laid out: DuckDB then tries
    to download it and the emulator says so if it cannot."""
    python = executable.parent / "python"
    probe = subprocess.run([str(python if python.exists() else executable), "-c", _PROBE],
                           capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        raise EmulatorUnavailable(f"cannot inspect bqemulator's DuckDB with {python}: "
                                  f"{probe.stderr.strip()[-500:]}")
    found = json.loads(probe.stdout)
    if found["spatial"] is None:
        return
    folder = home / ".duckdb" / "extensions" / f"v{found['version']}" / found["platform"]
    folder.mkdir(parents=True)
    (folder / "spatial.duckdb_extension").symlink_to(found["spatial"])


def _ready(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_emulator(project: str = PROJECT,
                     timeout: float = START_TIMEOUT) -> Iterator[BigQueryEmulator]:
    """Start bqemulator (in memory) on a free loopback port, wait until it is ready, yield it,
    and stop it. Raises EmulatorUnavailable (with the end of its log) when it cannot start."""
    from tests.support import free_port

    executable = emulator_executable()
    with tempfile.TemporaryDirectory(prefix="bqemulator-") as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        _private_home(executable, home)
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        log = Path(scratch) / "bqemulator.log"
        env = {**os.environ, "HOME": str(home), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
        command = [str(executable), "start", "--ephemeral", "--project", project,
                   "--rest-host", "127.0.0.1", "--rest-port", str(port),
                   "--grpc-host", "127.0.0.1", "--grpc-port", "0",
                   "--log-level", "warning", "--log-format", "console"]
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + timeout
            while not _ready(endpoint):
                if process.poll() is not None or time.monotonic() > deadline:
                    state = (f"exited with {process.returncode}" if process.poll() is not None
                             else f"not ready after {timeout:.0f} s")
                    tail = log.read_text(errors="replace").strip()[-1500:]
                    raise EmulatorUnavailable(f"{executable} {state}; its log ends:\n{tail}")
                time.sleep(0.1)
            yield BigQueryEmulator(endpoint=endpoint, project=project, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def bigquery_emulator() -> Iterator[BigQueryEmulator]:
    """A running bqemulator for the tests of one module (each test makes its own tables).

    When it cannot start: a failure when CI=true, a skip saying why elsewhere.
    """
    try:
        with running_emulator() as emulator:
            yield emulator
    except EmulatorUnavailable as exc:
        message = f"the BigQuery emulator cannot start: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def sink_table_schema(form: str = "string") -> list[bigquery.SchemaField]:
    """The columns of a Cloud Logging BigQuery sink's table of Cloud Run stdout, our record in
    `jsonPayload`. `form` is which records the table got and how their time arrives there:
    version 1 records with a `timestamp` "string", a "timestamp" (typed by the sink) or one
    "lifted" into the entry's own `timestamp`; "current" records (their `time`, severity, trace
    and labels lifted into the entry's columns); or "mixed", version 1 "string" rows and then
    current ones, as a table looks after serving moved to version 2."""
    from google.cloud.bigquery import SchemaField as F

    timestamp = {"string": [F("timestamp", "STRING")], "mixed": [F("timestamp", "STRING")],
                 "timestamp": [F("timestamp", "TIMESTAMP")], "lifted": [], "current": []}[form]
    labels = ([F("model_version", "STRING"), F("variant", "STRING")]
              if form in {"current", "mixed"} else [])
    return [
        F("logName", "STRING"),
        F("resource", "RECORD", fields=[F("type", "STRING"), F("labels", "RECORD", fields=[
            F("project_id", "STRING"), F("service_name", "STRING"), F("revision_name", "STRING"),
            F("configuration_name", "STRING"), F("location", "STRING")])]),
        F("textPayload", "STRING"),
        F("jsonPayload", "RECORD", fields=[
            F("record_version", "FLOAT"), *timestamp, F("request_id", "STRING"),
            F("ticket_id", "STRING"), F("model_name", "STRING"), F("model_version", "STRING"),
            F("variant", "STRING"), F("endpoint", "STRING"),
            F("features", "RECORD", fields=[
                F("title", "STRING"), F("description", "STRING"), F("source", "STRING"),
                F("customer_tier", "STRING")]),
            F("urgency_probability", "FLOAT"), F("urgent", "BOOLEAN"), F("threshold", "FLOAT"),
            F("latency_ms", "FLOAT"), F("message", "STRING")]),
        F("timestamp", "TIMESTAMP"), F("receiveTimestamp", "TIMESTAMP"),
        F("severity", "STRING"), F("insertId", "STRING"),
        F("labels", "RECORD", fields=[F("instanceId", "STRING"), *labels]),
        F("trace", "STRING"), F("spanId", "STRING"), F("traceSampled", "BOOLEAN"),
    ]

