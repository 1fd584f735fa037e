"""Reading one day of prediction logs, per source: rows/s and peak memory against the JSONL path.

Writes ROWS records (default 1,000,000) spread over one UTC day, as serving writes them, in the
shape of each source: JSONL files (24 hourly files in a local folder: the baseline), a Cloud
Logging sink's GCS export (LogEntry JSON lines in `YYYY/MM/DD/HH:00:00_HH:59:59_S0.json`
objects on a GCS emulator in its own process) and a sink's BigQuery table on bqemulator (its
own process; BIGQUERY_ROWS records, default 100,000, since the emulator holds the table in
DuckDB and takes ~15 s per 100k inserts; the JSONL baseline is measured at that size too). For
each source a fresh process runs what `monitor` runs first, `read_log_window` over that day, and
reports rows/s and its peak RSS; the ratios are taken against the JSONL run of the same size in
the same invocation.
Run: make bench-log-sources [ROWS=1000000] [BIGQUERY_ROWS=100000]  (needs make bqemulator-install)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tests' sink and BigQuery emulator helpers
DAY = datetime(2026, 12, 2, tzinfo=UTC)
INSERT_BATCH = 10_000
BUCKET = "bench-sink"
LOG_FOLDER = "run.googleapis.com/stdout"
WORDS = ("server", "down", "outage", "login", "password", "reset", "invoice", "billing", "email",
         "printer", "network", "slow", "error", "please", "help", "vpn", "access", "account",
         "locked", "checkout", "payment", "customers")
MEASURE = """
import json, resource, sys, time
from datetime import datetime
from mlflow_project.monitoring.logs import read_log_window
uri, since, until = sys.argv[1], *map(datetime.fromisoformat, sys.argv[2:4])
start = time.perf_counter()
window = read_log_window(uri, since, until)
seconds = time.perf_counter() - start
print(json.dumps({"rows": len(window.records), "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def records(rows: int) -> Iterator[dict[str, object]]:
    """`rows` prediction records spread evenly over DAY, with ticket-like texts."""
    from contracts.cloud_logging import log_time
    from contracts.prediction_log import prediction_record

    rnd = random.Random(0)
    for i in range(rows):
        at = DAY + timedelta(seconds=86_400 * i / rows)
        yield prediction_record(
            time=log_time(at), request_id=f"{i:032x}",
            ticket_id=f"T-{i}", model_name="ticket_urgency", model_version="3",
            variant="production", endpoint="/predict",
            features={"title": " ".join(rnd.choices(WORDS, k=6)),
                      "description": " ".join(rnd.choices(WORDS, k=40)),
                      "source": rnd.choice(("email", "phone", "web")),
                      "customer_tier": rnd.choice(("premium", "standard"))},
            urgency_probability=rnd.random(), urgent=rnd.random() < 0.2, threshold=0.5,
            latency_ms=round(rnd.lognormvariate(1.0, 0.4), 3))


def log_entry(record: dict[str, object], number: int) -> dict[str, object]:
    """The sink export's JSON of the stdout entry holding `record` (LogEntry's JSON mapping):
    its time, severity and labels lifted into the entry, as Cloud Logging does."""
    from tests.mlflow_project.monitoring.sources.sink import lift

    fields, payload = lift(record)
    return {"insertId": f"{number:016x}", "jsonPayload": payload,
            "resource": {"type": "cloud_run_revision",
                         "labels": {"service_name": "ticket-urgency-api",
                                    "revision_name": "ticket-urgency-api-v3-abc1234"}},
            **fields, "receiveTimestamp": fields["timestamp"],
            "logName": "projects/bench/logs/run.googleapis.com%2Fstdout"}


def write_sources(rows: int, folder: Path) -> tuple[Path, Path]:
    """The JSONL folder and a folder of export objects (relative names as in the bucket)."""
    jsonl, export = folder / "jsonl", folder / "export"
    handles: dict[int, tuple[object, object]] = {}
    for number, record in enumerate(records(rows)):
        hour = datetime.fromisoformat(str(record["time"])).hour
        if hour not in handles:
            name = f"{LOG_FOLDER}/{DAY:%Y/%m/%d}/{hour:02d}:00:00_{hour:02d}:59:59_S0.json"
            (export / name).parent.mkdir(parents=True, exist_ok=True)
            jsonl.mkdir(parents=True, exist_ok=True)
            handles[hour] = ((jsonl / f"predictions-{hour:02d}.jsonl").open("w"),
                             (export / name).open("w"))
        plain, entries = handles[hour]
        plain.write(json.dumps(record) + "\n")  # type: ignore[attr-defined]
        entries.write(json.dumps(log_entry(record, number)) + "\n")  # type: ignore[attr-defined]
    for plain, entries in handles.values():
        plain.close()  # type: ignore[attr-defined]
        entries.close()  # type: ignore[attr-defined]
    return jsonl, export


@contextmanager
def gcs_emulator(folder: Path) -> Iterator[str]:
    """gcp-storage-emulator in its own process (its memory is not the reader's); yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gcp-storage-emulator"), "start", "--host",
         "127.0.0.1", "--port", str(port), "--in-memory", "--default-bucket", BUCKET],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    host = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{host}/storage/v1/b")
        yield host
    finally:
        process.terminate()
        process.wait(timeout=30)


def upload(export: Path, host: str) -> None:
    """Every export object into the emulator's bucket, through the real client."""
    os.environ["STORAGE_EMULATOR_HOST"] = host
    from mlflow_project.data.io import gcs_client

    bucket = gcs_client(f"gs://{BUCKET}").bucket(BUCKET)
    for path in sorted(export.rglob("*.json")):
        bucket.blob(str(path.relative_to(export))).upload_from_filename(str(path))


@contextmanager
def bigquery_table(rows: int) -> Iterator[tuple[str, str]]:
    """bqemulator with the sink's table of `rows` records; yields (bq:// URI, endpoint)."""
    from tests.bigquery_emulator import running_emulator, sink_table_schema

    with running_emulator() as emulator:
        from google.cloud import bigquery

        client = emulator.client()
        client.create_dataset("logs")
        table = bigquery.Table(f"{emulator.project}.logs.run_googleapis_com_stdout",
                               schema=sink_table_schema("current"))
        table.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field="timestamp")
        client.create_table(table)
        batch: list[dict[str, object]] = []
        for number, record in enumerate(records(rows)):
            entry = log_entry(record, number)
            batch.append({key: entry[key] for key in ("timestamp", "insertId", "logName",
                                                      "severity", "labels", "jsonPayload")})
            if len(batch) == INSERT_BATCH:
                _insert(client, table, batch)
        _insert(client, table, batch)
        yield f"bq://{emulator.project}.logs.run_googleapis_com_stdout", emulator.endpoint


def _insert(client: object, table: object, batch: list[dict[str, object]]) -> None:
    if batch:
        errors = client.insert_rows_json(table, batch)  # type: ignore[attr-defined]
        if errors:
            raise RuntimeError(f"bqemulator refused rows: {errors[:3]}")
        batch.clear()


def measure(uri: str, env: dict[str, str]) -> dict[str, float]:
    """`read_log_window` of DAY over `uri` in a fresh process: rows, seconds, peak RSS."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, uri, DAY.isoformat(),
         (DAY + timedelta(days=1)).isoformat()],
        env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.splitlines()[-1]))


def _wait_for(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    """Print rows/s and peak RSS per source, and each one's ratio to the JSONL path."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bigquery-rows", type=int, default=100_000,
                        help="records in the BigQuery table (0: skip it)")
    args = parser.parse_args()
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        jsonl, export = write_sources(args.rows, folder)
        print(f"wrote {args.rows:,} records per source in {time.perf_counter() - started:.0f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
        results = {"jsonl (baseline)": measure(str(jsonl), env)}
        with gcs_emulator(folder) as host:
            upload(export, host)
            results["cloud logging export (GCS)"] = measure(
                f"logging+gs://{BUCKET}/{LOG_FOLDER}", {**env, "STORAGE_EMULATOR_HOST": host})
        report(results, "jsonl (baseline)")
        if args.bigquery_rows:
            small, _ = write_sources(args.bigquery_rows, folder / "small")
            at_size = {"jsonl (baseline)": measure(str(small), env)}
            with bigquery_table(args.bigquery_rows) as (uri, endpoint):
                at_size["bigquery table (bqemulator)"] = measure(
                    uri, {**env, "BIGQUERY_EMULATOR_HOST": endpoint})
            report(at_size, "jsonl (baseline)")


def report(results: dict[str, dict[str, float]], baseline: str) -> None:
    """One line per source: rows, rows/s and peak RSS, with their ratios to `baseline`."""
    base = results[baseline]
    base_rate = base["rows"] / base["seconds"]
    print(f"{'source':30} {'rows':>10} {'rows/s':>9} {'vs jsonl':>9} {'peak RSS MB':>12} "
          f"{'vs jsonl':>9}")
    for name, got in results.items():
        rate = got["rows"] / got["seconds"]
        print(f"{name:30} {got['rows']:>10,.0f} {rate:>9,.0f} {rate / base_rate:>8.2f}x "
              f"{got['peak_rss_mb']:>12,.0f} {got['peak_rss_mb'] / base['peak_rss_mb']:>8.2f}x")


if __name__ == "__main__":
    main()
