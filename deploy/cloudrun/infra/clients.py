"""The Google API clients the infrastructure is read and written through, made once per run.

Credentials are Application Default Credentials, looked up once (`connect`): a missing or
unreadable credential is one `NoCredentials` error before any request, not a traceback from the
first client. Each client is made on first use. Cloud Run goes through `deploy.cloudrun.client`
(REST, `CLOUD_RUN_API_ENDPOINT` honoured). Plans name clients by these attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import google.auth
from google.api_core.iam import Policy as BucketPolicy
from google.auth.credentials import Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import (
    bigquery,
    monitoring_dashboard_v1,
    monitoring_v3,
    run_v2,
    secretmanager_v1,
    sqladmin_v1,
    storage,
)
from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
from google.cloud.logging_v2.services.metrics_service_v2 import MetricsServiceV2Client

from deploy.cloudrun.client import services_client
from deploy.cloudrun.settings import CloudRunSettings

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class NoCredentials(RuntimeError):
    """No Google credentials are available; the message says how to provide them."""


class BucketIam:
    """A bucket's IAM policy by bucket name (the storage library keeps it on `Bucket`)."""

    def __init__(self, client: storage.Client) -> None:
        self._client = client

    def get_iam_policy(self, bucket: str) -> BucketPolicy:
        """The bucket's policy (version 3: bindings as a list)."""
        return self._client.bucket(bucket).get_iam_policy(requested_policy_version=3)

    def set_iam_policy(self, bucket: str, policy: BucketPolicy) -> BucketPolicy:
        """Replace the bucket's policy (its etag refuses a concurrent change)."""
        return self._client.bucket(bucket).set_iam_policy(policy)


@dataclass(frozen=True)
class Clients:
    """One client per API, all with the same credentials."""

    cloud: CloudRunSettings
    credentials: Credentials

    @cached_property
    def log_config(self) -> ConfigServiceV2Client:
        """Cloud Logging sinks."""
        return ConfigServiceV2Client(credentials=self.credentials)

    @cached_property
    def log_metrics(self) -> MetricsServiceV2Client:
        """Log-based metrics."""
        return MetricsServiceV2Client(credentials=self.credentials)

    @cached_property
    def alert_policies(self) -> monitoring_v3.AlertPolicyServiceClient:
        """Cloud Monitoring alert policies."""
        return monitoring_v3.AlertPolicyServiceClient(credentials=self.credentials)

    @cached_property
    def metric_descriptors(self) -> monitoring_v3.MetricServiceClient:
        """Cloud Monitoring custom metric descriptors."""
        return monitoring_v3.MetricServiceClient(credentials=self.credentials)

    @cached_property
    def dashboards(self) -> monitoring_dashboard_v1.DashboardsServiceClient:
        """Cloud Monitoring dashboards."""
        return monitoring_dashboard_v1.DashboardsServiceClient(credentials=self.credentials)

    @cached_property
    def bigquery(self) -> bigquery.Client:
        """BigQuery datasets."""
        return bigquery.Client(project=self.cloud.project, credentials=self.credentials)

    @cached_property
    def storage(self) -> storage.Client:
        """Cloud Storage buckets."""
        return storage.Client(project=self.cloud.project, credentials=self.credentials)

    @cached_property
    def buckets(self) -> BucketIam:
        """Cloud Storage bucket IAM policies."""
        return BucketIam(self.storage)

    @cached_property
    def secrets(self) -> secretmanager_v1.SecretManagerServiceClient:
        """Secret Manager secrets, their versions and IAM policies."""
        return secretmanager_v1.SecretManagerServiceClient(credentials=self.credentials)

    @cached_property
    def sql_instances(self) -> sqladmin_v1.SqlInstancesServiceClient:
        """Cloud SQL instances."""
        return sqladmin_v1.SqlInstancesServiceClient(credentials=self.credentials)

    @cached_property
    def sql_databases(self) -> sqladmin_v1.SqlDatabasesServiceClient:
        """Cloud SQL databases."""
        return sqladmin_v1.SqlDatabasesServiceClient(credentials=self.credentials)

    @cached_property
    def sql_users(self) -> sqladmin_v1.SqlUsersServiceClient:
        """Cloud SQL users."""
        return sqladmin_v1.SqlUsersServiceClient(credentials=self.credentials)

    @cached_property
    def sql_operations(self) -> sqladmin_v1.SqlOperationsServiceClient:
        """Cloud SQL operations (instance creation takes minutes; they are waited for)."""
        return sqladmin_v1.SqlOperationsServiceClient(credentials=self.credentials)

    @cached_property
    def run_services(self) -> run_v2.ServicesClient:
        """Cloud Run services and their IAM policies."""
        return services_client(self.cloud, self.credentials)


def connect(cloud: CloudRunSettings) -> Clients:
    """Clients with Application Default Credentials; `NoCredentials` when there are none."""
    try:
        credentials, _ = google.auth.default(scopes=[SCOPE])
    except DefaultCredentialsError as exc:
        reason = " ".join(str(exc).split()).split(" To set up")[0]
        raise NoCredentials(
            f"no Google credentials ({reason}); run `gcloud auth application-default login` or "
            "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file") from None
    return Clients(cloud=cloud, credentials=credentials)
