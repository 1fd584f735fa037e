"""What the infrastructure tests share: a target unlike the defaults, and its rendered definitions.

The target's project, service, dataset and tracking-server names differ from the settings'
defaults, so a default left hard-coded in a definition file or a builder shows up as a wrong
value rather than passing unnoticed.
"""

from __future__ import annotations

from deploy.cloudrun.infra.settings import TrackingSettings
from deploy.cloudrun.infra.tracking import Tracking, tracking
from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.telemetry.definitions import Definitions, load
from deploy.cloudrun.telemetry.settings import Target

READER = "serviceAccount:monitor@test-project-1.iam.gserviceaccount.com"
INVOKER = "serviceAccount:trainer@test-project-1.iam.gserviceaccount.com"
TARGET = Target(project="test-project-1", service="svc-under-test", dataset="test_logs",
                location="EU", readers=(READER,),
                channels=("projects/test-project-1/notificationChannels/42",))
CLOUD = CloudRunSettings(project=TARGET.project, service=TARGET.service, region="europe-west1",
                         bucket="test-artifacts", repository="test-repo")
TRACKING_IMAGE = ("europe-west1-docker.pkg.dev/test-project-1/test-repo/mlflow-server@sha256:"
                  + "c" * 64)
TRACKING = TrackingSettings(service="tracking-under-test", invokers=INVOKER, image=TRACKING_IMAGE,
                            sql_instance="test-instance", sql_tier="db-g1-small")
TEST_ENV = {"CLOUD_RUN_PROJECT": TARGET.project, "CLOUD_RUN_SERVICE": TARGET.service,
            "CLOUD_RUN_REGION": CLOUD.region, "CLOUD_RUN_BUCKET": CLOUD.bucket,
            "CLOUD_RUN_REPOSITORY": CLOUD.repository,
            "TELEMETRY_DATASET": TARGET.dataset,
            "TELEMETRY_DATASET_LOCATION": TARGET.location,
            "TELEMETRY_DATASET_READERS": ",".join(TARGET.readers),
            "TELEMETRY_NOTIFICATION_CHANNELS": ",".join(TARGET.channels),
            "TRACKING_SERVICE": TRACKING.service, "TRACKING_INVOKERS": INVOKER,
            "TRACKING_IMAGE": TRACKING_IMAGE,
            "TRACKING_SQL_INSTANCE": TRACKING.sql_instance,
            "TRACKING_SQL_TIER": TRACKING.sql_tier}


def rendered() -> Definitions:
    """The package's definitions, rendered for `TARGET`."""
    return load(TARGET.template_values())


def server() -> Tracking:
    """The tracking server of the test settings."""
    return tracking(CLOUD, TRACKING)
