"""The steps of the monitoring DAG: service health, the monitoring job, and what its result means.

`python -m mlflow_project.monitoring` (in the project's environment) exits 0 when all is well,
1 on an unexpected error, 2 for bad arguments, 3 when its input is unusable, 10 for drift, 11 for
a quality breach, 12 for both and 13 when the window holds too few records of the watched
version for a verdict; it writes `summary.json` into `--out`. Insufficient data is a result, not
a failure: retrying cannot add records to a past day, and a quiet day is no alarm, so the run
goes to all_clear, whose message says that no verdict was made and why.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ticket_urgency_airflow.commands import DeterministicFailure, TransientFailure, run_command
from ticket_urgency_airflow.dates import Window, iso
from ticket_urgency_airflow.mlflow_links import log_run_link
from ticket_urgency_airflow.settings import PipelineSettings

log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_ARGUMENTS, EXIT_INPUT_UNUSABLE = 0, 1, 2, 3
EXIT_DRIFT, EXIT_QUALITY, EXIT_BOTH, EXIT_INSUFFICIENT_DATA = 10, 11, 12, 13
FINDINGS = {EXIT_OK: "ok", EXIT_DRIFT: "drift", EXIT_QUALITY: "quality_breach",
            EXIT_BOTH: "drift_and_quality_breach", EXIT_INSUFFICIENT_DATA: "insufficient_data"}
HEALTH_PATHS = {"/health": "ok", "/ready": "ready"}  # path -> the JSON `status` expected
HEALTH_ATTEMPTS = 3
HEALTH_PAUSE_SECONDS = 2.0
MAX_SUMMARY_BYTES = 64_000
MONITORING_MODULE = "mlflow_project.monitoring"


class AlertRaised(SystemExit):
    """Fails the alert task, and so the run, after the alert went out, with its one-line reason.

    Airflow logs a `SystemExit` as one line (`Task exited exit_code=<the reason>`), where any
    other exception gets a stack trace that hides the finding. The alert task has no retries,
    so it fails at once; the failure callback sees `already_notified` and does not notify again.
    """

    already_notified = True


@dataclass(frozen=True)
class Probe:
    """One GET of a service endpoint, and the `status` its JSON body must carry."""

    url: str
    expected: str
    status: int | None
    latency_ms: float
    body: Any
    error: str | None

    @property
    def answered(self) -> str | None:
        """The `status` field of the JSON body, if any."""
        return self.body.get("status") if isinstance(self.body, dict) else None

    @property
    def ok(self) -> bool:
        """A 2xx answer whose body says what the prediction service says when all is well."""
        return (self.status is not None and 200 <= self.status < 300
                and self.answered == self.expected)

    def problem(self) -> str:
        """Why this probe is not healthy, for people."""
        if self.error:
            return f"GET {self.url}: {self.error}"
        reason = self.body.get("reason") if isinstance(self.body, dict) else None
        if self.status is not None and 200 <= self.status < 300:
            return (f"GET {self.url} answered HTTP {self.status} without "
                    f'{{"status": "{self.expected}"}}: is this the prediction service?')
        return f"GET {self.url} answered HTTP {self.status}" + (f" ({reason})" if reason else "")


def probe(url: str, expected: str, timeout: float) -> Probe:
    """GET `url`; record status, latency and the (JSON) body, or the connection error."""
    started = time.perf_counter()
    status: int | None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, raw = int(response.status), response.read(MAX_SUMMARY_BYTES)
        error = None
    except urllib.error.HTTPError as exc:
        status, raw, error = exc.code, exc.read(MAX_SUMMARY_BYTES), None
    except (urllib.error.URLError, OSError) as exc:
        status, raw, error = None, b"", str(getattr(exc, "reason", exc))
    latency = round((time.perf_counter() - started) * 1000, 1)
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")[:500]
    return Probe(url=url, expected=expected, status=status, latency_ms=latency, body=body,
                 error=error)


def check_service(settings: PipelineSettings, attempts: int = HEALTH_ATTEMPTS,
                  pause: float = HEALTH_PAUSE_SECONDS) -> dict[str, Any]:
    """GET /health and /ready; fail with the URL and the reason if the service is down or not
    ready after `attempts` tries (a blip is absorbed here; a down service is a finding, not
    something to retry for minutes)."""
    base = settings.service_url
    probes: list[Probe] = []
    for attempt in range(1, attempts + 1):
        probes = [probe(f"{base}{path}", expected, settings.http_timeout_seconds)
                  for path, expected in HEALTH_PATHS.items()]
        if all(p.ok for p in probes):
            break
        log.warning("attempt %d/%d: %s", attempt, attempts,
                    "; ".join(p.problem() for p in probes if not p.ok))
        if attempt < attempts:
            time.sleep(pause)
    failed = [p for p in probes if not p.ok]
    if failed:
        raise DeterministicFailure(
            f"prediction service at {base} is down or not ready after {attempts} attempts: "
            + "; ".join(p.problem() for p in failed))
    health, ready = probes
    for p in probes:
        log.info("GET %s: HTTP %s in %.1f ms", p.url, p.status, p.latency_ms)
    version = ready.body.get("model_version") if isinstance(ready.body, dict) else None
    return {"url": base, "health": asdict(health), "ready": asdict(ready),
            "latency_ms": {"health": health.latency_ms, "ready": ready.latency_ms},
            "model_version": version}


def output_dir(settings: PipelineSettings, window: Window) -> str:
    """`<TU_MONITORING_DIR>/<day>`: where the job writes summary.json for that day."""
    return f"{settings.monitoring_dir.rstrip('/')}/{window.day.isoformat()}"


def run_monitoring(settings: PipelineSettings, window: Window) -> dict[str, Any]:
    """Run the monitoring job on the window's prediction logs and classify its exit code."""
    out = output_dir(settings, window)
    result = run_command(monitoring_command(settings, window, out), settings)
    code = result.returncode
    if code in FINDINGS:
        finding = FINDINGS[code]
        summary = read_summary(out)
        return {"exit_code": code, "finding": finding, "drift": code in (EXIT_DRIFT, EXIT_BOTH),
                "quality_breach": code in (EXIT_QUALITY, EXIT_BOTH), "out": out,
                "logs": settings.prediction_logs, "since": iso(window.start),
                "until": iso(window.end), "summary": summary,
                "mlflow_run_url": _run_link(settings, summary)}
    reason = result.error_message()
    if f"No module named {MONITORING_MODULE}" in reason:
        raise DeterministicFailure(f"{MONITORING_MODULE} is not in the project's environment "
                                   f"({settings.project_bin}): update the project (make install)")
    if code == EXIT_BAD_ARGUMENTS:
        raise DeterministicFailure(f"the monitoring job refused its arguments: {reason}")
    if code == EXIT_INPUT_UNUSABLE:
        raise DeterministicFailure(f"prediction logs at {settings.prediction_logs} for "
                                   f"{window.day} are unusable: {reason}")
    raise TransientFailure(f"the monitoring job failed (exit {code}): {reason}")


def _run_link(settings: PipelineSettings, summary: dict[str, Any] | None) -> str | None:
    """Log the link to the MLflow run the job recorded in summary.json (`mlflow`)."""
    run = (summary or {}).get("mlflow")
    if not isinstance(run, dict) or not run.get("run_id"):
        log.warning("summary.json names no MLflow run")
        return None
    return log_run_link(settings, "monitoring", str(run.get("experiment_id")),
                        str(run["run_id"]))


def monitoring_command(settings: PipelineSettings, window: Window, out: str) -> list[str]:
    """`python -m mlflow_project.monitoring ...` for one window, with the optional settings."""
    command = [settings.command("python"), "-m", MONITORING_MODULE,
               "--logs", settings.prediction_logs, "--since", iso(window.start),
               "--until", iso(window.end), "--out", out]
    for option, value in (("--model-uri", settings.monitoring_model_uri),
                          ("--feedback", settings.monitoring_feedback),
                          ("--engine", settings.monitoring_engine)):
        if value:
            command += [option, value]
    return command


def read_summary(out: str) -> dict[str, Any] | None:
    """The job's summary.json when it is local and readable (kept small for XCom)."""
    path = Path(out) / "summary.json"
    if "://" in out or not path.is_file():
        log.warning("no summary.json at %s", path)
        return None
    raw = path.read_text(errors="replace")
    if len(raw) > MAX_SUMMARY_BYTES:
        return {"truncated": True, "path": str(path)}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"unreadable": True, "path": str(path)}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def branches(result: dict[str, Any], *, trigger_training: bool) -> list[str]:
    """Task ids to follow: all_clear, or alert (+ trigger_training on drift when asked)."""
    if not (result["drift"] or result["quality_breach"]):
        return ["all_clear"]
    return ["alert", "trigger_training"] if result["drift"] and trigger_training else ["alert"]


def clear_text(result: dict[str, Any]) -> str:
    """One line for people when nothing is alerted: no finding, or no verdict for lack of data
    (with the job's own `status_line`: how many of how many records of which version)."""
    window = f"ticket_urgency monitoring {result['since']}..{result['until']}"
    if result["finding"] != FINDINGS[EXIT_INSUFFICIENT_DATA]:
        return f"{window}: no drift, no quality breach"
    line = (result.get("summary") or {}).get("status_line") or "insufficient data"
    return f"{window}: no verdict, {line}; details in {result['out']}/summary.json"


def alert_text(result: dict[str, Any]) -> str:
    """One line for people: what was found, on which day, which checks, where the details are."""
    found = {"drift": "data drift", "quality_breach": "a quality breach",
             "drift_and_quality_breach": "data drift and a quality breach"}[result["finding"]]
    summary = result.get("summary") or {}
    checks = summary.get("checks")
    if not isinstance(checks, dict):
        checks = {}
    drifted = sorted(name for name, check in checks.items()
                     if isinstance(check, dict) and check.get("drift"))
    detail = f" (drift in {', '.join(drifted)})" if drifted else ""
    link = f"; MLflow run {result['mlflow_run_url']}" if result.get("mlflow_run_url") else ""
    return (f"ticket_urgency monitoring found {found}{detail} in the predictions of "
            f"{result['since']}..{result['until']}; details in {result['out']}/summary.json"
            f"{link}")
