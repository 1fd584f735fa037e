"""The audit trail of alias moves: one run per move in the experiment `<model>.audit`.

A dedicated experiment keeps the trail out of the registered model's tags and readable in the
MLflow UI (each run is named `#<sequence> <action> @<alias> v<to>`, its tags hold the entry's
fields), on a SQLite store and behind `mlflow server` alike. Entries are written by
`registry.moves` while the registry lock is held (and checked to be held right before), so
sequence numbers never collide. Each entry records the action, the alias, the versions it moved
from and to (to None: the alias was removed), who, when and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.entities import ViewType

from mlflow_project.runs import ensure_experiment

AUDIT_TAG_PREFIX = "audit."
PROMOTE = "promote"  # @production onto a version (also `ab promote`)
ROLLBACK = "rollback"  # @production back to the version it served before
NOMINATE = "nominate"  # @challenger onto a version that passed the gate after training
CLEAR = "clear"  # an alias removed (@challenger once its version was promoted)
PAGE = 1000
SEQUENCE_TAG = f"{AUDIT_TAG_PREFIX}sequence"
SEQUENCE_DIGITS = 9


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

    def tags(self) -> dict[str, str]:
        """The entry as run tags (`audit.<field>`; None as an empty string; the sequence
        zero-padded, so that the store sorts it)."""
        values = {**asdict(self), "sequence": f"{self.sequence:0{SEQUENCE_DIGITS}d}"}
        return {f"{AUDIT_TAG_PREFIX}{k}": "" if v is None else str(v) for k, v in values.items()}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> AuditEntry:
        """The entry a run's tags hold."""
        values = {f.name: tags.get(f"{AUDIT_TAG_PREFIX}{f.name}", "") for f in fields(cls)}
        return cls(sequence=int(values["sequence"]), action=values["action"],
                   alias=values["alias"], from_version=values["from_version"] or None,
                   to_version=values["to_version"] or None, actor=values["actor"],
                   at=values["at"], reason=values["reason"])


def experiment_name(name: str) -> str:
    """The experiment holding the audit trail of registered model `name`."""
    return f"{name}.audit"


def entries(client: MlflowClient, name: str) -> list[AuditEntry]:
    """Every recorded alias move of `name`, oldest first ([] before the first move)."""
    experiment = client.get_experiment_by_name(experiment_name(name))
    if experiment is None:
        return []
    found: list[AuditEntry] = []
    token = None
    while True:
        page = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL,
                                  max_results=PAGE, page_token=token)
        found += [AuditEntry.from_tags(run.data.tags) for run in page
                  if SEQUENCE_TAG in run.data.tags]
        token = page.token
        if not token:
            return sorted(found, key=lambda entry: entry.sequence)


def record(client: MlflowClient, name: str, *, action: str, alias: str,
           from_version: str | None, to_version: str | None, actor: str,
           reason: str) -> AuditEntry:
    """Append one entry (call only while holding the registry lock): one read of the last
    entry, then the entry's run."""
    experiment_id = _experiment_id(client, name)
    last = client.search_runs([experiment_id], run_view_type=ViewType.ALL, max_results=1,
                              order_by=[f"tags.`{SEQUENCE_TAG}` DESC"])
    sequence = int(last[0].data.tags[SEQUENCE_TAG]) + 1 if last else 1
    entry = AuditEntry(sequence=sequence, action=action, alias=alias, from_version=from_version,
                       to_version=to_version, actor=actor,
                       at=datetime.now(UTC).isoformat(timespec="seconds"), reason=reason)
    target = f"v{to_version}" if to_version else f"(was v{from_version})"
    run = client.create_run(experiment_id,
                            run_name=f"#{sequence} {action} @{alias} {target}",
                            tags={**entry.tags(), "mlflow.user": actor})
    client.set_terminated(run.info.run_id)
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


def _experiment_id(client: MlflowClient, name: str) -> str:
    """The audit experiment's id, created (with a note saying what it is) when missing."""
    note = (f"Audit trail of {name}'s alias moves (mlflow_project.registry.audit): one run per "
            "nomination, promotion, rollback or clearing. Written by the platform; do not edit.")
    return ensure_experiment(experiment_name(name), None, client=client,
                             tags={"mlflow.note.content": note})
