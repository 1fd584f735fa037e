"""The registry side of an A/B test: which versions may be tested, aliases, experiment records.

Reads happen once per command into a `RegistryView`; the checks on it are pure. Alias moves go
through `registry_tools.promotion` (`promote`: the gate; `rollback`: the audit trail; both
serialized by the registry lock and audited), and one tag `ab` on the challenger version, a JSON
record of the experiment: when it started, at what percent, by whom and why, and how it ended
(one tag, so a version keeps at most 12). `ab status` reads its `started_at` to analyse only this
experiment's predictions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient

from contracts.traffic import PlanError
from mlflow_project.registry import audit, naming
from mlflow_project.registry.gate import GatePolicy
from mlflow_project.registry.store import tag_version, version_by_alias
from registry_tools.promotion import Promotion, promote

TAG_AB = "ab"  # the A/B record, JSON: started_at/_by, percent, (end_)reason, outcome, ended_at


@dataclass(frozen=True)
class RegistryView:
    """What the A/B commands need to know about the registered model, read once."""

    name: str
    production: str | None
    previous: str | None  # where a rollback goes: from the audit trail, as `rollback` decides
    statuses: Mapping[str, str]  # version -> validation_status
    experiment_started: Mapping[str, str]  # version -> its A/B record's started_at


def read_view(client: MlflowClient, name: str) -> RegistryView:
    """Aliases, verdicts and experiment start times of every version of `name`."""
    versions = client.search_model_versions(f"name = '{name}'")
    production = version_by_alias(client, name, naming.PRODUCTION)
    previous = (audit.previous_production(audit.entries(client, name), naming.PRODUCTION)
                if versions else None)
    return RegistryView(
        name=name,
        production=str(production.version) if production is not None else None,
        previous=previous,
        statuses={str(v.version): v.tags.get(naming.TAG_VALIDATION_STATUS, "not validated")
                  for v in versions},
        experiment_started={str(v.version): record["started_at"] for v in versions
                            if "started_at" in (record := ab_record(v.tags))})


def require_production(view: RegistryView) -> str:
    """The production version; PlanError when nothing is in production yet."""
    if view.production is None:
        raise PlanError(f"{view.name} has no @{naming.PRODUCTION} version: promote one first "
                        "(registry-tools promote --from challenger)")
    return view.production


def check_candidate(view: RegistryView, version: str) -> None:
    """A version may be A/B tested if it exists, passed the gate and is not in production."""
    if version not in view.statuses:
        known = ", ".join(sorted(view.statuses, key=int)) or "none"
        raise PlanError(f"{view.name} has no version {version} (registered: {known})")
    status = view.statuses[version]
    if status != naming.STATUS_PASSED:
        raise PlanError(f"version {version} has validation_status '{status}': only versions "
                        "that passed the gate are A/B tested")
    if version == view.production:
        raise PlanError(f"version {version} is already in production")


def ab_record(tags: Mapping[str, str]) -> dict[str, str]:
    """A version's A/B record from its tags ({} when it was never A/B tested)."""
    text = tags.get(TAG_AB)
    return {str(k): str(v) for k, v in json.loads(text).items()} if text else {}


def record_start(client: MlflowClient, name: str, version: str, *, percent: int, actor: str,
                 reason: str) -> None:
    """Record on the challenger when, by whom, why and at what percent its experiment started."""
    _write_record(client, name, version, {
        "started_at": _now(), "started_by": actor, "percent": str(percent), "reason": reason,
        "outcome": "running", "ended_at": "", "end_reason": ""})


def record_end(client: MlflowClient, name: str, version: str, *, outcome: str,
               reason: str) -> None:
    """Record on the challenger how (`promoted`, `aborted`), when and why its experiment ended."""
    started = ab_record(client.get_model_version(name, version).tags)
    _write_record(client, name, version, {**started, "ended_at": _now(), "outcome": outcome,
                                          "end_reason": reason})


def promote_through_gate(client: MlflowClient, view: RegistryView, version: str, *, actor: str,
                         reason: str, policy: GatePolicy, force: bool) -> Promotion | None:
    """Move @production to `version` through the gate; None if it is already there.

    Already there happens when a previous `ab promote` moved the alias and then failed to move
    the traffic: running it again finishes the job instead of failing.
    """
    if view.production == version:
        return None
    return promote(client, view.name, version, actor=actor, reason=reason, policy=policy,
                   force=force)


def _write_record(client: MlflowClient, name: str, version: str,
                  record: Mapping[str, str]) -> None:
    tag_version(client, name, version, {TAG_AB: json.dumps(record)})


def _now() -> str:
    """Milliseconds, as prediction records have: the smoke test's prediction, made just before
    the split, stays out of the experiment's figures."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
