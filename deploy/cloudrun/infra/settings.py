"""The MLflow tracking server on Google Cloud, read once from environment variables (`TRACKING_`).

The project, region and image repository are `CloudRunSettings` (`CLOUD_RUN_*`); the tracking
server's own settings are:

- `TRACKING_SERVICE` (`mlflow-tracking`): Cloud Run service running `mlflow server`
- `TRACKING_IMAGE` (unset: only a dry run works): the digest (`REPOSITORY@sha256:...`) of the
  pushed image of `deploy/local/docker/mlflow-server/Dockerfile`; a tag is refused, as in every
  deploy (`deploy.cloudrun.images`)
- `TRACKING_SERVICE_ACCOUNT` (unset: `mlflow-tracking@PROJECT.iam.gserviceaccount.com`): the
  server's own runtime account (created once by an admin, see deploy/README.md)
- `TRACKING_INVOKERS` (unset: none): comma-separated members granted `roles/run.invoker`, the only
  ones who may call the server (`serviceAccount:...`, `user:...`, `group:...`; never `allUsers`)
- `TRACKING_INGRESS` (`all`): `all`, `internal` or `internal-and-cloud-load-balancing`; every
  request needs an identity token of an invoker whichever it is
- `TRACKING_WORKERS` (`2`), `TRACKING_CPU` (`1`), `TRACKING_MEMORY` (`2Gi`),
  `TRACKING_MAX_INSTANCES` (`2`): the server's size
- `TRACKING_ARTIFACT_BUCKET` (unset: `CLOUD_RUN_BUCKET`), `TRACKING_ARTIFACT_PREFIX`
  (`mlflow-artifacts`): where the proxied artifacts go (`gs://BUCKET/PREFIX`)
- `TRACKING_SQL_INSTANCE` (`mlflow-tracking`), `TRACKING_SQL_TIER` (`db-custom-1-3840`),
  `TRACKING_SQL_VERSION` (`POSTGRES_16`), `TRACKING_SQL_DATABASE` (`mlflow`), `TRACKING_SQL_USER`
  (`mlflow`): the Cloud SQL for PostgreSQL backend store
- `TRACKING_SQL_NETWORK` (`default`), `TRACKING_SQL_SUBNET` (`default`): the VPC the instance's
  private IP is on and the subnet the server reaches it through (Direct VPC egress);
  `TRACKING_SQL_PUBLIC_IP` (`false`): `true` gives the instance a public IP instead, reachable
  only through the Cloud SQL connector (no authorised networks, encrypted only)
- `TRACKING_PASSWORD_SECRET` (`mlflow-tracking-db-password`): Secret Manager secret holding the
  database user's password; `TRACKING_DB_PASSWORD` (unset: generated): the password to set when
  the user is created (never printed, never stored in the repository)
- `TRACKING_API_KEYS_SECRET` (`ticket-urgency-api-keys`): the secret the serving image reads its
  API keys from (`_API_KEYS_SECRET` of cloudbuild.yaml); created empty, keys are added by a person
- `TRACKING_OPERATION_TIMEOUT` (`1800`): seconds to wait for one operation (creating the Cloud
  SQL instance takes about ten minutes)
"""

from __future__ import annotations

from typing import ClassVar, Literal

from google.cloud import sqladmin_v1
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings
from deploy.cloudrun.images import require_digest
from deploy.cloudrun.settings import NAME_PATTERN
from deploy.cloudrun.telemetry.settings import MEMBER

SQL_NAME = r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
IDENTIFIER = r"^[a-z_][a-z0-9_]{0,62}$"
SECRET_ID = r"^[A-Za-z0-9_-]{1,255}$"


class TrackingSettings(PlatformSettings):
    """The tracking server's Cloud Run service, its Cloud SQL backend, bucket and secrets."""

    model_config = SettingsConfigDict(env_prefix="TRACKING_")

    settings_title: ClassVar[str] = "tracking server settings"
    secret_fields: ClassVar[frozenset[str]] = frozenset({"db_password"})

    service: str = Field(default="mlflow-tracking", pattern=NAME_PATTERN)
    image: str | None = None
    service_account: str | None = Field(default=None,
                                        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+$")
    invokers: str = Field(default="", pattern=rf"^({MEMBER}(,{MEMBER})*)?$")
    ingress: Literal["all", "internal", "internal-and-cloud-load-balancing"] = "all"
    workers: int = Field(default=2, ge=1, le=8)
    cpu: str = Field(default="1", pattern=r"^[0-9]+(\.[0-9]+)?$|^[0-9]+m$")
    memory: str = Field(default="2Gi", pattern=r"^[0-9]+(Mi|Gi)$")
    max_instances: int = Field(default=2, ge=1, le=100)
    artifact_bucket: str | None = Field(default=None,
                                        pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
    artifact_prefix: str = Field(default="mlflow-artifacts",
                                 pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
    sql_instance: str = Field(default="mlflow-tracking", pattern=SQL_NAME)
    sql_tier: str = Field(default="db-custom-1-3840", pattern=r"^db-[a-z0-9-]+$")
    sql_version: str = Field(default="POSTGRES_16", pattern=r"^POSTGRES_[0-9]+$")
    sql_database: str = Field(default="mlflow", pattern=IDENTIFIER)
    sql_user: str = Field(default="mlflow", pattern=IDENTIFIER)
    sql_network: str = Field(default="default", pattern=SQL_NAME)
    sql_subnet: str = Field(default="default", pattern=SQL_NAME)
    sql_public_ip: bool = False
    password_secret: str = Field(default="mlflow-tracking-db-password", pattern=SECRET_ID)
    db_password: SecretStr | None = Field(default=None, min_length=16)
    api_keys_secret: str = Field(default="ticket-urgency-api-keys", pattern=SECRET_ID)
    operation_timeout: float = Field(default=1800.0, gt=0, le=7200)

    @field_validator("image")
    @classmethod
    def _digest_only(cls, value: str | None) -> str | None:
        return None if value is None else require_digest(value, "TRACKING_IMAGE")

    @field_validator("sql_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in sqladmin_v1.SqlDatabaseVersion.__members__:
            raise ValueError("not a Cloud SQL database version (POSTGRES_15, POSTGRES_16, ...)")
        return value
