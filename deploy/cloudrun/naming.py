"""Names that tie Cloud Run revisions to model versions.

A revision is named `<service>-v<version>-<suffix>`: `cloudbuild.yaml` deploys with
`--revision-suffix v<version>-<git sha, 7>-<build id, 8>` (unique when a commit is built again)
and `ab` deploys `v<version>-ab<time>`; the local
rehearsal names its servers `<service>-v<version>`. Reading a version back from the name is what
lets traffic percentages be read as model versions (one revision = one model version).
"""

from __future__ import annotations

import re

MAX_REVISION_NAME = 63


def revision_name(service: str, version: str, suffix: str = "") -> str:
    """`<service>-v<version>[-<suffix>]`, refused if Cloud Run would refuse it."""
    name = f"{service}-v{version}" + (f"-{suffix}" if suffix else "")
    if len(name) > MAX_REVISION_NAME or not re.fullmatch(r"[a-z]([a-z0-9-]*[a-z0-9])?", name):
        raise ValueError(f"revision name {name!r} is not a valid Cloud Run revision name "
                         f"(lower-case letters, digits and '-', at most {MAX_REVISION_NAME})")
    return name


def version_of(service: str, revision: str) -> str | None:
    """The model version a revision of `service` serves, or None if it is not named by us."""
    match = re.fullmatch(rf"{re.escape(service)}-v(\d+)(-[a-z0-9-]+)?", short_name(revision))
    return match.group(1) if match else None


def short_name(resource: str) -> str:
    """`projects/.../revisions/NAME` -> `NAME` (the API uses both forms)."""
    return resource.rsplit("/", 1)[-1]
