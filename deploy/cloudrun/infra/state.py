"""What exists: every resource read through its client library (get/list), as its own type.

`Telemetry()` and `TrackingServer()` with no arguments are a project with none of the resources
(what a dry run plans against). A resource that is not there reads as None (the API's NotFound);
any other failure propagates as the library's exception, for the command to report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from google.api.metric_pb2 import MetricDescriptor
from google.api_core.exceptions import NotFound
from google.api_core.iam import Policy as BucketPolicy
from google.cloud import bigquery, run_v2, secretmanager_v1, sqladmin_v1, storage
from google.cloud.logging_v2.types import GetLogMetricRequest, GetSinkRequest, LogMetric, LogSink
from google.cloud.monitoring_dashboard_v1 import Dashboard, GetDashboardRequest
from google.cloud.monitoring_v3 import (
    AlertPolicy,
    GetMetricDescriptorRequest,
    ListAlertPoliciesRequest,
)
from google.iam.v1 import iam_policy_pb2, policy_pb2

from deploy.cloudrun.infra.clients import Clients
from deploy.cloudrun.infra.tracking import Tracking
from deploy.cloudrun.telemetry.definitions import Definitions
from deploy.cloudrun.telemetry.settings import Target

T = TypeVar("T")


@dataclass(frozen=True)
class Telemetry:
    """The telemetry's resources as they exist (absent ones are None or left out)."""

    dataset: bigquery.Dataset | None = None
    sink: LogSink | None = None
    metrics: Mapping[str, LogMetric] = field(default_factory=dict)
    descriptors: Mapping[str, MetricDescriptor] = field(default_factory=dict)
    policies: tuple[AlertPolicy, ...] = ()
    dashboard: Dashboard | None = None


@dataclass(frozen=True)
class TrackingServer:
    """The tracking server's resources as they exist (absent ones are None or left out)."""

    bucket: storage.Bucket | None = None
    bucket_policy: BucketPolicy | None = None
    secrets: Mapping[str, secretmanager_v1.Secret] = field(default_factory=dict)
    secret_policy: policy_pb2.Policy | None = None
    password_set: bool = False  # the password secret has an enabled latest version
    instance: sqladmin_v1.DatabaseInstance | None = None
    database: sqladmin_v1.Database | None = None
    user: sqladmin_v1.User | None = None
    service: run_v2.Service | None = None
    service_policy: policy_pb2.Policy | None = None


def absent_if_missing(read: Callable[[], T]) -> T | None:
    """`read()`, or None when the API says the resource is not there."""
    try:
        return read()
    except NotFound:
        return None


def read_telemetry(clients: Clients, definitions: Definitions, target: Target) -> Telemetry:
    """Every telemetry resource the definitions name, as it exists in the target project."""
    project = f"projects/{target.project}"
    metrics = {metric.key: absent_if_missing(partial(
                   clients.log_metrics.get_log_metric, request=GetLogMetricRequest(
                       metric_name=f"{project}/metrics/{metric.key}")))
               for metric in definitions.metrics}
    descriptors = {item.key: absent_if_missing(partial(
                       clients.metric_descriptors.get_metric_descriptor,
                       request=GetMetricDescriptorRequest(
                           name=f"{project}/metricDescriptors/{item.key}")))
                   for item in definitions.descriptors}
    return Telemetry(
        dataset=absent_if_missing(lambda: clients.bigquery.get_dataset(
            bigquery.DatasetReference(target.project, target.dataset))),
        sink=absent_if_missing(lambda: clients.log_config.get_sink(request=GetSinkRequest(
            sink_name=f"{project}/sinks/{definitions.sink.key}"))),
        metrics=_present(metrics), descriptors=_present(descriptors),
        policies=tuple(clients.alert_policies.list_alert_policies(
            request=ListAlertPoliciesRequest(name=project))),
        dashboard=absent_if_missing(lambda: clients.dashboards.get_dashboard(
            request=GetDashboardRequest(name=f"{project}/dashboards/{definitions.dashboard.key}"))))


def read_tracking(clients: Clients, server: Tracking) -> TrackingServer:
    """Every resource of the tracking server, as it exists."""
    bucket = clients.storage.lookup_bucket(server.bucket)
    secrets = {secret_id: absent_if_missing(partial(
                   clients.secrets.get_secret,
                   request=secretmanager_v1.GetSecretRequest(name=server.secret_path(secret_id))))
               for secret_id in (server.password_secret_id, server.api_keys_secret_id)}
    password = server.secret_path(server.password_secret_id)
    version = absent_if_missing(lambda: clients.secrets.get_secret_version(
        request=secretmanager_v1.GetSecretVersionRequest(name=f"{password}/versions/latest")))
    instance = absent_if_missing(lambda: clients.sql_instances.get(
        request=sqladmin_v1.SqlInstancesGetRequest(project=server.project,
                                                    instance=server.instance.name)))
    service = absent_if_missing(lambda: clients.run_services.get_service(
        request=run_v2.GetServiceRequest(name=server.service_path)))
    return TrackingServer(
        bucket=bucket,
        bucket_policy=clients.buckets.get_iam_policy(server.bucket) if bucket else None,
        secrets=_present(secrets),
        secret_policy=_iam_policy(clients.secrets, password) if secrets[
            server.password_secret_id] else None,
        password_set=version is not None
        and version.state == secretmanager_v1.SecretVersion.State.ENABLED,
        instance=instance,
        database=absent_if_missing(lambda: clients.sql_databases.get(
            request=sqladmin_v1.SqlDatabasesGetRequest(
                project=server.project, instance=server.instance.name,
                database=server.database.name))) if instance else None,
        user=absent_if_missing(lambda: clients.sql_users.get(
            request=sqladmin_v1.SqlUsersGetRequest(project=server.project,
                                                   instance=server.instance.name,
                                                   name=server.user))) if instance else None,
        service=service,
        service_policy=_iam_policy(clients.run_services, server.service_path) if service else None)


def _iam_policy(client: Any, resource: str) -> policy_pb2.Policy:
    return client.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=resource))


def _present(found: Mapping[str, T | None]) -> dict[str, T]:
    return {key: value for key, value in found.items() if value is not None}
