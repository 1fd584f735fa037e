"""The planner (pure) on typed objects: what a first run sends and in which order, what the
tracking server's requests carry (IAM-only, Cloud SQL socket, secrets from Secret Manager, the
artifact bucket), and the differences it does and does not act on."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.api.label_pb2 import LabelDescriptor
from google.api.metric_pb2 import MetricDescriptor
from google.api_core.iam import Policy as BucketPolicy
from google.cloud import run_v2, secretmanager_v1, sqladmin_v1, storage
from google.cloud.monitoring_v3 import AlertPolicy
from google.iam.v1 import policy_pb2

from deploy.cloudrun.infra.calls import Action, describe
from deploy.cloudrun.infra.plan import AmbiguousState, plan_telemetry, plan_tracking
from deploy.cloudrun.infra.state import Telemetry, TrackingServer
from deploy.cloudrun.infra.tracking import INVOKER, OBJECT_USER, SECRET_ACCESSOR
from deploy.cloudrun.telemetry.definitions import (
    DEFINITIONS,
    Definition,
    DefinitionError,
    Definitions,
    load,
)
from deploy.cloudrun.telemetry.kinds import METRIC_DESCRIPTOR
from tests.deploy.cloudrun.telemetry_support import CLOUD, TARGET, rendered, server
from tests.deploy.cloudrun.telemetry_support import INVOKER as CALLER

DEFS = rendered()
SERVER = server()
PASSWORD = "a-generated-password-of-some-length"
DRIFT = Definition(
    key="custom.googleapis.com/ticket_urgency/drift_share", stem="drift_share",
    kind=METRIC_DESCRIPTOR,
    body={"type": "custom.googleapis.com/ticket_urgency/drift_share", "metricKind": "GAUGE",
          "valueType": "DOUBLE", "description": "Share of drifted features.",
          "labels": [{"key": "model_version", "description": "Registry version."}]})
WITH_DRIFT = Definitions(sink=DEFS.sink, metrics=DEFS.metrics, policies=DEFS.policies,
                         dashboard=DEFS.dashboard, descriptors=(DRIFT,))


def calls(actions: tuple[Action, ...]) -> list[str]:
    return [f"{action.call.client}.{action.call.method}" for action in actions]


def request(actions: tuple[Action, ...], call: str) -> Any:
    """The request of the one action making `call` (`client.method`)."""
    [found] = [a.call.arguments["request"] for a in actions
               if f"{a.call.client}.{a.call.method}" == call]
    return found


def test_a_first_run_creates_the_telemetry_in_dependency_order() -> None:
    first = plan_telemetry(WITH_DRIFT, TARGET, Telemetry())
    assert calls(first.actions) == [
        "bigquery.create_dataset", "log_config.create_sink",
        *["log_metrics.create_log_metric"] * len(DEFS.metrics),
        "metric_descriptors.create_metric_descriptor",
        *["alert_policies.create_alert_policy"] * len(DEFS.policies),
        "dashboards.create_dashboard"]
    sink = request(first.actions, "log_config.create_sink")
    assert sink.unique_writer_identity
    assert sink.sink.destination == DEFS.sink.body["destination"]
    descriptor = request(first.actions, "metric_descriptors.create_metric_descriptor")
    assert descriptor.metric_descriptor.type == DRIFT.key
    [grant] = first.later  # the writer identity exists only once the sink does
    assert "writer identity" in grant
    assert TARGET.readers[0] in grant


def test_a_first_run_builds_the_tracking_server_before_it_runs_it() -> None:
    first = plan_tracking(SERVER, TrackingServer(), PASSWORD)
    assert calls(first.actions) == [
        "storage.create_bucket", "secrets.create_secret", "secrets.create_secret",
        "secrets.set_iam_policy", "sql_instances.insert", "sql_databases.insert",
        "secrets.add_secret_version", "sql_users.insert", "run_services.create_service",
        "run_services.set_iam_policy"]
    secret_version = request(first.actions, "secrets.add_secret_version")
    user = request(first.actions, "sql_users.insert")
    assert isinstance(user, sqladmin_v1.SqlUsersInsertRequest)
    assert secret_version.payload.data == PASSWORD.encode() == user.body.password.encode()
    accessor = request(first.actions, "secrets.set_iam_policy")
    assert accessor.resource == SERVER.secret_path(SERVER.password_secret_id)
    assert [(b.role, list(b.members)) for b in accessor.policy.bindings] == [
        (SECRET_ACCESSOR, [SERVER.member])]
    body = request(first.actions, "sql_instances.insert").body
    assert body.settings.ip_configuration.ipv4_enabled is False  # private by default
    assert body.settings.ip_configuration.private_network.endswith("/networks/default")
    assert body.settings.tier == "db-g1-small"
    assert first.later
    assert "storage.objectUser" in first.later[0]
    [bucket] = [a.call.arguments for a in first.actions if a.call.method == "create_bucket"]
    assert bucket["location"] == CLOUD.region
    assert bucket["bucket_or_name"].name == CLOUD.bucket
    assert bucket["bucket_or_name"].iam_configuration.uniform_bucket_level_access_enabled
    assert bucket["bucket_or_name"].iam_configuration.public_access_prevention == "enforced"


def test_the_tracking_service_is_iam_only_on_cloud_sql_with_secrets_from_secret_manager() -> None:
    first = plan_tracking(SERVER, TrackingServer(), PASSWORD)
    created = request(first.actions, "run_services.create_service")
    assert isinstance(created, run_v2.CreateServiceRequest)
    service = created.service
    assert created.service_id == "tracking-under-test"
    assert not service.invoker_iam_disabled
    invokers = request(first.actions, "run_services.set_iam_policy")
    assert [(b.role, list(b.members)) for b in invokers.policy.bindings] == [(INVOKER, [CALLER])]
    template = service.template
    assert template.service_account == SERVER.service_account
    [volume] = template.volumes
    connection = f"{CLOUD.project}:{CLOUD.region}:test-instance"
    assert list(volume.cloud_sql_instance.instances) == [connection]
    [container] = template.containers
    assert [(m.name, m.mount_path) for m in container.volume_mounts] == [(volume.name, "/cloudsql")]
    args = list(container.args)
    assert args[args.index("--backend-store-uri") + 1] == (
        f"postgresql+psycopg2://mlflow@/mlflow?host=/cloudsql/{connection}")
    assert args[args.index("--artifacts-destination") + 1] == "gs://test-artifacts/mlflow-artifacts"
    assert "--serve-artifacts" in args
    assert args[args.index("--workers") + 1] == "2"
    env = {variable.name: variable for variable in container.env}
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"].value == "false"
    password = env["PGPASSWORD"].value_source.secret_key_ref
    assert (password.secret, password.version) == (SERVER.password_secret_id, "latest")
    assert not env["PGPASSWORD"].value


def test_a_public_invoker_found_on_the_service_is_removed_and_other_roles_kept() -> None:
    existing = TrackingServer(service=SERVER.service, service_policy=policy_pb2.Policy(
        etag=b"e7", bindings=[
            policy_pb2.Binding(role=INVOKER, members=["allUsers", CALLER]),
            policy_pb2.Binding(role="roles/run.developer", members=["user:dev@example.com"])]))
    actions = plan_tracking(SERVER, existing, PASSWORD).actions
    policy = request(actions, "run_services.set_iam_policy").policy
    assert policy.etag == b"e7"
    assert {b.role: list(b.members) for b in policy.bindings} == {
        "roles/run.developer": ["user:dev@example.com"], INVOKER: [CALLER]}


def in_place() -> TrackingServer:
    """The tracking server as the APIs return it once created (server fields added)."""
    service = run_v2.Service(SERVER.service, name=SERVER.service_path, etag="s1",
                             uri="https://x.run.app")
    instance = sqladmin_v1.DatabaseInstance(SERVER.instance, connection_name="c", etag="i1")
    return TrackingServer(
        bucket=storage.Bucket(None, name=SERVER.bucket),
        bucket_policy=BucketPolicy.from_api_repr({"etag": "b1", "bindings": [
            {"role": OBJECT_USER, "members": [SERVER.member]}]}),
        secrets={secret_id: secretmanager_v1.Secret(name=SERVER.secret_path(secret_id))
                 for secret_id in (SERVER.password_secret_id, SERVER.api_keys_secret_id)},
        secret_policy=policy_pb2.Policy(bindings=[policy_pb2.Binding(
            role=SECRET_ACCESSOR, members=[SERVER.member, "user:admin@example.com"])]),
        password_set=True, instance=instance, database=SERVER.database,
        user=sqladmin_v1.User(name=SERVER.user), service=service,
        service_policy=policy_pb2.Policy(bindings=[policy_pb2.Binding(role=INVOKER,
                                                                      members=[CALLER])]))


def test_a_tracking_server_in_place_plans_nothing_and_a_changed_tier_patches_only_that() -> None:
    assert plan_tracking(SERVER, in_place(), PASSWORD).actions == ()
    state = in_place()
    state.instance.settings.tier = "db-f1-micro"
    [patch] = plan_tracking(SERVER, state, PASSWORD).actions
    assert patch.call.method == "patch"
    assert "settings.tier" in patch.reason


def test_a_password_secret_without_a_version_resets_the_users_password() -> None:
    state = in_place()
    state = TrackingServer(**{**state.__dict__, "password_set": False})
    stored, update = plan_tracking(SERVER, state, PASSWORD).actions
    assert stored.call.method == "add_secret_version"
    assert update.call.method == "update"
    assert update.call.arguments["request"].body.password == PASSWORD


def test_a_descriptor_is_compared_on_type_kind_value_type_and_labels_only() -> None:
    created = MetricDescriptor()
    created.CopyFrom(DRIFT.typed())
    created.name = f"projects/{TARGET.project}/metricDescriptors/{DRIFT.key}"
    created.description = "edited in the console"
    existing = Telemetry(descriptors={DRIFT.key: created})
    assert [a for a in plan_telemetry(WITH_DRIFT, TARGET, existing).actions
            if a.call.client == "metric_descriptors"] == []
    created.labels.append(LabelDescriptor(key="variant"))
    [update] = [a for a in plan_telemetry(WITH_DRIFT, TARGET, existing).actions
                if a.call.client == "metric_descriptors"]
    assert update.call.method == "create_metric_descriptor"  # Monitoring updates on create
    assert "labels" in update.reason


def test_two_alert_policies_with_one_of_our_names_are_refused() -> None:
    name = DEFS.policies[0].key
    twice = Telemetry(policies=(AlertPolicy(display_name=name, name="projects/x/alertPolicies/1"),
                                AlertPolicy(display_name=name, name="projects/x/alertPolicies/2")))
    with pytest.raises(AmbiguousState, match="two alert policies are named"):
        plan_telemetry(DEFS, TARGET, twice)


def test_dry_run_text_hides_passwords_and_secret_payloads() -> None:
    printed = "\n".join(describe(a) for a in plan_tracking(SERVER, TrackingServer(),
                                                            PASSWORD).actions)
    assert PASSWORD not in printed
    assert '"password": "(hidden)"' in printed
    assert '"data": "(hidden)"' in printed
    assert "SqlUsersInsertRequest" in printed
    assert "CreateServiceRequest" in printed


def test_descriptor_files_load_strictly_as_metric_descriptors(tmp_path: Path) -> None:
    definitions = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, definitions)
    (definitions / "descriptors").mkdir(exist_ok=True)
    body = {**DRIFT.body, "labels": [{"key": "model_version", "description": "${SERVICE}"}]}
    (definitions / "descriptors" / "zz_drift_share.yaml").write_text(yaml.safe_dump(body))
    loaded = load(TARGET.template_values(), definitions).descriptors[-1]
    assert isinstance(loaded.typed(), MetricDescriptor)
    assert loaded.key == DRIFT.key
    assert loaded.typed().labels[0].description == TARGET.service
    (definitions / "descriptors" / "zz_drift_share.yaml").write_text(
        yaml.safe_dump({**body, "valueTipe": "DOUBLE"}))
    with pytest.raises(DefinitionError, match=r"zz_drift_share\.yaml"):
        load(TARGET.template_values(), definitions)
