"""An in-memory fake of the Google client surface `deploy.cloudrun.infra` uses, keeping state.

There is no emulator for Cloud Logging's config, Cloud Monitoring, Secret Manager, Cloud SQL
Admin, the Cloud Run Admin API's create and IAM calls, or BigQuery dataset access lists, so these
are fakes with the clients' method names, taking and returning the libraries' own types. They
behave as the APIs do where the code depends on it: a missing resource raises NotFound; what the
server fills in is filled in (names, etags, timestamps, a sink's writer identity, a dataset's
default owner); a stale etag is refused (Aborted); Cloud SQL answers with an operation that is
done only once polled. Every write is logged (`writes`) so tests assert exactly what was sent.
Cloud Storage is not faked: tests give `storage` a real client of the GCS emulator.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.api.metric_pb2 import MetricDescriptor
from google.api_core.exceptions import Aborted, GoogleAPICallError, NotFound
from google.cloud import bigquery, run_v2, secretmanager_v1, sqladmin_v1, storage
from google.cloud.logging_v2.types import LogMetric, LogSink
from google.cloud.monitoring_dashboard_v1 import Dashboard
from google.cloud.monitoring_v3 import AlertPolicy
from google.iam.v1 import policy_pb2
from google.protobuf import timestamp_pb2
from proto import Message as TypedMessage

from deploy.cloudrun.infra.clients import BucketIam

WRITER_IDENTITY = "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com"
API_FIELDS = {"access_entries": "access"}  # BigQuery: a Dataset property -> its API field
M = TypeVar("M")
Log = list[tuple[str, str]]


def _copy(message: M) -> M:
    """A copy, as the API's answer is never the object sent or stored."""
    if isinstance(message, TypedMessage):
        return type(message)(message)
    copy = type(message)()
    copy.CopyFrom(message)  # type: ignore[attr-defined]
    return copy


def _found(store: dict[str, M], name: str) -> M:
    if name not in store:
        raise NotFound(f"{name} does not exist")
    return _copy(store[name])


@dataclass
class _Api:
    """What every fake API shares: the write log, an etag counter, a failure switch."""

    log: Log
    fail: dict[str, GoogleAPICallError]
    etags: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _write(self, method: str) -> None:
        if method in self.fail:
            raise self.fail[method]
        self.log.append((type(self).__name__, method))

    def _etag(self) -> str:
        return f"etag-{next(self.etags)}"


@dataclass
class LogConfig(_Api):
    sinks: dict[str, LogSink] = field(default_factory=dict)

    def get_sink(self, request: Any) -> LogSink:
        return _found(self.sinks, request.sink_name)

    def create_sink(self, request: Any) -> LogSink:
        self._write("create_sink")
        sink = LogSink(request.sink, writer_identity=WRITER_IDENTITY,
                       create_time=timestamp_pb2.Timestamp(seconds=1))
        self.sinks[f"{request.parent}/sinks/{sink.name}"] = sink
        return _copy(sink)

    def update_sink(self, request: Any) -> LogSink:
        self._write("update_sink")
        sink = _found(self.sinks, request.sink_name)
        for path in request.update_mask.paths:
            setattr(sink, path, getattr(request.sink, path))
        self.sinks[request.sink_name] = sink
        return sink


@dataclass
class LogMetrics(_Api):
    metrics: dict[str, LogMetric] = field(default_factory=dict)

    def get_log_metric(self, request: Any) -> LogMetric:
        return _found(self.metrics, request.metric_name)

    def create_log_metric(self, request: Any) -> LogMetric:
        self._write("create_log_metric")
        metric = LogMetric(request.metric, create_time=timestamp_pb2.Timestamp(seconds=1))
        metric.metric_descriptor.type = f"logging.googleapis.com/user/{metric.name}"
        self.metrics[f"{request.parent}/metrics/{metric.name}"] = metric
        return _copy(metric)

    def update_log_metric(self, request: Any) -> LogMetric:
        self._write("update_log_metric")
        _found(self.metrics, request.metric_name)
        self.metrics[request.metric_name] = _copy(request.metric)
        return _copy(request.metric)


@dataclass
class MetricDescriptors(_Api):
    descriptors: dict[str, MetricDescriptor] = field(default_factory=dict)

    def get_metric_descriptor(self, request: Any) -> MetricDescriptor:
        return _found(self.descriptors, request.name)

    def create_metric_descriptor(self, request: Any) -> MetricDescriptor:
        self._write("create_metric_descriptor")
        descriptor = _copy(request.metric_descriptor)
        descriptor.name = f"{request.name}/metricDescriptors/{descriptor.type}"
        self.descriptors[descriptor.name] = descriptor
        return _copy(descriptor)


@dataclass
class AlertPolicies(_Api):
    policies: dict[str, AlertPolicy] = field(default_factory=dict)

    def list_alert_policies(self, request: Any) -> list[AlertPolicy]:
        return [_copy(policy) for name, policy in self.policies.items()
                if name.startswith(f"{request.name}/")]

    def create_alert_policy(self, request: Any) -> AlertPolicy:
        self._write("create_alert_policy")
        name = f"{request.name}/alertPolicies/{len(self.policies) + 1}"
        self.policies[name] = AlertPolicy(request.alert_policy, name=name)
        return _copy(self.policies[name])

    def update_alert_policy(self, request: Any) -> AlertPolicy:
        self._write("update_alert_policy")
        _found(self.policies, request.alert_policy.name)
        self.policies[request.alert_policy.name] = _copy(request.alert_policy)
        return _copy(request.alert_policy)


@dataclass
class Dashboards(_Api):
    dashboards: dict[str, Dashboard] = field(default_factory=dict)

    def get_dashboard(self, request: Any) -> Dashboard:
        return _found(self.dashboards, request.name)

    def create_dashboard(self, request: Any) -> Dashboard:
        self._write("create_dashboard")
        board = Dashboard(request.dashboard, etag=self._etag())
        self.dashboards[board.name] = board
        return _copy(board)

    def update_dashboard(self, request: Any) -> Dashboard:
        self._write("update_dashboard")
        current = _found(self.dashboards, request.dashboard.name)
        if request.dashboard.etag != current.etag:
            raise Aborted(f"etag {request.dashboard.etag} is stale")
        self.dashboards[current.name] = Dashboard(request.dashboard, etag=self._etag())
        return _copy(self.dashboards[current.name])


@dataclass
class BigQuery(_Api):
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get_dataset(self, reference: bigquery.DatasetReference) -> bigquery.Dataset:
        key = f"{reference.project}.{reference.dataset_id}"
        if key not in self.datasets:
            raise NotFound(f"Dataset {key}")
        return bigquery.Dataset.from_api_repr(self.datasets[key])

    def create_dataset(self, dataset: bigquery.Dataset) -> bigquery.Dataset:
        self._write("create_dataset")
        body = {**dataset.to_api_repr(), "etag": self._etag(),
                "access": [{"role": "OWNER", "specialGroup": "projectOwners"}]}
        self.datasets[f"{dataset.project}.{dataset.dataset_id}"] = body
        return bigquery.Dataset.from_api_repr(body)

    def update_dataset(self, dataset: bigquery.Dataset, fields: list[str]) -> bigquery.Dataset:
        self._write("update_dataset")
        key = f"{dataset.project}.{dataset.dataset_id}"
        if dataset.etag != self.datasets[key]["etag"]:
            raise Aborted(f"etag {dataset.etag} is stale")
        sent = dataset.to_api_repr()
        body = {**self.datasets[key], **{API_FIELDS[f]: sent[API_FIELDS[f]] for f in fields},
                "etag": self._etag()}
        self.datasets[key] = body
        return bigquery.Dataset.from_api_repr(body)


@dataclass
class Secrets(_Api):
    secrets: dict[str, secretmanager_v1.Secret] = field(default_factory=dict)
    versions: dict[str, list[bytes]] = field(default_factory=dict)
    policies: dict[str, policy_pb2.Policy] = field(default_factory=dict)

    def get_secret(self, request: Any) -> secretmanager_v1.Secret:
        return _found(self.secrets, request.name)

    def create_secret(self, request: Any) -> secretmanager_v1.Secret:
        self._write("create_secret")
        name = f"{request.parent}/secrets/{request.secret_id}"
        self.secrets[name] = secretmanager_v1.Secret(request.secret, name=name)
        self.versions[name] = []
        return _copy(self.secrets[name])

    def get_secret_version(self, request: Any) -> secretmanager_v1.SecretVersion:
        secret = request.name.rsplit("/versions/", 1)[0]
        _found(self.secrets, secret)
        if not self.versions[secret]:
            raise NotFound(f"{request.name} does not exist")
        return secretmanager_v1.SecretVersion(
            name=f"{secret}/versions/{len(self.versions[secret])}",
            state=secretmanager_v1.SecretVersion.State.ENABLED)

    def add_secret_version(self, request: Any) -> secretmanager_v1.SecretVersion:
        self._write("add_secret_version")
        _found(self.secrets, request.parent)
        self.versions[request.parent].append(request.payload.data)
        return secretmanager_v1.SecretVersion(
            name=f"{request.parent}/versions/{len(self.versions[request.parent])}")

    def get_iam_policy(self, request: Any) -> policy_pb2.Policy:
        _found(self.secrets, request.resource)
        return _copy(self.policies.get(request.resource, policy_pb2.Policy(etag=b"e0")))

    def set_iam_policy(self, request: Any) -> policy_pb2.Policy:
        self._write("set_iam_policy")
        return _set_policy(self.policies, request, self._etag())


def _set_policy(policies: dict[str, policy_pb2.Policy], request: Any,
                etag: str) -> policy_pb2.Policy:
    current = policies.get(request.resource, policy_pb2.Policy(etag=b"e0"))
    if request.policy.etag and request.policy.etag != current.etag:
        raise Aborted(f"policy etag {request.policy.etag!r} is stale")
    policy = _copy(request.policy)
    policy.etag = etag.encode()
    policies[request.resource] = policy
    return _copy(policy)


@dataclass
class Sql(_Api):
    """Cloud SQL instances, databases and users, and the operations they answer with."""

    instances: dict[str, sqladmin_v1.DatabaseInstance] = field(default_factory=dict)
    databases: dict[str, sqladmin_v1.Database] = field(default_factory=dict)
    users: dict[str, sqladmin_v1.User] = field(default_factory=dict)
    operations: dict[str, sqladmin_v1.Operation] = field(default_factory=dict)
    pending: dict[str, Callable[[], None]] = field(default_factory=dict)

    def _operation(self, project: str, kind: str,
                   apply: Callable[[], None]) -> sqladmin_v1.Operation:
        """An operation, pending until polled once (then `apply` runs and it is done)."""
        name = f"op-{len(self.operations) + 1}"
        self.operations[name] = sqladmin_v1.Operation(
            name=name, target_project=project,
            status=sqladmin_v1.Operation.SqlOperationStatus.PENDING,
            operation_type=sqladmin_v1.Operation.SqlOperationType[kind])
        self.pending[name] = apply
        return _copy(self.operations[name])

    def get_operation(self, request: Any) -> sqladmin_v1.Operation:
        if request.operation in self.pending:
            self.pending.pop(request.operation)()
        done = self.operations[request.operation]
        done.status = sqladmin_v1.Operation.SqlOperationStatus.DONE
        return _copy(done)


class SqlInstances:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def get(self, request: Any) -> sqladmin_v1.DatabaseInstance:
        return _found(self.sql.instances, request.instance)

    def insert(self, request: Any) -> sqladmin_v1.Operation:
        self.sql._write("instances.insert")
        body = sqladmin_v1.DatabaseInstance(
            request.body, state=sqladmin_v1.DatabaseInstance.SqlInstanceState.RUNNABLE,
            connection_name=f"{request.project}:{request.body.region}:{request.body.name}",
            etag="i1")
        return self.sql._operation(request.project, "CREATE",
                                   lambda: self.sql.instances.__setitem__(body.name, body))

    def patch(self, request: Any) -> sqladmin_v1.Operation:
        self.sql._write("instances.patch")
        current = _found(self.sql.instances, request.instance)
        type(current).pb(current).MergeFrom(type(request.body).pb(request.body))
        return self.sql._operation(request.project, "UPDATE",
                                   lambda: self.sql.instances.__setitem__(request.instance,
                                                                          current))


class SqlDatabases:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def get(self, request: Any) -> sqladmin_v1.Database:
        return _found(self.sql.databases, f"{request.instance}/{request.database}")

    def insert(self, request: Any) -> sqladmin_v1.Operation:
        self.sql._write("databases.insert")
        _found(self.sql.instances, request.instance)
        key = f"{request.instance}/{request.body.name}"
        return self.sql._operation(request.project, "CREATE_DATABASE",
                                   lambda: self.sql.databases.__setitem__(key, request.body))


class SqlUsers:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def get(self, request: Any) -> sqladmin_v1.User:
        user = _found(self.sql.users, f"{request.instance}/{request.name}")
        user.password = ""  # the API never returns it
        return user

    def insert(self, request: Any) -> sqladmin_v1.Operation:
        self.sql._write("users.insert")
        _found(self.sql.instances, request.instance)
        key = f"{request.instance}/{request.body.name}"
        return self.sql._operation(request.project, "CREATE_USER",
                                   lambda: self.sql.users.__setitem__(key, request.body))

    def update(self, request: Any) -> sqladmin_v1.Operation:
        self.sql._write("users.update")
        key = f"{request.instance}/{request.name}"
        _found(self.sql.users, key)
        return self.sql._operation(request.project, "UPDATE_USER",
                                   lambda: self.sql.users.__setitem__(key, request.body))


class SqlOperations:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def get(self, request: Any) -> sqladmin_v1.Operation:
        return self.sql.get_operation(request)


@dataclass
class RunServices(_Api):
    services: dict[str, run_v2.Service] = field(default_factory=dict)
    policies: dict[str, policy_pb2.Policy] = field(default_factory=dict)

    def get_service(self, request: Any) -> run_v2.Service:
        return _found(self.services, request.name)

    def create_service(self, request: Any) -> run_v2.Service:
        self._write("create_service")
        name = f"{request.parent}/services/{request.service_id}"
        service = run_v2.Service(request.service, name=name, etag=self._etag(),
                                 uri=f"https://{request.service_id}-123.a.run.app",
                                 generation=1)
        service.template.revision = f"{request.service_id}-00001-abc"
        self.services[name] = service
        return _copy(service)

    def update_service(self, request: Any) -> run_v2.Service:
        self._write("update_service")
        current = _found(self.services, request.service.name)
        if request.service.etag and request.service.etag != current.etag:
            raise Aborted("service etag is stale")
        self.services[current.name] = run_v2.Service(request.service, etag=self._etag(),
                                                     uri=current.uri)
        return _copy(self.services[current.name])

    def get_iam_policy(self, request: Any) -> policy_pb2.Policy:
        _found(self.services, request.resource)
        return _copy(self.policies.get(request.resource, policy_pb2.Policy(etag=b"e0")))

    def set_iam_policy(self, request: Any) -> policy_pb2.Policy:
        self._write("set_iam_policy")
        _found(self.services, request.resource)
        return _set_policy(self.policies, request, self._etag())


class FakeClients:
    """The attributes of `deploy.cloudrun.infra.clients.Clients`, faked (storage: real client).

    `fail` maps a write method's name to the error it raises (an unreachable API, a refusal)."""

    def __init__(self, storage_client: storage.Client) -> None:
        self.writes: Log = []
        self.fail: dict[str, GoogleAPICallError] = {}
        self.log_config = LogConfig(self.writes, self.fail)
        self.log_metrics = LogMetrics(self.writes, self.fail)
        self.metric_descriptors = MetricDescriptors(self.writes, self.fail)
        self.alert_policies = AlertPolicies(self.writes, self.fail)
        self.dashboards = Dashboards(self.writes, self.fail)
        self.bigquery = BigQuery(self.writes, self.fail)
        self.secrets = Secrets(self.writes, self.fail)
        self.sql = Sql(self.writes, self.fail)
        self.sql_instances = SqlInstances(self.sql)
        self.sql_databases = SqlDatabases(self.sql)
        self.sql_users = SqlUsers(self.sql)
        self.sql_operations = SqlOperations(self.sql)
        self.run_services = RunServices(self.writes, self.fail)
        self.storage = storage_client
        self.buckets = BucketIam(storage_client)
