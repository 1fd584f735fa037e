"""What the smoke test presents: the API key (`ROLLOUT_API_KEY`, or the service's `API_KEYS`
secret in Secret Manager) and, on a private Cloud Run service, a Google ID token per URL (minted
from Application Default Credentials as for the tracking server, `mlflow_project.tracking_auth`).

Both `python -m deploy.rollout` and `registry-tools ab start` build their smoke test here.
"""

from __future__ import annotations

from deploy.cloudrun.settings import CloudRunSettings
from deploy.rollout.settings import RolloutSettings
from deploy.rollout.smoke import SmokeTest
from deploy.targets import TargetKind
from mlflow_project.tracking_auth import identity_token


def smoke_test(settings: RolloutSettings, cloud: CloudRunSettings, kind: TargetKind, *,
               dry_run: bool = False) -> SmokeTest:
    """The smoke test with its API key, timeout and, on Cloud Run, ID tokens (also
    `registry-tools ab start`'s); a dry run's key is `***` when one is configured, and no secret
    is read."""
    if dry_run:
        configured = settings.api_key is not None or settings.api_key_secret is not None
        key = "***" if configured else None
    else:
        key = api_key(settings, cloud)
    tokens = kind is TargetKind.CLOUDRUN and settings.smoke_id_token
    return SmokeTest(api_key=key, timeout=settings.smoke_timeout_seconds,
                     identity_token=identity_token if tokens else None)


def api_key(settings: RolloutSettings, cloud: CloudRunSettings) -> str | None:
    """The smoke test's API key: `ROLLOUT_API_KEY`, else the first of the service's `API_KEYS`
    in Secret Manager (`ROLLOUT_API_KEY_SECRET`), else none."""
    if settings.api_key is not None:
        return settings.api_key.get_secret_value()
    if settings.api_key_secret is None:
        return None
    from google.cloud import secretmanager_v1

    name, version = settings.api_key_secret.split(":")
    secret = secretmanager_v1.SecretManagerServiceClient().access_secret_version(
        name=f"projects/{cloud.project}/secrets/{name}/versions/{version}")
    return secret.payload.data.decode("utf-8").split(",")[0].strip() or None

