"""The planner: from what should exist and what does, the calls that make the two agree (pure).

It sends nothing. A missing resource gets its create call; one that differs from its definition
(`compare.differences`, on the fields the definition sets) gets its update call, carrying the
etag read where the API has one; one that matches gets nothing, so a second run plans nothing.

Order: the dataset before the sink that writes to it; log-based metrics and descriptors before
the alert policies and the dashboard that chart them; the bucket, secrets and database before the
server that uses them. Some calls need what another one returns and wait for the next round
(`Plan.later`): the sink's writer identity, known once the sink exists, gets its grant on the
dataset; a new bucket's policy (which has Google's default bindings) is read before the server's
grant is added to it. A new secret's or service's policy starts empty, so it is set in the same
round, right after the create.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from google.api.metric_pb2 import MetricDescriptor
from google.api_core.iam import Policy as BucketPolicy
from google.cloud import bigquery, run_v2, secretmanager_v1, sqladmin_v1, storage
from google.cloud.logging_v2.types import (
    CreateLogMetricRequest,
    CreateSinkRequest,
    LogSink,
    UpdateLogMetricRequest,
    UpdateSinkRequest,
)
from google.cloud.monitoring_dashboard_v1 import (
    CreateDashboardRequest,
    Dashboard,
    UpdateDashboardRequest,
)
from google.cloud.monitoring_v3 import (
    AlertPolicy,
    CreateAlertPolicyRequest,
    CreateMetricDescriptorRequest,
    UpdateAlertPolicyRequest,
)
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message
from proto import Message as TypedMessage

from deploy.cloudrun.infra.calls import Action, Call
from deploy.cloudrun.infra.compare import differences
from deploy.cloudrun.infra.state import Telemetry, TrackingServer
from deploy.cloudrun.infra.tracking import INVOKER, OBJECT_USER, SECRET_ACCESSOR, Tracking, secret
from deploy.cloudrun.telemetry.definitions import Definition, Definitions
from deploy.cloudrun.telemetry.settings import Target

WRITER_ROLE, READER_ROLE = "roles/bigquery.dataEditor", "roles/bigquery.dataViewer"
LEGACY = {"WRITER": WRITER_ROLE, "READER": READER_ROLE}  # a dataset's access list's names
EMAIL_TYPES = {"serviceAccount": "userByEmail", "user": "userByEmail", "group": "groupByEmail"}
DESCRIPTOR_FIELDS = ("type", "metric_kind", "value_type", "labels")


class AmbiguousState(RuntimeError):
    """What exists cannot be matched to a definition unambiguously; the message says why."""


@dataclass(frozen=True)
class Plan:
    """The calls to make now, and what can only be planned once they have been made."""

    actions: tuple[Action, ...]
    later: tuple[str, ...] = ()


def plan_telemetry(definitions: Definitions, target: Target, observed: Telemetry) -> Plan:
    """The dataset, its grants, the sink, metrics, descriptors, alert policies, dashboard."""
    project = f"projects/{target.project}"
    grants, later = _dataset_grants(definitions, target, observed)
    actions = [*_dataset(definitions, target, observed),
               *_sink(definitions.sink, observed, project), *grants]
    for metric in definitions.metrics:
        actions += _create_or_update(
            metric, observed.metrics.get(metric.key),
            create=Call("log_metrics", "create_log_metric", {"request": CreateLogMetricRequest(
                parent=project, metric=metric.typed())}),
            update=Call("log_metrics", "update_log_metric", {"request": UpdateLogMetricRequest(
                metric_name=f"{project}/metrics/{metric.key}", metric=metric.typed())}))
    actions += _descriptors(definitions.descriptors, observed, project)
    actions += _policies(definitions.policies, observed, project)
    board = definitions.dashboard.typed()
    found = observed.dashboard
    actions += _create_or_update(
        definitions.dashboard, found,
        create=Call("dashboards", "create_dashboard", {"request": CreateDashboardRequest(
            parent=project, dashboard=board)}),
        update=Call("dashboards", "update_dashboard", {"request": UpdateDashboardRequest(
            dashboard=Dashboard(board, etag=found.etag if found else ""))}))
    return Plan(tuple(actions), later)


def _create_or_update(definition: Definition, found: TypedMessage | Message | None, *, create: Call,
                      update: Call) -> list[Action]:
    """Create a missing resource, update one that differs from its definition, else nothing."""
    if found is None:
        return [Action(f"create {definition.kind.title} {definition.key}", create)]
    changed = differences(definition.typed(), found)
    if not changed:
        return []
    return [Action(f"update {definition.kind.title} {definition.key} ({', '.join(changed)} "
                   "differ)", update)]


def _sink(sink: Definition, observed: Telemetry, project: str) -> list[Action]:
    desired = sink.typed()
    fields = [field.name for field, _ in LogSink.pb(desired).ListFields() if field.name != "name"]
    return _create_or_update(
        sink, observed.sink,
        create=Call("log_config", "create_sink", {"request": CreateSinkRequest(
            parent=project, sink=desired, unique_writer_identity=True)}),
        update=Call("log_config", "update_sink", {"request": UpdateSinkRequest(
            sink_name=f"{project}/sinks/{sink.key}", sink=desired, unique_writer_identity=True,
            update_mask=field_mask_pb2.FieldMask(paths=fields))}))


def _descriptors(descriptors: Iterable[Definition], observed: Telemetry,
                 project: str) -> list[Action]:
    """Custom metric descriptors, compared on type, kind, value type and labels: creating one
    that exists updates it (Monitoring never removes a label)."""
    actions = []
    for descriptor in descriptors:
        desired = descriptor.typed()
        create = Action(f"create {descriptor.kind.title} {descriptor.key}",
                        Call("metric_descriptors", "create_metric_descriptor",
                             {"request": CreateMetricDescriptorRequest(
                                 name=project, metric_descriptor=desired)}))
        found = observed.descriptors.get(descriptor.key)
        if found is None:
            actions.append(create)
            continue
        changed = differences(_schema(desired), _schema(found))
        if changed:
            actions.append(Action(f"update {descriptor.kind.title} {descriptor.key} "
                                  f"({', '.join(changed)} differ)", create.call))
    return actions


def _schema(descriptor: MetricDescriptor) -> MetricDescriptor:
    """What a descriptor's data depends on: its type, kind, value type and labels."""
    return MetricDescriptor(**{field: getattr(descriptor, field) for field in DESCRIPTOR_FIELDS})


def _policies(policies: Iterable[Definition], observed: Telemetry, project: str) -> list[Action]:
    """Alert policies, found by display name (the API assigns their ids)."""
    wanted = {policy.key for policy in policies}
    existing: dict[str, AlertPolicy] = {}
    for policy_found in observed.policies:
        name = policy_found.display_name
        if name in wanted and name in existing:
            raise AmbiguousState(
                f"two alert policies are named {name!r} ({existing[name].name}, "
                f"{policy_found.name}): delete the one not wanted, then run again")
        existing[name] = policy_found
    actions = []
    for policy in policies:
        found = existing.get(policy.key)
        actions += _create_or_update(
            policy, found,
            create=Call("alert_policies", "create_alert_policy", {"request":
                        CreateAlertPolicyRequest(name=project, alert_policy=policy.typed())}),
            update=Call("alert_policies", "update_alert_policy", {"request":
                        UpdateAlertPolicyRequest(alert_policy=AlertPolicy(
                            policy.typed(), name=found.name if found else ""))}))
    return actions


def _dataset(definitions: Definitions, target: Target, observed: Telemetry) -> list[Action]:
    if observed.dataset is not None:
        return []
    dataset = bigquery.Dataset(bigquery.DatasetReference(target.project, target.dataset))
    dataset.location = target.location
    dataset.description = (f"Prediction records of Cloud Run service {target.service}, routed "
                           f"by log sink {definitions.sink.key}.")
    return [Action(f"create BigQuery dataset {target.dataset_ref} in {target.location}",
                   Call("bigquery", "create_dataset", {"dataset": dataset}))]


def _dataset_grants(definitions: Definitions, target: Target,
                    observed: Telemetry) -> tuple[list[Action], tuple[str, ...]]:
    """`dataEditor` for the sink's writer identity and `dataViewer` for the readers: the
    dataset's access list plus what is missing, sent with the etag read."""
    writer = observed.sink.writer_identity if observed.sink else ""
    if observed.dataset is None or not writer:
        readers = "".join(f"; {READER_ROLE} to {reader}" for reader in target.readers)
        return [], (f"grant on {target.dataset_ref}: {WRITER_ROLE} to the writer identity of "
                    f"log sink {definitions.sink.key}{readers} (once both exist)",)
    access = list(observed.dataset.access_entries)
    wanted = [(writer, WRITER_ROLE), *((reader, READER_ROLE) for reader in target.readers)]
    missing = [(member, role) for member, role in wanted if not _granted(access, member, role)]
    if not missing:
        return [], ()
    dataset = bigquery.Dataset.from_api_repr(observed.dataset.to_api_repr())  # etag included
    dataset.access_entries = access + [_entry(member, role) for member, role in missing]
    granted = "; ".join(f"{role} to {member}" for member, role in missing)
    return [Action(f"grant on {target.dataset_ref}: {granted}",
                   Call("bigquery", "update_dataset",
                        {"dataset": dataset, "fields": ["access_entries"]}))], ()


def _granted(access: list[bigquery.AccessEntry], member: str, role: str) -> bool:
    kind, _, email = member.partition(":")
    return any(LEGACY.get(entry.role or "", entry.role) == role
               and ((entry.entity_type == "iamMember" and entry.entity_id == member)
                    or (entry.entity_type == EMAIL_TYPES.get(kind) and entry.entity_id == email))
               for entry in access)


def _entry(member: str, role: str) -> bigquery.AccessEntry:
    return bigquery.AccessEntry(role, "iamMember", member)


def plan_tracking(server: Tracking, observed: TrackingServer, password: str) -> Plan:
    """The bucket, the secrets, the Cloud SQL instance, database and user, the Cloud Run service
    and who may call it."""
    bucket_grant, later = _bucket(server, observed)
    actions = [*bucket_grant, *_secrets(server, observed), *_sql(server, observed, password),
               *_service(server, observed)]
    return Plan(tuple(actions), later)


def _bucket(server: Tracking, observed: TrackingServer) -> tuple[list[Action], tuple[str, ...]]:
    grant = f"{OBJECT_USER} on gs://{server.bucket} to {server.member}"
    if observed.bucket is None:
        bucket = storage.Bucket(None, name=server.bucket)
        bucket.iam_configuration.uniform_bucket_level_access_enabled = True
        bucket.iam_configuration.public_access_prevention = "enforced"
        return [Action(f"create bucket gs://{server.bucket} in {server.region}",
                       Call("storage", "create_bucket",
                            {"bucket_or_name": bucket, "location": server.region}))], (
            f"grant {grant} (once it exists: its policy has Google's default bindings)",)
    if observed.bucket_policy is None or any(binding["role"] == OBJECT_USER
                                             and server.member in binding["members"]
                                             for binding in observed.bucket_policy.bindings):
        return [], ()
    policy = BucketPolicy.from_api_repr(observed.bucket_policy.to_api_repr())  # etag included
    policy.bindings.append({"role": OBJECT_USER, "members": {server.member}})
    return [Action(f"grant {grant}", Call("buckets", "set_iam_policy",
                                          {"bucket": server.bucket, "policy": policy}))], ()


def _secrets(server: Tracking, observed: TrackingServer) -> list[Action]:
    actions = []
    for secret_id in (server.password_secret_id, server.api_keys_secret_id):
        if secret_id not in observed.secrets:
            actions.append(Action(f"create secret {secret_id}", Call(
                "secrets", "create_secret", {"request": secretmanager_v1.CreateSecretRequest(
                    parent=server.parent, secret_id=secret_id, secret=secret())})))
    policy = _with_members(observed.secret_policy, SECRET_ACCESSOR, {server.member}, exact=False)
    if policy is not None:
        actions.append(Action(
            f"grant {SECRET_ACCESSOR} on secret {server.password_secret_id} to {server.member}",
            Call("secrets", "set_iam_policy", {"request": iam_policy_pb2.SetIamPolicyRequest(
                resource=server.secret_path(server.password_secret_id), policy=policy)})))
    return actions


def _sql(server: Tracking, observed: TrackingServer, password: str) -> list[Action]:
    instance, project, name = server.instance, server.project, server.instance.name
    actions = []
    if observed.instance is None:
        actions.append(Action(f"create Cloud SQL instance {name} ({instance.settings.tier}, "
                              "takes minutes)", Call("sql_instances", "insert", {
                                  "request": sqladmin_v1.SqlInstancesInsertRequest(
                                      project=project, body=instance)})))
    elif changed := differences(instance, observed.instance):
        actions.append(Action(f"update Cloud SQL instance {name} ({', '.join(changed)} differ)",
                              Call("sql_instances", "patch", {
                                  "request": sqladmin_v1.SqlInstancesPatchRequest(
                                      project=project, instance=name, body=instance)})))
    if observed.database is None:
        actions.append(Action(f"create database {server.database.name} on {name}", Call(
            "sql_databases", "insert", {"request": sqladmin_v1.SqlDatabasesInsertRequest(
                project=project, instance=name, body=server.database)})))
    if observed.user is None or not observed.password_set:
        user = sqladmin_v1.User(name=server.user, password=password)
        set_user = Call("sql_users", "insert", {"request": sqladmin_v1.SqlUsersInsertRequest(
            project=project, instance=name, body=user)}) if observed.user is None else Call(
            "sql_users", "update", {"request": sqladmin_v1.SqlUsersUpdateRequest(
                project=project, instance=name, name=server.user, body=user)})
        actions += [
            Action(f"store a new password for database user {server.user} in secret "
                   f"{server.password_secret_id}", Call(
                       "secrets", "add_secret_version", {
                           "request": secretmanager_v1.AddSecretVersionRequest(
                               parent=server.secret_path(server.password_secret_id),
                               payload=secretmanager_v1.SecretPayload(
                                   data=password.encode()))})),
            Action(f"{set_user.method} database user {server.user} with that password",
                   set_user)]
    return actions


def _service(server: Tracking, observed: TrackingServer) -> list[Action]:
    actions = []
    if observed.service is None:
        actions.append(Action(f"create Cloud Run service {server.service_id}", Call(
            "run_services", "create_service", {"request": run_v2.CreateServiceRequest(
                parent=server.service_path.rsplit("/services/", 1)[0], service=server.service,
                service_id=server.service_id)})))
    elif changed := differences(server.service, observed.service):
        actions.append(Action(
            f"update Cloud Run service {server.service_id} ({', '.join(changed)} differ)",
            Call("run_services", "update_service", {"request": run_v2.UpdateServiceRequest(
                service=run_v2.Service(server.service, name=server.service_path,
                                       etag=observed.service.etag))})))
    policy = _with_members(observed.service_policy, INVOKER, set(server.invokers), exact=True)
    if policy is not None:
        actions.append(Action(
            f"allow exactly {sorted(server.invokers) or 'nobody'} to call "
            f"{server.service_id} ({INVOKER}; never allUsers)",
            Call("run_services", "set_iam_policy", {"request": iam_policy_pb2.SetIamPolicyRequest(
                resource=server.service_path, policy=policy)})))
    return actions


def _with_members(policy: policy_pb2.Policy | None, role: str, members: set[str], *,
                  exact: bool) -> policy_pb2.Policy | None:
    """`policy` with `role` bound to `members` (`exact`: to them only, else at least to them),
    its other bindings and etag kept; None when it already is (a missing policy: an empty one,
    as a resource created in this round starts with)."""
    current = policy if policy is not None else policy_pb2.Policy()
    bound = {member for binding in current.bindings if binding.role == role
             for member in binding.members}
    wanted = members if exact else bound | members
    if bound == wanted:
        return None
    bindings = [binding for binding in current.bindings if binding.role != role]
    if wanted:
        bindings.append(policy_pb2.Binding(role=role, members=sorted(wanted)))
    return policy_pb2.Policy(version=current.version, etag=current.etag, bindings=bindings)
