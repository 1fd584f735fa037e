"""The deployment records: the image digest a model version was deployed with, read from the
bucket (a GCS emulator, through the real storage client), newest first, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deploy.cloudrun import deployments
from deploy.cloudrun.deployments import Record, RecordNotFound, newest_image, parse_record
from deploy.cloudrun.settings import CloudRunSettings
from tests.deploy.conftest import DeploymentRecords

REPOSITORY = "asia-south1-docker.pkg.dev/ml-model-480910/ticket-urgency-repo/ticket-urgency-api"
OLD, NEW, OTHER = (f"{REPOSITORY}@sha256:{c * 64}" for c in "abc")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
WHERE = "gs://b/deployments/svc/"


def record(name: str, minutes: int, version: str | None, image: str | None) -> Record:
    return Record(f"{WHERE}{name}.json", T0 + timedelta(minutes=minutes), version, image)


def test_the_newest_record_of_the_version_gives_the_image() -> None:
    records = [record("r2-new", 5, "2", NEW), record("r2-old", 1, "2", OLD),
               record("r3", 9, "3", OTHER)]
    assert newest_image(records, "2", WHERE) == NEW
    assert newest_image(records, "3", WHERE) == OTHER


def test_no_record_of_the_version_is_refused_saying_what_to_do() -> None:
    with pytest.raises(RecordNotFound) as refused:
        newest_image([record("r3", 1, "3", OTHER)], "2", WHERE)
    assert str(refused.value) == (
        f"no deployment record in {WHERE} names model version 2 with an image digest (1 records "
        "read): deploy it with make deploy MODEL_VERSION=2, or pass --image "
        "REPOSITORY@sha256:<digest> of an image with v2 baked in")


def test_a_record_with_a_tag_or_broken_json_is_never_used_and_is_named() -> None:
    tagged = record("r2-tagged", 9, "2", f"{REPOSITORY}:model-v2")
    broken = parse_record(f"{WHERE}r2-broken.json", T0, "{not json")
    assert (broken.model_version, broken.image) == (None, None)
    assert newest_image([tagged, broken, record("r2", 1, "2", OLD)], "2", WHERE) == OLD
    with pytest.raises(RecordNotFound, match=r"unusable records skipped: "
                                             r"gs://b/deployments/svc/r2-broken.json, "
                                             r"gs://b/deployments/svc/r2-tagged.json\)"):
        newest_image([tagged, broken], "2", WHERE)


def test_the_record_step_s_json_is_read_field_by_field() -> None:
    text = ('{"service": "svc", "revision": "svc-v7-0123456-89abcdef", "model_uri": '
            f'"models:/ticket_urgency@production", "model_version": "7", "image": "{NEW}", '
            '"git_sha": "0123456", "branch": "main", "traffic": "all", "build_id": "x"}')
    parsed = parse_record("gs://b/x.json", T0, text)
    assert (parsed.model_version, parsed.image, parsed.usable) == ("7", NEW, True)
    assert not parse_record("gs://b/y.json", T0, '["a list"]').usable
    assert not parse_record("gs://b/z.json", T0, '{"model_version": 7}').usable


def test_records_are_read_from_the_bucket_and_the_newest_wins(
        deployment_records: DeploymentRecords) -> None:
    settings = CloudRunSettings()
    deployment_records.deployed("ticket-urgency-api-v2-0aaaaaa-11111111", "2", OLD)
    deployment_records.deployed("ticket-urgency-api-v3-0bbbbbb-22222222", "3", OTHER)
    deployment_records.deployed("ticket-urgency-api-v2-0aaaaaa-33333333", "2", NEW)  # a re-run
    deployment_records.put("ticket-urgency-api-v2-broken", "not json")
    assert deployments.image_for_version(settings, "2") == NEW
    assert deployments.image_for_version(settings, "3") == OTHER
    with pytest.raises(RecordNotFound, match=r"names model version 9 .*\(4 records read; "
                                             r"unusable records skipped: gs://ml-model-bucket-22/"
                                             r"deployments/ticket-urgency-api/"
                                             r"ticket-urgency-api-v2-broken.json\)"):
        deployments.image_for_version(settings, "9")


def test_another_service_s_records_are_not_read(deployment_records: DeploymentRecords) -> None:
    deployment_records.deployed("ticket-urgency-api-v2-0aaaaaa-11111111", "2", OLD)
    other = CloudRunSettings(service="other-api")
    with pytest.raises(RecordNotFound, match="in gs://ml-model-bucket-22/deployments/other-api/ "
                                             r"names model version 2 .*\(0 records read\)"):
        deployments.image_for_version(other, "2")


def test_a_bucket_that_cannot_be_read_is_an_error_naming_it(
        deployment_records: DeploymentRecords) -> None:
    missing = CloudRunSettings(bucket="no-such-bucket")
    with pytest.raises(RecordNotFound, match=r"cannot read the deployment records in "
                                             r"gs://no-such-bucket/deployments/"
                                             r"ticket-urgency-api/: 404"):
        deployments.image_for_version(missing, "2")
