"""What the telemetry tests share: a target unlike the defaults, and its rendered definitions.

The target's project, service and dataset differ from the settings' defaults, so a default left
hard-coded in a definition file shows up as a wrong value rather than passing unnoticed.
"""

from __future__ import annotations

from deploy.cloudrun.telemetry.definitions import Definitions, load
from deploy.cloudrun.telemetry.settings import Target

READER = "serviceAccount:monitor@test-project-1.iam.gserviceaccount.com"
TARGET = Target(project="test-project-1", service="svc-under-test", dataset="test_logs",
                location="EU", readers=(READER,),
                channels=("projects/test-project-1/notificationChannels/42",))
TEST_ENV = {"CLOUD_RUN_PROJECT": TARGET.project, "CLOUD_RUN_SERVICE": TARGET.service,
            "CLOUD_RUN_REGION": "europe-west1", "TELEMETRY_DATASET": TARGET.dataset,
            "TELEMETRY_DATASET_LOCATION": TARGET.location,
            "TELEMETRY_DATASET_READERS": ",".join(TARGET.readers),
            "TELEMETRY_NOTIFICATION_CHANNELS": ",".join(TARGET.channels)}


def rendered() -> Definitions:
    """The package's definitions, rendered for `TARGET`."""
    return load(TARGET.template_values())
