"""The steps of the training DAG, each one project command and a decision on its exit code.

`ticket-urgency` exits 3 for data it refuses (a retry cannot change that: the task fails at once
with the command's reason); `mlflow run` exits 1 for any failure of its command, so the reason
is read from the command's `error:` line; `registry-tools` exits 3 when it refuses or finds
nothing. Everything else is treated as transient and retried with backoff.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from ticket_urgency_airflow.commands import (
    CommandResult,
    DeterministicFailure,
    TransientFailure,
    run_command,
)
from ticket_urgency_airflow.mlflow_links import log_run_link
from ticket_urgency_airflow.settings import PipelineSettings

log = logging.getLogger(__name__)

EXIT_REFUSED = 3
# What `ticket-urgency train` prints, relayed by `mlflow run`.
REGISTERED = re.compile(r"^run (?P<run>\w+): registered \S+ version (?P<version>\d+)")
DUPLICATE = re.compile(
    r"^run (?P<run>\w+): same data, code and parameters as version (?P<version>\d+)")
# What `ticket-urgency ensure-experiment` prints.
ENSURED_EXPERIMENT = re.compile(r"experiment .+: id (?P<id>\w+)")
DETERMINISTIC_TRAINING_ERRORS = ("training refused", "invalid configuration")


def snapshot_destination(settings: PipelineSettings, source: str, day: date) -> str:
    """`<TU_SNAPSHOT_DIR>/<day>/tickets.<csv|parquet>`: the suffix follows the source's format."""
    suffix = PurePosixPath(source.split("?", 1)[0]).suffix.lower()
    name = f"tickets{suffix if suffix in {'.csv', '.parquet', '.pq'} else '.csv'}"
    return f"{settings.snapshot_dir.rstrip('/')}/{day.isoformat()}/{name}"


def take_snapshot(settings: PipelineSettings, source: str, day: date) -> dict[str, Any]:
    """Copy the source to the day's snapshot; return its path, size and SHA-256.

    A local snapshot that already exists with other content is never overwritten: registered
    versions (and monitoring, which re-reads a version's training data by hash) point at it. The
    new copy then goes beside it as `tickets-<sha256[:12]>.<ext>`. A failure here (source not
    there yet, storage hiccup) is retried.
    """
    destination = snapshot_destination(settings, source, day)
    existing = None if "://" in destination else Path(destination)
    if existing is None or not existing.exists():
        return _snapshot(settings, source, destination, day)
    incoming = existing.with_name(f".incoming-{uuid.uuid4().hex}{existing.suffix}")
    try:
        taken = _snapshot(settings, source, str(incoming), day)
        if taken["sha256"] == _sha256(existing):
            return {**taken, "path": str(existing)}
        kept = existing.with_name(f"{existing.stem}-{taken['sha256'][:12]}{existing.suffix}")
        os.replace(incoming, kept)
        log.warning("%s already holds other data (a registered version may point at it): "
                    "this snapshot is %s", existing, kept)
        return {**taken, "path": str(kept)}
    finally:
        incoming.unlink(missing_ok=True)


def _snapshot(settings: PipelineSettings, source: str, destination: str,
              day: date) -> dict[str, Any]:
    result = run_command([settings.command("ticket-urgency"), "snapshot", "--source", source,
                          "--dest", destination], settings)
    if not result.ok:
        raise TransientFailure(f"snapshot of {source} failed (exit {result.returncode}): "
                               f"{result.error_message()}")
    summary = result.last_json()
    return {"source": source, "path": summary["path"], "bytes": summary["bytes"],
            "sha256": summary["sha256"], "day": day.isoformat()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def validate_snapshot(settings: PipelineSettings, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Check the snapshot against the data contract; refused data fails the task for good."""
    result = run_command([settings.command("ticket-urgency"), "validate", "--data",
                          snapshot["path"]], settings)
    if result.returncode == EXIT_REFUSED:
        raise DeterministicFailure(f"data refused, not training on {snapshot['path']}: "
                                   f"{result.error_message()}")
    if not result.ok:
        raise TransientFailure(f"validation of {snapshot['path']} failed (exit "
                               f"{result.returncode}): {result.error_message()}")
    summary = result.last_json()
    if summary.get("sha256") != snapshot["sha256"]:
        raise DeterministicFailure(
            f"{snapshot['path']} changed after it was taken (SHA-256 {summary.get('sha256')} "
            f"!= {snapshot['sha256']}): another run overwrote the snapshot")
    return summary


def train(settings: PipelineSettings, snapshot: dict[str, Any]) -> dict[str, Any]:
    """`mlflow run -e train` on the snapshot; returns what it registered or which version it
    duplicates (same data, code and parameters: nothing new is registered), with the link to
    the MLflow run (named `train-<data hash>-<date>` by the job, like every training run).
    """
    experiment = settings.experiment_name
    ensured = run_command([settings.command("ticket-urgency"), "ensure-experiment", "--name",
                           experiment], settings)
    if not ensured.ok:
        raise TransientFailure(f"cannot create or find experiment {experiment!r}: "
                               f"{ensured.error_message()}")
    result = run_command(
        [settings.command("mlflow"), "run", str(settings.mlproject_dir), "-e", "train",
         "--env-manager", "local", "--experiment-name", experiment,
         "-P", f"data={snapshot['path']}", "-P", f"experiment_name={experiment}"], settings)
    if not result.ok:
        reason = result.error_message()
        if any(marker in reason for marker in DETERMINISTIC_TRAINING_ERRORS):
            raise DeterministicFailure(f"training refused: {reason}")
        raise TransientFailure(f"mlflow run failed (exit {result.returncode}): {reason}")
    outcome = training_outcome(result, experiment)
    experiment_id = _printed_id(ensured)
    url = log_run_link(settings, "training", experiment_id, outcome["mlflow_run_id"])
    return {**outcome, "experiment_id": experiment_id,
            "mlflow_run_url": url}


def _printed_id(result: CommandResult) -> str:
    """The id `ticket-urgency ensure-experiment` printed (`experiment NAME: id N`, its last)."""
    for line in reversed(result.lines):
        found = ENSURED_EXPERIMENT.fullmatch(line.strip())
        if found:
            return found["id"]
    raise TransientFailure(f"ensure-experiment printed no experiment id: {result.tail()}")


def training_outcome(result: CommandResult, experiment: str) -> dict[str, Any]:
    """Which MLflow run trained and which version it registered (or duplicated)."""
    for line in result.lines:
        for outcome, pattern in (("registered", REGISTERED), ("duplicate", DUPLICATE)):
            found = pattern.match(line.strip())
            if found:
                return {"outcome": outcome, "version": found["version"],
                        "mlflow_run_id": found["run"], "experiment": experiment,
                        "seconds": result.seconds}
    raise TransientFailure(f"mlflow run succeeded but said neither which version it registered "
                           f"nor which it duplicates: {result.tail()}")


def read_verdict(settings: PipelineSettings, snapshot: dict[str, Any],
                 trained: dict[str, Any]) -> dict[str, Any]:
    """The gate's verdict on the version trained from this snapshot, read from the registry."""
    result = run_command([settings.command("registry-tools"), "verdict", "--data-sha256",
                          snapshot["sha256"]], settings)
    if result.returncode == EXIT_REFUSED:
        raise DeterministicFailure(f"training reported version {trained.get('version')} but the "
                                   f"registry has none for data {snapshot['sha256']}: "
                                   f"{result.error_message()}")
    if not result.ok:
        raise TransientFailure(f"registry-tools verdict failed (exit {result.returncode}): "
                               f"{result.error_message()}")
    verdict = result.last_json()
    verdict["matches_training"] = str(verdict.get("version")) == str(trained.get("version"))
    return verdict


def auto_promote(settings: PipelineSettings, verdict: dict[str, Any], *, enabled: bool,
                 run_id: str) -> dict[str, Any]:
    """Move `@production` to `@challenger` when asked to and the verdict passed; else say why
    not."""
    version = verdict.get("version")
    if not enabled:
        return {"promoted": False, "reason": "the auto_promote param is off"}
    if verdict.get("validation_status") != "passed":
        return {"promoted": False, "reason": f"version {version} did not pass the gate: "
                                             f"{verdict.get('validation_reason')}"}
    if "challenger" not in verdict.get("aliases", []):
        return {"promoted": False, "reason": f"version {version} is not @challenger (aliases: "
                                             f"{verdict.get('aliases') or 'none'})"}
    result = run_command([settings.command("registry-tools"), "promote", "--from", "challenger",
                          "--if-pending", "--reason", f"airflow auto-promote {run_id}"], settings)
    if result.returncode == EXIT_REFUSED:
        raise DeterministicFailure(f"promotion of version {version} refused: "
                                   f"{result.error_message()}")
    if not result.ok:
        raise TransientFailure(f"registry-tools promote failed (exit {result.returncode}): "
                               f"{result.error_message()}")
    return {"promoted": True, "version": version, "reason": result.tail(1)}


def summary_text(snapshot: dict[str, Any], trained: dict[str, Any], verdict: dict[str, Any],
                 promotion: dict[str, Any]) -> str:
    """One line for people: what was trained, what the gate said, what moved."""
    what = ("registered version" if trained["outcome"] == "registered"
            else "nothing new: same data, code and parameters as version")
    aliases = ", ".join(f"@{a}" for a in verdict.get("aliases", [])) or "no alias"
    promoted = ("; promoted to @production" if promotion.get("promoted")
                else f"; not promoted: {promotion.get('reason')}")
    return (f"ticket_urgency {snapshot['day']}: {what} {verdict['version']} "
            f"(gate: {verdict.get('validation_status')}, {aliases}){promoted}")
