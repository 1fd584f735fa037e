"""The MLflow tracking server as typed messages: what it is, built from the settings (pure).

    Cloud Run service `mlflow server`  (run_v2.Service; IAM-only: `roles/run.invoker` for the
        |  configured members alone)     configured members, never allUsers)
        |-- backend store: Cloud SQL for PostgreSQL (sqladmin_v1: instance, database, user),
        |   reached through the Cloud SQL volume's unix socket /cloudsql/PROJECT:REGION:INSTANCE;
        |   the user's password is a Secret Manager secret, given to the server as PGPASSWORD
        |   (libpq reads it), so the backend-store URI itself holds no secret
        `-- artifacts: proxied to gs://BUCKET/PREFIX (`--serve-artifacts`): clients need only
            MLFLOW_TRACKING_URI

The server runs as its own service account, which gets exactly what it uses: the secret's
`secretAccessor` and the bucket's `objectUser` (set here), and `cloudsql.client` on the project
(granted once by an admin: a project-wide role; see deploy/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import run_v2, secretmanager_v1, sqladmin_v1
from google.protobuf import duration_pb2

from deploy.cloudrun.infra.settings import TrackingSettings
from deploy.cloudrun.settings import CloudRunSettings

PORT = 8080
SOCKETS = "/cloudsql"  # where Cloud Run's Cloud SQL volume puts each instance's socket
INVOKER = "roles/run.invoker"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
OBJECT_USER = "roles/storage.objectUser"
INGRESS = {"all": run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL,
           "internal": run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY,
           "internal-and-cloud-load-balancing":
               run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER}


@dataclass(frozen=True)
class Tracking:
    """Every resource of the tracking server, as the requests that create them carry them."""

    project: str
    region: str
    bucket: str
    service_account: str
    invokers: tuple[str, ...]
    password_secret_id: str
    api_keys_secret_id: str
    instance: sqladmin_v1.DatabaseInstance
    database: sqladmin_v1.Database
    user: str
    service_id: str
    service: run_v2.Service

    @property
    def parent(self) -> str:
        """The project, as Secret Manager and Monitoring name it."""
        return f"projects/{self.project}"

    @property
    def service_path(self) -> str:
        """The service's resource name in the Cloud Run Admin API."""
        return f"projects/{self.project}/locations/{self.region}/services/{self.service_id}"

    def secret_path(self, secret_id: str) -> str:
        """A secret's resource name."""
        return f"{self.parent}/secrets/{secret_id}"

    @property
    def member(self) -> str:
        """The server's service account as an IAM member."""
        return f"serviceAccount:{self.service_account}"


def connection_name(project: str, region: str, instance: str) -> str:
    """`PROJECT:REGION:INSTANCE`, how the Cloud SQL connector and Cloud Run name an instance."""
    return f"{project}:{region}:{instance}"


def tracking(cloud: CloudRunSettings, settings: TrackingSettings) -> Tracking:
    """The tracking server the settings describe."""
    account = settings.service_account or f"mlflow-tracking@{cloud.project}.iam.gserviceaccount.com"
    bucket = settings.artifact_bucket or cloud.bucket
    invokers = tuple(member for member in settings.invokers.split(",") if member)
    return Tracking(
        project=cloud.project, region=cloud.region, bucket=bucket, service_account=account,
        invokers=invokers, password_secret_id=settings.password_secret,
        api_keys_secret_id=settings.api_keys_secret,
        instance=sql_instance(cloud, settings),
        database=sqladmin_v1.Database(name=settings.sql_database, instance=settings.sql_instance,
                                      project=cloud.project),
        user=settings.sql_user, service_id=settings.service,
        service=service(cloud, settings, account, bucket))


def sql_instance(cloud: CloudRunSettings,
                 settings: TrackingSettings) -> sqladmin_v1.DatabaseInstance:
    """The PostgreSQL instance: private IP on the VPC by default (or a public IP that only the
    Cloud SQL connector may use), encrypted connections only, backups, deletion protection."""
    if settings.sql_public_ip:
        network = sqladmin_v1.IpConfiguration(
            ipv4_enabled=True,
            ssl_mode=sqladmin_v1.IpConfiguration.SslMode.ENCRYPTED_ONLY)
    else:
        network = sqladmin_v1.IpConfiguration(
            ipv4_enabled=False,
            private_network=f"projects/{cloud.project}/global/networks/{settings.sql_network}",
            ssl_mode=sqladmin_v1.IpConfiguration.SslMode.ENCRYPTED_ONLY)
    return sqladmin_v1.DatabaseInstance(
        name=settings.sql_instance, project=cloud.project, region=cloud.region,
        database_version=sqladmin_v1.SqlDatabaseVersion.__members__[settings.sql_version],
        settings=sqladmin_v1.Settings(
            tier=settings.sql_tier, edition=sqladmin_v1.Settings.Edition.ENTERPRISE,
            availability_type=sqladmin_v1.SqlAvailabilityType.ZONAL,
            ip_configuration=network,
            backup_configuration=sqladmin_v1.BackupConfiguration(
                enabled=True),
            deletion_protection_enabled=True,
            user_labels={"app": "mlflow-tracking"}))


def backend_store_uri(cloud: CloudRunSettings, settings: TrackingSettings) -> str:
    """The backend store over the instance's unix socket; no password in it (PGPASSWORD)."""
    socket = f"{SOCKETS}/{connection_name(cloud.project, cloud.region, settings.sql_instance)}"
    return (f"postgresql+psycopg2://{settings.sql_user}@/{settings.sql_database}"
            f"?host={socket}")


def unpinned_image(cloud: CloudRunSettings) -> str:
    """What a dry run shows while `TRACKING_IMAGE` is unset: where the image goes, and that its
    digest is still to be given (a real run refuses to deploy without it)."""
    return (f"{cloud.region}-docker.pkg.dev/{cloud.project}/{cloud.repository}/mlflow-server"
            "@sha256:<digest: set TRACKING_IMAGE>")


def service(cloud: CloudRunSettings, settings: TrackingSettings, account: str,
            bucket: str) -> run_v2.Service:
    """The Cloud Run service running `mlflow server` (the image's entrypoint) with its flags."""
    connection = connection_name(cloud.project, cloud.region, settings.sql_instance)
    image = settings.image or unpinned_image(cloud)
    password = run_v2.EnvVarSource(secret_key_ref=run_v2.SecretKeySelector(
        secret=settings.password_secret, version="latest"))  # a secret of the same project
    container = run_v2.Container(
        name="mlflow-server", image=image,
        args=["--host", "0.0.0.0", "--port", str(PORT),
              "--backend-store-uri", backend_store_uri(cloud, settings),
              "--serve-artifacts",
              "--artifacts-destination", f"gs://{bucket}/{settings.artifact_prefix}",
              "--workers", str(settings.workers),
              "--allowed-hosts", f"{settings.service}-*.run.app"],
        ports=[run_v2.ContainerPort(container_port=PORT)],
        env=[run_v2.EnvVar(name="MLFLOW_SERVER_ENABLE_JOB_EXECUTION", value="false"),
             run_v2.EnvVar(name="PGPASSWORD", value_source=password)],
        resources=run_v2.ResourceRequirements(limits={"cpu": settings.cpu,
                                                      "memory": settings.memory}),
        volume_mounts=[run_v2.VolumeMount(name="cloudsql", mount_path=SOCKETS)],
        startup_probe=run_v2.Probe(http_get=run_v2.HTTPGetAction(path="/health"),
                                   period_seconds=5, failure_threshold=24))
    vpc = None if settings.sql_public_ip else run_v2.VpcAccess(
        egress=run_v2.VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY,
        network_interfaces=[run_v2.VpcAccess.NetworkInterface(network=settings.sql_network,
                                                              subnetwork=settings.sql_subnet)])
    return run_v2.Service(
        description="MLflow tracking server (registry) of the ticket-urgency platform",
        labels={"app": "mlflow-tracking"},
        ingress=INGRESS[settings.ingress], invoker_iam_disabled=False,
        template=run_v2.RevisionTemplate(
            service_account=account,
            scaling=run_v2.RevisionScaling(max_instance_count=settings.max_instances),
            timeout=duration_pb2.Duration(seconds=300),
            vpc_access=vpc,
            volumes=[run_v2.Volume(name="cloudsql", cloud_sql_instance=run_v2.CloudSqlInstance(
                instances=[connection]))],
            containers=[container]))


def secret() -> secretmanager_v1.Secret:
    """A secret replicated by Google (what both of the server's secrets are)."""
    return secretmanager_v1.Secret(
        replication=secretmanager_v1.Replication(
            automatic=secretmanager_v1.Replication.Automatic()),
        labels={"app": "ticket-urgency"})
