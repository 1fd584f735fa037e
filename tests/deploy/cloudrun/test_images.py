"""Image references: a deploy takes a digest and refuses every tag, whatever it is called."""

from __future__ import annotations

import pytest

from deploy.cloudrun.images import ImageError, by_digest, commit_tag, digest_command, require_digest

REPOSITORY = "asia-south1-docker.pkg.dev/ml-model-480910/ticket-urgency-repo/ticket-urgency-api"
DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("reference", [
    f"{REPOSITORY}@{DIGEST}",
    f"localhost:5000/team/app@{DIGEST}",
    f"gcr.io/p/app_name.v2@{DIGEST}",
])
def test_a_digest_reference_is_accepted_as_it_is(reference: str) -> None:
    assert require_digest(reference) == reference


@pytest.mark.parametrize("reference", [
    f"{REPOSITORY}:latest",
    f"{REPOSITORY}:model-v7",
    f"{REPOSITORY}:0123456789abcdef0123456789abcdef01234567",  # even the commit: a tag moves
    f"{REPOSITORY}:latest@{DIGEST}",  # a tag beside the digest: which one wins is ambiguous
    f"{REPOSITORY}@sha256:0123",  # too short
    f"{REPOSITORY}@{DIGEST.upper()}",
    f"{REPOSITORY}@sha512:{'0' * 64}",
    REPOSITORY,  # no tag at all means :latest
])
def test_a_tag_or_a_malformed_digest_is_refused_saying_how_to_get_the_digest(
        reference: str) -> None:
    with pytest.raises(ImageError) as refused:
        require_digest(reference, "--image")
    message = str(refused.value)
    assert message.startswith(f"--image {reference!r} is not a digest reference")
    assert "gcloud artifacts docker images describe IMAGE:TAG" in message


def test_a_digest_read_from_the_registry_is_checked_before_use() -> None:
    assert by_digest(REPOSITORY, DIGEST + "\n") == f"{REPOSITORY}@{DIGEST}"
    with pytest.raises(ImageError, match=r"the digest of .*ticket-urgency-api"):
        by_digest(REPOSITORY, "ERROR: not found\n")
    with pytest.raises(ImageError):
        by_digest(REPOSITORY, "")


def test_images_are_tagged_with_a_commit_only() -> None:
    assert commit_tag("0123abc") == "0123abc"
    for not_a_commit in ("latest", "main", "model-v7", "0123ABC", "012345"):
        with pytest.raises(ImageError, match="is not a git commit id"):
            commit_tag(not_a_commit)
    assert digest_command(REPOSITORY, "0123abc") == [
        "gcloud", "artifacts", "docker", "images", "describe", f"{REPOSITORY}:0123abc",
        "--format=value(image_summary.digest)"]
