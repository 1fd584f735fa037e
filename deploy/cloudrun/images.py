"""Image references a deploy may use: digests only, never tags.

A tag (`:latest`, a model version, even the commit) is a pointer a later push can move, so a
revision or job deployed by tag may not run the image that was tested. A digest
(`REPOSITORY@sha256:<64 hex>`) names one image forever. Builds tag their image with the commit
only (to find it in the registry); everything that deploys takes the digest the push returned.
"""

from __future__ import annotations

import re

DIGEST_REFERENCE = re.compile(
    r"^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+@sha256:[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
DIGEST_OF_TAG_HELP = ("the digest of a pushed tag: gcloud artifacts docker images describe "
                      "IMAGE:TAG --format='value(image_summary.digest)'")


class ImageError(ValueError):
    """An image reference a deploy refuses; the message says why and what to pass instead."""


def require_digest(reference: str, what: str = "image") -> str:
    """`reference` if it is `REPOSITORY@sha256:<64 hex>`; a tag or anything else is refused."""
    if DIGEST_REFERENCE.match(reference):
        return reference
    raise ImageError(f"{what} {reference!r} is not a digest reference "
                     "(REPOSITORY@sha256:<64 hex digits>): a tag can be moved to another "
                     f"image, so deploys take digests only ({DIGEST_OF_TAG_HELP})")


def by_digest(repository: str, digest: str) -> str:
    """`repository@digest`, checked (`digest` as the registry prints it: `sha256:...`)."""
    return require_digest(f"{repository}@{digest.strip()}", f"the digest of {repository}")


def commit_tag(commit: str) -> str:
    """The one tag a build gives its image: the commit it was built from (7-40 hex digits)."""
    if not COMMIT.match(commit):
        raise ImageError(f"commit {commit!r} is not a git commit id (7-40 lower-case hex digits)")
    return commit


def digest_command(repository: str, tag: str) -> list[str]:
    """The command that prints the digest (`sha256:...`) `repository:tag` points at now."""
    return ["gcloud", "artifacts", "docker", "images", "describe", f"{repository}:{tag}",
            "--format=value(image_summary.digest)"]
