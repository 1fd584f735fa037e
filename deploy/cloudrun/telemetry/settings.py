"""What the telemetry of the Cloud Run service is set up in, read once from the environment.

The service's coordinates are `CloudRunSettings` (`CLOUD_RUN_PROJECT`, `CLOUD_RUN_SERVICE`,
`CLOUD_RUN_REGION`); the telemetry's own settings (`TELEMETRY_`) are:

- `TELEMETRY_DATASET` (`ticket_urgency_logs`): BigQuery dataset the prediction records are routed
  to; the sink writes them to its table `run_googleapis_com_stdout` (partitioned by day), which
  monitoring reads as `bq://PROJECT.DATASET.run_googleapis_com_stdout`
- `TELEMETRY_DATASET_LOCATION` (unset: `CLOUD_RUN_REGION`): BigQuery location the dataset is
  created in (`asia-south1`, `EU`, `US`, ...); used only when the dataset is created
- `TELEMETRY_DATASET_READERS` (unset: none): comma-separated members granted
  `roles/bigquery.dataViewer` on the dataset, e.g. the monitoring job's
  `serviceAccount:monitor@PROJECT.iam.gserviceaccount.com`
- `TELEMETRY_NOTIFICATION_CHANNELS` (unset: none): comma-separated notification channels the
  alert policies notify (`projects/PROJECT/notificationChannels/ID`); without any, incidents
  are only shown in the console
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings
from deploy.cloudrun.settings import CloudRunSettings

MEMBER = r"(serviceAccount|user|group):[^@\s,]+@[^@\s,]+"
CHANNEL = r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/[0-9]+"


class TelemetrySettings(PlatformSettings):
    """The BigQuery dataset of the prediction records and who hears of the alerts."""

    model_config = SettingsConfigDict(env_prefix="TELEMETRY_")

    settings_title: ClassVar[str] = "telemetry settings"

    dataset: str = Field(default="ticket_urgency_logs", pattern=r"^[A-Za-z0-9_]{1,1024}$")
    dataset_location: str | None = Field(default=None, pattern=r"^[A-Za-z]+(-[a-z]+[0-9]+)?$")
    dataset_readers: str = Field(default="", pattern=rf"^({MEMBER}(,{MEMBER})*)?$")
    notification_channels: str = Field(default="", pattern=rf"^({CHANNEL}(,{CHANNEL})*)?$")


@dataclass(frozen=True)
class Target:
    """Everything the definitions are rendered with and the commands address."""

    project: str
    service: str
    dataset: str
    location: str
    readers: tuple[str, ...]
    channels: tuple[str, ...]

    @classmethod
    def from_settings(cls, cloud: CloudRunSettings, telemetry: TelemetrySettings) -> Target:
        """The target named by the Cloud Run and telemetry settings."""
        return cls(project=cloud.project, service=cloud.service, dataset=telemetry.dataset,
                   location=telemetry.dataset_location or cloud.region,
                   readers=_split(telemetry.dataset_readers),
                   channels=_split(telemetry.notification_channels))

    @property
    def dataset_ref(self) -> str:
        """`PROJECT:DATASET`, as `bq` names a dataset."""
        return f"{self.project}:{self.dataset}"

    def template_values(self) -> dict[str, str | list[str]]:
        """Every `${NAME}` the definition files may use, with this target's value."""
        return {"PROJECT": self.project, "SERVICE": self.service, "DATASET": self.dataset,
                "NOTIFICATION_CHANNELS": list(self.channels)}


def _split(value: str) -> tuple[str, ...]:
    return tuple(item for item in value.split(",") if item)
