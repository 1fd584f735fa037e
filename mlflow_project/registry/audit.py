"""The audit trail of alias moves: one tag per move on the run `alias moves` of the experiment
`<model>.audit`, numbered in order.

A dedicated experiment keeps the trail out of the registered model's tags, on a SQLite store and
behind `mlflow server` alike, and readable in the MLflow UI (the run's tags `audit.000000001`,
... hold one JSON entry each). Recording is one read and one small write, as cheap as the
model tag it replaces: it happens while the registry lock is held (and checked to be held right
before, by `registry.moves`), so sequence numbers never collide and the trail's run is created
by one holder only. Each entry records the action, the alias, the versions it moved from and to
(to None: the alias was removed), who, when and why.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.entities import Run, ViewType

from mlflow_project.runs import ensure_experiment

AUDIT_PREFIX = "audit."
SEQUENCE_DIGITS = 9
TRAIL_RUN = "alias moves"
PROMOTE = "promote"  # @production onto a version (also `ab promote`)
ROLLBACK = "rollback"  # @production back to the version it served before
NOMINATE = "nominate"  # @challenger onto a version that passed the gate after training
CLEAR = "clear"  # an alias removed (@challenger once its version was promoted)


@dataclass(frozen=True)
class AuditEntry:
    """One alias move."""

    sequence: int
    action: str
    alias: str
    from_version: str | None
    to_version: str | None
    actor: str
    at: str
    reason: str


def experiment_name(name: str) -> str:
    """The experiment holding the audit trail of registered model `name`."""
    return f"{name}.audit"


def entries(client: MlflowClient, name: str) -> list[AuditEntry]:
    """Every recorded alias move of `name`, oldest first ([] before the first move)."""
    experiment = client.get_experiment_by_name(experiment_name(name))
    if experiment is None:
        return []
    run = _trail_run(client, str(experiment.experiment_id))
    return _entries_of(run) if run is not None else []


def record(client: MlflowClient, name: str, *, action: str, alias: str,
           from_version: str | None, to_version: str | None, actor: str,
           reason: str) -> AuditEntry:
    """Append one entry (call only while holding the registry lock)."""
    experiment_id = _experiment_id(client, name)
    run = _trail_run(client, experiment_id) or _create_trail_run(client, experiment_id, name)
    sequence = max((e.sequence for e in _entries_of(run)), default=0) + 1
    entry = AuditEntry(sequence=sequence, action=action, alias=alias, from_version=from_version,
                       to_version=to_version, actor=actor,
                       at=datetime.now(UTC).isoformat(timespec="seconds"), reason=reason)
    client.set_tag(run.info.run_id, f"{AUDIT_PREFIX}{sequence:0{SEQUENCE_DIGITS}d}",
                   json.dumps(asdict(entry)))
    return entry


def previous_production(history: list[AuditEntry], alias: str) -> str | None:
    """The version `alias` should roll back to: promotions push, rollbacks pop.

    After promotions v1, v2, v3 a rollback returns to v2, and a second rollback to v1. Other
    entries (nominations, clearings) never served production and are skipped.
    """
    stack: list[str] = []
    for entry in history:
        if entry.alias != alias or entry.to_version is None:
            continue
        if entry.action == ROLLBACK and stack:
            stack.pop()
        elif entry.action == PROMOTE:
            stack.append(entry.to_version)
    return stack[-2] if len(stack) >= 2 else None


def latest_move_onto(history: list[AuditEntry], alias: str, version: str) -> AuditEntry | None:
    """The last entry that pointed `alias` at `version` (who promoted it, when, why), if any."""
    return next((e for e in reversed(history) if e.alias == alias and e.to_version == version),
                None)


def _entries_of(run: Run) -> list[AuditEntry]:
    found = [AuditEntry(**json.loads(value)) for key, value in run.data.tags.items()
             if key.startswith(AUDIT_PREFIX)]
    return sorted(found, key=lambda entry: entry.sequence)


def _trail_run(client: MlflowClient, experiment_id: str) -> Run | None:
    """The run holding the trail (the first one, should a second ever appear)."""
    found = client.search_runs([experiment_id], filter_string=f"attributes.run_name = "
                               f"'{TRAIL_RUN}'", run_view_type=ViewType.ALL, max_results=1,
                               order_by=["attributes.start_time ASC"])
    return found[0] if found else None


def _create_trail_run(client: MlflowClient, experiment_id: str, name: str) -> Run:
    """Create the (finished) run the trail's tags go on."""
    note = (f"Audit trail of {name}'s alias moves (mlflow_project.registry.audit): one tag "
            "per nomination, promotion, rollback or clearing. Written by the platform; do not "
            "edit.")
    run = client.create_run(experiment_id, run_name=TRAIL_RUN,
                            tags={"mlflow.note.content": note})
    client.set_terminated(run.info.run_id)
    return client.get_run(run.info.run_id)


def _experiment_id(client: MlflowClient, name: str) -> str:
    """The audit experiment's id, created when missing."""
    return ensure_experiment(experiment_name(name), None, client=client)
