"""Where the service runs on Google Cloud, read once from environment variables (`CLOUD_RUN_`).

- `CLOUD_RUN_PROJECT` (`ml-model-480910`): Google Cloud project of the service and its images
- `CLOUD_RUN_REGION` (`asia-south1`): region of the service and its Artifact Registry repository
- `CLOUD_RUN_REPOSITORY` (`ticket-urgency-repo`): Artifact Registry repository of the image
- `CLOUD_RUN_SERVICE` (`ticket-urgency-api`): Cloud Run service name (also the image name)
- `CLOUD_RUN_BUCKET` (`ml-model-bucket-22`): bucket that keeps a record of every deployment
- `CLOUD_RUN_BUILD_SERVICE_ACCOUNT` (`ticket-urgency-build@PROJECT.iam.gserviceaccount.com`): the
  service account `make deploy`'s Cloud Build runs as (its roles: deploy/README.md)
- `CLOUD_RUN_API_ENDPOINT` (unset: Google's): Admin API endpoint; `http://127.0.0.1:PORT` talks
  to a local fake, and no credentials are ever sent to an `http://` endpoint
- `CLOUD_RUN_OPERATION_TIMEOUT` (`900`): seconds to wait for a service update (a new revision
  must start and pass its startup probe first)

The defaults are the roadmap's values and equal the substitution defaults of `cloudbuild.yaml`
(`tests/deploy` checks that the two agree). Credentials are Google's Application Default
Credentials: `gcloud auth application-default login` on a laptop, the build's or the workflow's
service account elsewhere. None are ever read from this repository.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings

NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$"


class CloudRunSettings(PlatformSettings):
    """The Cloud Run service, its image repository and its deploy-record bucket."""

    model_config = SettingsConfigDict(env_prefix="CLOUD_RUN_")

    settings_title: ClassVar[str] = "Cloud Run settings"

    project: str = Field(default="ml-model-480910", pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: str = Field(default="asia-south1", pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    repository: str = Field(default="ticket-urgency-repo", pattern=r"^[a-z][a-z0-9-]{0,62}$")
    service: str = Field(default="ticket-urgency-api", pattern=NAME_PATTERN)
    bucket: str = Field(default="ml-model-bucket-22",
                        pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
    api_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s/]+/?$")
    operation_timeout: float = Field(default=900.0, gt=0, le=3600)
    build_service_account: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.gserviceaccount\.com$")

    @property
    def service_path(self) -> str:
        """The service's resource name in the Admin API."""
        return f"projects/{self.project}/locations/{self.region}/services/{self.service}"

    @property
    def build_account(self) -> str:
        """The e-mail of the service account Cloud Build runs `make deploy`'s steps as."""
        return (self.build_service_account
                or f"ticket-urgency-build@{self.project}.iam.gserviceaccount.com")
