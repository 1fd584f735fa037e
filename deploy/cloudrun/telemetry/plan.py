"""The planner: from the definitions and what exists, the commands that make the two agree.

Pure: it runs nothing and writes nothing. Each write is a command (an argv list) with the reason
it is needed and the files it reads (rendered definitions, written by the executor first). A
resource that is missing is created; one that differs from its definition (`compare`) is updated;
one that matches gets no command, so a second run plans nothing.

Order: the dataset before the sink that writes to it, metrics before the alert policies and the
dashboard that chart them. The sink's writer identity (the service account Cloud Logging writes
with) is known only once the sink exists, so its grant on the dataset waits for a later round
when the sink or the dataset is missing: it is returned as `deferred`, planned for real after
the writes ran and the state was read again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deploy.cloudrun.telemetry.compare import differences
from deploy.cloudrun.telemetry.definitions import Definition, DefinitionError, Definitions
from deploy.cloudrun.telemetry.kinds import ALERT_POLICY, DASHBOARD, LOG_METRIC, LOG_SINK, Kind
from deploy.cloudrun.telemetry.settings import Target
from deploy.cloudrun.telemetry.state import Observed, StateError

WRITER, READER = "WRITER", "READER"  # how a dataset's access list names the two roles
ROLES = {WRITER: "roles/bigquery.dataEditor", READER: "roles/bigquery.dataViewer"}
LEGACY = {"roles/bigquery.dataOwner": "OWNER", **{role: legacy for legacy, role in ROLES.items()}}
EMAIL_FIELDS = {"serviceAccount": "userByEmail", "user": "userByEmail", "group": "groupByEmail"}
SINK_FIELDS = frozenset({"name", "destination", "filter", "description", "bigqueryOptions"})


@dataclass(frozen=True)
class Write:
    """One command that changes something, why, and the files it reads (path -> content)."""

    reason: str
    argv: tuple[str, ...]
    files: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The writes to run now, and those that can only be planned once these have run."""

    writes: tuple[Write, ...]
    deferred: tuple[Write, ...]


def plan(definitions: Definitions, target: Target, observed: Observed, out: str) -> Plan:
    """What to run so that the project matches the definitions (`out`: where rendered
    definition files go)."""
    project = f"--project={target.project}"
    grants, deferred = _grants(definitions, target, observed, out)
    writes = [*_dataset(definitions, target, observed), *_sink(definitions.sink, observed, project),
              *grants, *_metrics(definitions, observed, project, out),
              *_policies(definitions, observed, project, out),
              *_dashboard(definitions.dashboard, observed, project, out)]
    return Plan(writes=tuple(writes), deferred=tuple(deferred))


def _metrics(definitions: Definitions, observed: Observed, project: str,
             out: str) -> list[Write]:
    writes = []
    for metric in definitions.metrics:
        path = f"{out}/metrics/{metric.key.replace('/', '_')}.json"
        writes += _apply(metric, observed.metrics.get(metric.key), LOG_METRIC, path,
                         create=("gcloud", "logging", "metrics", "create", metric.key, project,
                                 f"--config-from-file={path}"),
                         update=("gcloud", "logging", "metrics", "update", metric.key, project,
                                 f"--config-from-file={path}"))
    return writes


def _policies(definitions: Definitions, observed: Observed, project: str,
              out: str) -> list[Write]:
    existing = _policies_by_name(observed.policies, {p.key for p in definitions.policies})
    writes = []
    for policy in definitions.policies:
        path = f"{out}/alerts/{policy.stem}.json"
        found = existing.get(policy.key)
        update = ("gcloud", "monitoring", "policies", "update", found["name"], project,
                  f"--policy-from-file={path}") if found else ()
        writes += _apply(policy, found, ALERT_POLICY, path, update=update,
                         create=("gcloud", "monitoring", "policies", "create", project,
                                 f"--policy-from-file={path}"))
    return writes


def _dashboard(board: Definition, observed: Observed, project: str, out: str) -> list[Write]:
    path = f"{out}/dashboard.json"
    found = observed.dashboard
    etag = {"etag": found["etag"]} if found and "etag" in found else {}
    return _apply(board, found, DASHBOARD, path,
                  create=("gcloud", "monitoring", "dashboards", "create", project,
                          f"--config-from-file={path}"),
                  update=("gcloud", "monitoring", "dashboards", "update", board.key, project,
                          f"--config-from-file={path}"),
                  update_body={**board.body, **etag})  # the etag refuses a concurrent edit


def _apply(definition: Definition, found: dict[str, Any] | None, kind: Kind, path: str, *,
           create: tuple[str, ...], update: tuple[str, ...],
           update_body: dict[str, Any] | None = None) -> list[Write]:
    """Create a missing resource from its rendered file, update one that differs, else nothing."""
    if found is None:
        return [Write(f"create {kind.title} {definition.key}", create,
                      {path: _json(definition.body)})]
    changed = differences(definition.body, found, kind)
    if not changed:
        return []
    return [Write(f"update {kind.title} {definition.key} ({', '.join(changed)} differ)", update,
                  {path: _json(update_body or definition.body)})]


def _dataset(definitions: Definitions, target: Target, observed: Observed) -> list[Write]:
    if observed.dataset is not None:
        return []
    return [Write(f"create BigQuery dataset {target.dataset_ref} in {target.location}",
                  ("bq", f"--project_id={target.project}", f"--location={target.location}", "mk",
                   "--dataset", f"--description=Prediction records of Cloud Run service "
                   f"{target.service}, routed by log sink {definitions.sink.key}.",
                   target.dataset_ref))]


def _sink(sink: Definition, observed: Observed, project: str) -> list[Write]:
    unknown = set(sink.body) - SINK_FIELDS
    if unknown:
        raise DefinitionError(f"sink.yaml: {sorted(unknown)} cannot be applied (gcloud takes "
                              f"only {sorted(SINK_FIELDS)} as flags)")
    body = sink.body
    flags = [project, f"--log-filter={body.get('filter', '')}"]
    if body.get("description"):
        flags.append(f"--description={body['description']}")
    if body.get("bigqueryOptions", {}).get("usePartitionedTables"):
        flags.append("--use-partitioned-tables")
    if observed.sink is None:
        return [Write(f"create {LOG_SINK.title} {sink.key} to {body['destination']}",
                      ("gcloud", "logging", "sinks", "create", sink.key, body["destination"],
                       *flags))]
    changed = differences(body, observed.sink, LOG_SINK)
    if not changed:
        return []
    return [Write(f"update {LOG_SINK.title} {sink.key} ({', '.join(changed)} differ)",
                  ("gcloud", "logging", "sinks", "update", sink.key, body["destination"],
                   *flags))]


def _grants(definitions: Definitions, target: Target, observed: Observed,
            out: str) -> tuple[list[Write], list[Write]]:
    """Dataset access for the sink's writer identity (WRITER) and the readers (READER): one
    `bq update --source` with the dataset's access list plus what is missing, as BigQuery's
    documentation grants dataset access with bq. Deferred while the dataset or sink is missing."""
    path = f"{out}/dataset.json"
    argv = ("bq", f"--project_id={target.project}", "update", f"--source={path}",
            target.dataset_ref)
    writer = (observed.sink or {}).get("writerIdentity")
    if observed.dataset is None or not writer:
        readers = "".join(f"; {ROLES[READER]} to {reader}" for reader in target.readers)
        return [], [Write(f"grant on {target.dataset_ref}: {ROLES[WRITER]} to the writer "
                          f"identity of log sink {definitions.sink.key}{readers}", argv)]
    access = list(observed.dataset.get("access") or [])
    wanted = [(writer, WRITER), *((reader, READER) for reader in target.readers)]
    missing = [(member, role) for member, role in wanted if not _granted(access, member, role)]
    if not missing:
        return [], []
    granted = "; ".join(f"{ROLES[role]} to {member}" for member, role in missing)
    dataset = {**observed.dataset, "access": access + [_entry(m, r) for m, r in missing]}
    return [Write(f"grant on {target.dataset_ref}: {granted}", argv, {path: _json(dataset)})], []


def _granted(access: list[dict[str, Any]], member: str, role: str) -> bool:
    kind, _, email = member.partition(":")
    by_email = EMAIL_FIELDS.get(kind)
    return any(LEGACY.get(entry.get("role", ""), entry.get("role")) == role
               and (entry.get("iamMember") == member
                    or (by_email is not None and entry.get(by_email) == email))
               for entry in access)


def _entry(member: str, role: str) -> dict[str, str]:
    """A dataset access entry (bq's form: the legacy role name, the member by its email)."""
    kind, _, email = member.partition(":")
    if kind in EMAIL_FIELDS:
        return {"role": role, EMAIL_FIELDS[kind]: email}
    return {"role": role, "iamMember": member}


def _policies_by_name(policies: tuple[dict[str, Any], ...],
                      ours: set[str]) -> dict[str, dict[str, Any]]:
    """Existing alert policies by display name; two with one of our names is ambiguous."""
    found: dict[str, dict[str, Any]] = {}
    for policy in policies:
        name = policy.get("displayName", "")
        if name in ours and name in found:
            raise StateError(f"two alert policies are named {name!r} ({found[name].get('name')}, "
                             f"{policy.get('name')}): delete the one not wanted, then run again")
        found[name] = policy
    return found


def _json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
