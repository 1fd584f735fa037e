"""The deployment records, and the image a model version was deployed with.

`cloudbuild.yaml`'s `record` step writes one JSON object per revision it deploys to
`gs://BUCKET/deployments/SERVICE/REVISION.json`: the model version the revision serves and the
image digest it runs (plus commit, branch, traffic, build id). A revision for a version that has
none left (an A/B challenger, a rollback target) is deployed with the digest of the newest record
of that version: the image that was built, tested and deployed with that model baked in. No tag
is ever guessed from a version number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from deploy.cloudrun.images import DIGEST_REFERENCE, ImageError
from deploy.cloudrun.settings import CloudRunSettings


class RecordNotFound(ImageError):
    """No usable deployment record names the model version; the message says what to do."""


@dataclass(frozen=True)
class Record:
    """One deployment record: which object, when written, and what it says."""

    name: str
    created: datetime
    model_version: str | None
    image: str | None

    @property
    def usable(self) -> bool:
        """It names a model version and an image digest."""
        return bool(self.model_version and self.image and DIGEST_REFERENCE.match(self.image))


def location(settings: CloudRunSettings) -> str:
    """`gs://BUCKET/deployments/SERVICE/`: where the service's records are."""
    return f"gs://{settings.bucket}/{prefix(settings)}"


def prefix(settings: CloudRunSettings) -> str:
    """The object-name prefix of the service's records in the bucket."""
    return f"deployments/{settings.service}/"


def parse_record(name: str, created: datetime, text: str) -> Record:
    """A record from its JSON; anything unreadable gives a record that is not `usable`."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return Record(name, created, None, None)
    version, image = document.get("model_version"), document.get("image")
    return Record(name, created, str(version) if version not in (None, "") else None,
                  image if isinstance(image, str) else None)


def newest_image(records: Iterable[Record], version: str, where: str) -> str:
    """The image digest of the newest usable record of model `version`; refused when none.

    Unusable records (not JSON, no version, an image that is not a digest) are skipped and
    named in the refusal, so a broken record never goes unnoticed and never blocks a rollback
    to a version that has a good one.
    """
    records = list(records)
    found = [(r.created, r.name, r.image) for r in records
             if r.usable and r.model_version == version and r.image]
    if found:
        return max(found)[2]
    skipped = [r.name for r in records if not r.usable]
    note = f"; unusable records skipped: {', '.join(sorted(skipped))}" if skipped else ""
    raise RecordNotFound(
        f"no deployment record in {where} names model version {version} with an image digest "
        f"({len(records)} records read{note}): deploy it with make deploy MODEL_VERSION="
        f"{version}, or pass --image REPOSITORY@sha256:<digest> of an image with v{version} "
        "baked in")


def read_records(settings: CloudRunSettings) -> list[Record]:
    """Every record of the service, read with the storage client (the emulator's in tests)."""
    from google.api_core.exceptions import GoogleAPICallError

    from mlflow_project.data.io import gcs_client

    where = location(settings)
    try:
        blobs = gcs_client(where).list_blobs(settings.bucket, prefix=prefix(settings))
        return [parse_record(f"gs://{settings.bucket}/{blob.name}", blob.time_created,
                             blob.download_as_text())
                for blob in blobs if blob.name.endswith(".json")]
    except GoogleAPICallError as exc:
        raise RecordNotFound(f"cannot read the deployment records in {where}: "
                             f"{exc.code} {exc.message}") from exc


def image_for_version(settings: CloudRunSettings, version: str) -> str:
    """The digest model `version` was last deployed with (see the module docstring)."""
    return newest_image(read_records(settings), version, location(settings))
