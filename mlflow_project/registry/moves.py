"""Every alias move of the platform, in one place: under the registry lock, and audited.

Training's @challenger nomination, promotion, rollback, clearing @challenger after a promotion
and `registry-tools ab` all move aliases through `move_alias`/`clear_alias` here, while holding
`registry_lock` of the model; each move checks the lock is still held right before writing, says
who, when and why in the version's description (`registry.description`), moves the alias and
appends one audit entry (its action: `audit.PROMOTE`, `ROLLBACK`, `NOMINATE` or `CLEAR`).
"""

from __future__ import annotations

from mlflow import MlflowClient

from mlflow_project.registry import audit, description, naming, store
from mlflow_project.registry.lock import RegistryLock, registry_lock


def move_alias(client: MlflowClient, lock: RegistryLock, name: str, alias: str, version: str, *,
               action: str, actor: str, reason: str) -> str | None:
    """Point `alias` at `version` and record it; the version it pointed at before (or None).

    Raises LockLost (nothing written) when `lock` is no longer held.
    """
    _require_lock_of(lock, name)
    lock.ensure()
    previous = store.move_alias(client, name, alias, version, actor=actor, reason=reason)
    audit.record(client, name, action=action, alias=alias, from_version=previous,
                 to_version=version, actor=actor, reason=reason)
    return previous


def clear_alias(client: MlflowClient, lock: RegistryLock, name: str, alias: str, *, actor: str,
                reason: str, only_from: str | None = None) -> str | None:
    """Remove `alias` (only if it points at `only_from`, when given) and record it.

    Returns the version it pointed at, or None when nothing was removed (nor recorded). Raises
    LockLost (nothing written) when `lock` is no longer held.
    """
    _require_lock_of(lock, name)
    current = store.version_by_alias(client, name, alias)
    if current is None or only_from not in (None, str(current.version)):
        return None
    lock.ensure()
    client.delete_registered_model_alias(name, alias)
    description.set_section(client, name, str(current.version), description.alias_section(alias),
                            description.move_text(f"@{alias} removed", actor, reason))
    audit.record(client, name, action=audit.CLEAR, alias=alias, from_version=str(current.version),
                 to_version=None, actor=actor, reason=reason)
    return str(current.version)


def nominate_challenger(client: MlflowClient, name: str, version: str, *, actor: str,
                        reason: str, wait: float = 60.0, lease: float = 30.0) -> str | None:
    """Make `version` (which passed the gate) the challenger, under the lock, audited.

    For training, right after the gate passed. Returns the previous challenger (or None); raises
    LockTimeout when another alias move holds the lock for more than `wait` seconds. `lease`
    (the lock's stale_after) is short, as a nomination writes for milliseconds: the ticket of a
    training killed while it waited or held is broken that soon after it comes first, so the
    next mover (waiting `wait`, longer than `lease`) gets through instead of timing out.
    """
    with registry_lock(client, name, holder=f"{actor}: nominate v{version}", wait=wait,
                       stale_after=lease) as lock:
        return move_alias(client, lock, name, naming.CHALLENGER, version,
                          action=audit.NOMINATE, actor=actor, reason=reason)


def _require_lock_of(lock: RegistryLock, name: str) -> None:
    """A move of `name`'s aliases must hold `name`'s lock, not another model's."""
    if lock.model_name != name:
        raise ValueError(f"moving an alias of {name} needs its registry lock, not the lock of "
                         f"{lock.model_name}")
