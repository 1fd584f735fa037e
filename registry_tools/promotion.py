"""Promotion: move `@production` to a version that passed the gate, with an audit record."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion

from mlflow_project.registry import naming
from mlflow_project.registry.gate import GatePolicy
from mlflow_project.registry.store import move_alias, version_by_alias
from mlflow_project.registry.validation import HOLDOUT_ARTIFACT, judge_version


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

    `force` skips both checks and needs a reason, which is recorded with the move.
    """
    candidate = client.get_model_version(name, version)
    production = version_by_alias(client, name, naming.PRODUCTION)
    if production is not None and str(production.version) == version:
        raise PromotionRefused(f"version {version} is already in production")
    if force and not reason.strip():
        raise PromotionRefused("--force needs --reason, which is recorded with the promotion")
    regated = False
    if not force:
        _require_passed(candidate)
        if production is not None and _gated_against(candidate) != str(production.version):
            _regate(client, candidate, policy, actor)
            regated = True
    why = reason.strip() or "passed the gate"
    if force:
        why = f"forced: {why}"
    previous = move_alias(client, name, naming.PRODUCTION, version, actor=actor, reason=why)
    challenger = version_by_alias(client, name, naming.CHALLENGER)
    if challenger is not None and str(challenger.version) == version:
        client.delete_registered_model_alias(name, naming.CHALLENGER)
    return Promotion(version=version, previous_version=previous, regated=regated)


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


def _regate(client: MlflowClient, candidate: ModelVersion, policy: GatePolicy,
            actor: str) -> None:
    """Production changed since the candidate was gated: gate it again on its own hold-out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(run_id=candidate.run_id,
                                                   artifact_path=HOLDOUT_ARTIFACT, dst_path=tmp)
        holdout = pd.read_parquet(path)
    decision = judge_version(client, candidate.name, str(candidate.version), holdout, policy,
                             actor)
    if not decision.passed:
        raise PromotionRefused(f"version {candidate.version} no longer passes the gate against "
                               f"the current production version: {decision.summary}")
