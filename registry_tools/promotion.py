"""Promotion: move `@production` to a version that passed the gate, with an audit record."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion

from mlflow_project.registry import audit, moves, naming
from mlflow_project.registry.gate import GatePolicy
from mlflow_project.registry.lock import registry_lock
from mlflow_project.registry.store import version_by_alias
from mlflow_project.registry.validation import GateInputMissing, judge_version


class PromotionRefused(RuntimeError):
    """The promotion would break a rule; the message says which and how to override it."""


@dataclass(frozen=True)
class Promotion:
    """What a promotion changed."""

    version: str
    previous_version: str | None
    regated: bool


def promote(client: MlflowClient, name: str, version: str, *, actor: str, reason: str,
            policy: GatePolicy, force: bool = False) -> Promotion:
    """Point `@production` at `version` if it passed the gate (re-run if production moved since).

    Serialized with every other alias move through the registry lock, and recorded in the audit
    trail; a challenger that is the promoted version is cleared (audited too). `force` skips the
    gate and needs a reason, which is recorded with the move.
    """
    if force and not reason.strip():
        raise PromotionRefused("--force needs --reason, which is recorded with the promotion")
    with registry_lock(client, name, holder=f"{actor}: promote v{version}") as lock:
        candidate = client.get_model_version(name, version)
        production = version_by_alias(client, name, naming.PRODUCTION)
        if production is not None and str(production.version) == version:
            raise PromotionRefused(f"version {version} is already in production")
        regated = False
        if not force:
            _require_passed(candidate)
            if production is not None and _gated_against(candidate) != str(production.version):
                _regate(client, candidate, policy)
                regated = True
        why = f"forced: {reason.strip()}" if force else (reason.strip() or "passed the gate")
        previous = moves.move_alias(client, lock, name, naming.PRODUCTION, version,
                                    action=audit.PROMOTE, actor=actor, reason=why)
        moves.clear_alias(client, lock, name, naming.CHALLENGER, only_from=version, actor=actor,
                          reason=f"v{version} was promoted to production")
    return Promotion(version=version, previous_version=previous, regated=regated)


def rollback(client: MlflowClient, name: str, *, actor: str, reason: str) -> Promotion:
    """Point `@production` back at the version it served before, found from the audit trail.

    No gate: a rollback returns to a version that already served. Serialized and audited like
    a promotion.
    """
    with registry_lock(client, name, holder=f"{actor}: rollback") as lock:
        target = audit.previous_production(audit.entries(client, name), naming.PRODUCTION)
        if target is None:
            raise PromotionRefused(f"{name} has no previous production version to roll back to")
        previous = moves.move_alias(client, lock, name, naming.PRODUCTION, target,
                                    action=audit.ROLLBACK, actor=actor,
                                    reason=reason.strip() or "rollback")
    return Promotion(version=target, previous_version=previous, regated=False)


def pending_version(client: MlflowClient, name: str) -> str | None:
    """The version `@challenger` points at (awaiting promotion), or None."""
    challenger = version_by_alias(client, name, naming.CHALLENGER)
    return str(challenger.version) if challenger is not None else None


def _require_passed(candidate: ModelVersion) -> None:
    status = candidate.tags.get(naming.TAG_VALIDATION_STATUS, "not validated")
    if status != naming.STATUS_PASSED:
        detail = candidate.tags.get(naming.TAG_VALIDATION_REASON, "")
        raise PromotionRefused(
            f"version {candidate.version} has validation_status '{status}'"
            + (f" ({detail})" if detail else "")
            + "; use --force --reason '...' to promote it anyway"
        )


def _gated_against(candidate: ModelVersion) -> str:
    return candidate.tags.get(naming.TAG_GATE_BASELINE_VERSION, "")


def _regate(client: MlflowClient, candidate: ModelVersion, policy: GatePolicy) -> None:
    """Production changed since the candidate was gated: gate it again (no alias moves)."""
    try:
        decision = judge_version(client, candidate.name, str(candidate.version), policy)
    except GateInputMissing as exc:
        raise PromotionRefused(f"version {candidate.version} cannot be gated against the current "
                               f"production version ({exc}); use --force --reason '...' to "
                               "promote it anyway") from exc
    if not decision.passed:
        raise PromotionRefused(f"version {candidate.version} no longer passes the gate against "
                               f"the current production version: {decision.summary}")
