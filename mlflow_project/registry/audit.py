"""The audit trail of alias moves: one registered-model tag per move, numbered in order.

Entries are written by `registry.moves` while the registry lock is held (and checked to be held
right before), so numbers never collide. Each entry records the action, the alias, the versions
it moved from and to (to None: the alias was removed), who, when and why.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient

AUDIT_PREFIX = "audit."
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


def entries(client: MlflowClient, name: str) -> list[AuditEntry]:
    """Every recorded alias move of `name`, oldest first."""
    tags = client.get_registered_model(name).tags
    found = [AuditEntry(**json.loads(value)) for key, value in tags.items()
             if key.startswith(AUDIT_PREFIX)]
    return sorted(found, key=lambda entry: entry.sequence)


def record(client: MlflowClient, name: str, *, action: str, alias: str,
           from_version: str | None, to_version: str | None, actor: str,
           reason: str) -> AuditEntry:
    """Append one entry (call only while holding the registry lock)."""
    sequence = max((e.sequence for e in entries(client, name)), default=0) + 1
    entry = AuditEntry(sequence=sequence, action=action, alias=alias, from_version=from_version,
                       to_version=to_version, actor=actor,
                       at=datetime.now(UTC).isoformat(timespec="seconds"), reason=reason)
    client.set_registered_model_tag(name, f"{AUDIT_PREFIX}{sequence:06d}",
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
