"""`ab` against Cloud Run: the real `google-cloud-run` client (REST) talking to a local fake of
the Admin API, and a real (SQLite) registry with v1 @production and v2 passed the gate. A
revision `ab` deploys runs the image digest of its version's newest deployment record (a GCS
emulator, `deployment_records`) or the digest given with `--image`; never a tag.

Each test asserts the exact traffic targets (and revision template) the client sent.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.api_core.exceptions import Conflict
from google.cloud import run_v2

from contracts.traffic import Change, Route
from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.traffic import CloudRunTarget
from mlflow_project.registry import audit
from registry_tools.ab.registry import ab_record
from tests.deploy.cloudrun.fake_cloud_run import BY_REVISION, FakeCloudRun
from tests.deploy.conftest import DeploymentRecords
from tests.registry_tools.ab.support import Registry, ab
from tests.registry_tools.ab.test_ab_analysis import log_line

SVC = "ticket-urgency-api"
V1 = f"{SVC}-v1-0aaaaaa"
V2 = f"{SVC}-v2-0bbbbbb"
IMAGE = "asia-south1-docker.pkg.dev/ml-model-480910/ticket-urgency-repo/ticket-urgency-api"
V1_IMAGE, V2_IMAGE, GIVEN_IMAGE = (f"{IMAGE}@sha256:{c * 64}" for c in "12f")


def sent(fake: FakeCloudRun) -> list[tuple[int, str, int, str]]:
    """The traffic targets of the last update the client sent."""
    return [(int(t.type_), t.revision, t.percent, t.tag) for t in fake.updates[-1].traffic]


def smoke_then_split(requests: list[str]) -> list[str]:
    """The updates (`PATCH`) and the smoke test's requests to tag URLs, in order."""
    return [r if "/tagged/" in r else "PATCH" for r in requests
            if r.startswith("PATCH") or "/tagged/" in r]


def test_start_refuses_a_challenger_that_fails_its_smoke_test_and_gives_it_no_traffic(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    fake_cloud_run.broken.add("2")
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "20",
                "--image", GIVEN_IMAGE)
    assert result.exit_code == 3
    assert "failed its smoke test and got no traffic" in result.output
    assert "/tagged/challenger/predict answered 500" in result.output
    assert smoke_then_split(fake_cloud_run.requests)[-2:] == [
        "GET /tagged/challenger/metadata", "POST /tagged/challenger/predict"]  # no split after
    served = fake_cloud_run.services[service_path].traffic
    assert [(t.revision, t.percent) for t in served if t.percent] == [(V1, 100)]
    assert "ab" not in registry.tags("2")


def by_revision(revision: str, percent: int, tag: str) -> tuple[int, str, int, str]:
    return (int(BY_REVISION), revision, percent, tag)


def test_start_deploys_the_challenger_revision_and_splits_traffic(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        deployment_records: DeploymentRecords) -> None:
    deployment_records.deployed(f"{SVC}-v2-0ccccc-11111111", "2", f"{IMAGE}@sha256:{'0' * 64}")
    deployment_records.deployed(f"{SVC}-v2-0ccccc-22222222", "2", V2_IMAGE)  # newest of v2
    deployment_records.deployed(V1, "1", V1_IMAGE)
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    read_etag = fake_cloud_run.services[service_path].etag
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "20",
                "--reason", "try C=1")
    assert result.exit_code == 0, result.output
    update = fake_cloud_run.updates[-1]
    new = update.template.revision
    assert re.fullmatch(rf"{SVC}-v2-ab\d{{12}}", new)
    assert sent(fake_cloud_run) == [by_revision(V1, 80, "production"),
                                    by_revision(new, 20, "challenger")]
    container = update.template.containers[0]
    assert container.image == V2_IMAGE
    assert f"its image: {V2_IMAGE}" in result.output
    assert [(e.name, e.value) for e in container.env] == [("PREDICTION_LOG", "stdout"),
                                                          ("VARIANT", "challenger")]
    assert update.template.service_account == "runtime@example.iam.gserviceaccount.com"
    assert dict(update.template.labels) == {"model-version": "2"}
    staged = fake_cloud_run.updates[-2]  # first: the challenger with no traffic
    assert [(t.revision, t.percent, t.tag) for t in staged.traffic] == [
        (V1, 100, "production"), (new, 0, "challenger")]
    assert staged.etag == read_etag  # read-modify-write guarded by the etag
    assert smoke_then_split(fake_cloud_run.requests) == [
        "PATCH", "GET /tagged/challenger/ready", "GET /tagged/challenger/metadata",
        "POST /tagged/challenger/predict", "PATCH"]
    tags = registry.tags("2")
    record = ab_record(tags)
    assert (record["percent"], record["outcome"], record["reason"]) == ("20", "running", "try C=1")
    assert len(tags) <= 12, sorted(tags)  # the A/B record is one tag
    assert "A/B test running: v2 gets 20%, v1 the rest" in result.output


def test_start_reuses_a_revision_make_deploy_left_without_traffic(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, ""), (V2, 0, "challenger")])
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "10")
    assert result.exit_code == 0, result.output
    assert fake_cloud_run.updates[-1].template.revision == V2  # template untouched: no deploy
    assert sent(fake_cloud_run) == [by_revision(V1, 90, "production"),
                                    by_revision(V2, 10, "challenger")]


def test_dry_run_prints_the_plan_and_sends_nothing(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, "production")])
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "20",
                "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"traffic after:  {V1} (v1) 80% [production], {V2} (v2) 20% [challenger]" in \
        result.output
    assert f"first: {V2} with no traffic, then its smoke test:" in result.output
    assert "GET <challenger tag URL>/metadata -> 200, model_version 2" in result.output
    assert fake_cloud_run.updates == []
    assert not any(r.startswith("PATCH") or "/tagged/" in r for r in fake_cloud_run.requests)
    assert "ab" not in registry.tags("2")


def test_a_second_start_and_an_unknown_version_are_refused(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    again = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "30")
    assert again.exit_code == 3
    assert "already active" in again.output
    unknown = ab("start", "--target", "cloudrun", "--version", "9", "--percent", "30")
    assert unknown.exit_code == 3
    assert "has no version 9" in unknown.output
    assert fake_cloud_run.updates == []


def test_promote_moves_production_through_the_gate_then_all_traffic(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    result = ab("promote", "--target", "cloudrun", "--reason", "better recall")
    assert result.exit_code == 0, result.output
    assert sent(fake_cloud_run) == [by_revision(V2, 100, "production")]
    assert registry.production() == "2"
    tags = registry.tags("2")
    record = ab_record(tags)
    assert (record["outcome"], record["end_reason"]) == ("promoted", "better recall")
    assert "**Production**: @production set (was v1) by " in registry.client().get_model_version(
        "ticket_urgency", "2").description


def test_promote_that_fails_after_the_registry_moved_can_be_finished_by_running_it_again(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    real_update = fake_cloud_run.update_service
    monkeypatch.setattr(fake_cloud_run, "update_service", lambda *a: (_ for _ in ()).throw(
        RuntimeError("network")))
    failed = ab("promote", "--target", "cloudrun")
    assert failed.exit_code == 1
    assert "@production is v2 but the traffic change failed" in failed.output
    assert registry.production() == "2"
    monkeypatch.setattr(fake_cloud_run, "update_service", real_update)
    finished = ab("promote", "--target", "cloudrun")
    assert finished.exit_code == 0, finished.output
    assert sent(fake_cloud_run) == [by_revision(V2, 100, "production")]


def test_a_forced_promotion_needs_a_reason(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    result = ab("promote", "--target", "cloudrun", "--force")
    assert result.exit_code == 3
    assert "--force needs --reason" in result.output
    assert (registry.production(), fake_cloud_run.updates) == ("1", [])


def test_abort_sends_all_traffic_back_and_leaves_the_registry(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    result = ab("abort", "--target", "cloudrun", "--reason", "latency")
    assert result.exit_code == 0, result.output
    assert sent(fake_cloud_run) == [by_revision(V1, 100, "production")]
    assert registry.production() == "1"
    assert ab_record(registry.tags("2"))["outcome"] == "aborted"


@pytest.mark.parametrize("action", ["promote", "abort"])
def test_promote_and_abort_without_a_split_are_refused(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        action: str) -> None:
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    result = ab(action, "--target", "cloudrun")
    assert result.exit_code == 3
    assert "no A/B split is active" in result.output
    assert registry.production() == "1"


def test_rollback_after_a_promotion_returns_traffic_and_alias_to_the_previous_version(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    assert ab("promote", "--target", "cloudrun").exit_code == 0
    result = ab("rollback", "--target", "cloudrun", "--reason", "complaints")
    assert result.exit_code == 0, result.output
    assert sent(fake_cloud_run) == [by_revision(V1, 100, "production")]
    assert registry.production() == "1"
    assert registry.client().get_model_version("ticket_urgency", "1").description.endswith(
        ": complaints")
    trail = audit.entries(registry.client(), "ticket_urgency")
    assert [(e.action, e.to_version) for e in trail if e.alias == "production"] == \
        [("promote", "1"), ("promote", "2"), ("rollback", "1")]


def test_rollback_with_no_previous_version_is_refused(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    result = ab("rollback", "--target", "cloudrun", "--reason", "why not")
    assert result.exit_code == 3
    assert "no previous production version" in result.output
    assert fake_cloud_run.updates == []


def test_a_service_changed_by_someone_else_since_it_was_read_is_not_overwritten(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry) -> None:
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, "production")])
    target = CloudRunTarget(CloudRunSettings())
    target.snapshot()
    fake_cloud_run.seed(service_path, [V1, V2], [(V2, 100, "production")])  # a concurrent deploy
    with pytest.raises(Conflict, match="stale"):
        target.apply(Change("abort", (Route(V1, 100, "production"),)))
    assert fake_cloud_run.services[service_path].traffic[0].revision == V2


def test_a_missing_service_is_an_error_naming_it(
        fake_cloud_run: FakeCloudRun, registry: Registry) -> None:
    result = ab("status", "--target", "cloudrun")
    assert result.exit_code == 1
    assert "Cloud Run API error: 404" in result.output


def test_status_shows_traffic_tag_urls_and_per_variant_figures(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        tmp_path: Path,
        deployment_records: DeploymentRecords) -> None:
    deployment_records.deployed(V2, "2", V2_IMAGE)
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, "production")])
    assert ab("start", "--target", "cloudrun", "--version", "2", "--percent", "25").exit_code == 0
    now = datetime.now(UTC)
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [log_line(i, "2" if i % 4 == 0 else "1", now, ticket=f"t{i}") for i in range(40)]
    (logs / "export.jsonl").write_text("\n".join(lines) + "\n")
    feedback = tmp_path / "labels.csv"
    feedback.write_text("ticket_id,urgent\nt0,1\nt4,0\nt1,1\n")
    result = ab("status", "--target", "cloudrun", "--logs", str(logs), "--feedback",
                str(feedback), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [(t["model_version"], t["percent"], t["tag"]) for t in document["traffic"]] == \
        [("1", 75, "production"), ("2", 25, "challenger")]
    assert document["urls"]["challenger"] == f"{fake_cloud_run.base_url}/tagged/challenger"
    rows = {row["role"]: row for row in document["variants"]}
    assert (rows["production"]["predictions"], rows["challenger"]["predictions"]) == (30, 10)
    assert (rows["challenger"]["labelled"], rows["challenger"]["accuracy"]) == (2, 0.5)
    assert document["registry"]["challenger"] == "2"


def test_settings_are_validated_with_the_variable_named(
        monkeypatch: pytest.MonkeyPatch, registry: Registry) -> None:
    monkeypatch.setenv("CLOUD_RUN_REGION", "Mars")
    result = ab("status", "--target", "cloudrun")
    assert result.exit_code == 2
    assert "CLOUD_RUN_REGION='Mars'" in result.output


def test_a_floating_latest_route_is_pinned_to_its_revision(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        deployment_records: DeploymentRecords) -> None:
    deployment_records.deployed(V2, "2", V2_IMAGE)
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "")])
    fake_cloud_run.services[service_path].traffic = [run_v2.TrafficTarget(
        type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
        percent=100)]
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "5")
    assert result.exit_code == 0, result.output
    new = fake_cloud_run.updates[-1].template.revision
    assert sent(fake_cloud_run) == [by_revision(V1, 95, "production"),
                                    by_revision(new, 5, "challenger")]


def test_start_without_a_record_of_the_version_is_refused_and_changes_nothing(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        deployment_records: DeploymentRecords) -> None:
    deployment_records.deployed(V1, "1", V1_IMAGE)
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    for dry_run in ([], ["--dry-run"]):
        result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "20",
                    *dry_run)
        assert result.exit_code == 3, result.output
        assert ("refused: no deployment record in gs://ml-model-bucket-22/deployments/"
                "ticket-urgency-api/ names model version 2 with an image digest") in result.output
    assert fake_cloud_run.updates == []
    assert "ab" not in registry.tags("2")


@pytest.mark.parametrize("tag", [f"{IMAGE}:model-v2", f"{IMAGE}:latest",
                                 f"{IMAGE}:0123456789abcdef0123456789abcdef01234567"])
def test_an_image_given_by_tag_is_refused_before_anything_is_read(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry, tag: str) -> None:
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "20",
                "--image", tag)
    assert result.exit_code == 2, result.output
    assert f"--image {tag!r} is not a digest reference" in result.output
    assert (fake_cloud_run.requests, fake_cloud_run.updates) == ([], [])


def test_an_image_given_by_digest_is_deployed_without_reading_any_record(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        no_credentials: dict[str, str]) -> None:
    fake_cloud_run.seed(service_path, [V1], [(V1, 100, "production")])
    result = ab("start", "--target", "cloudrun", "--version", "2", "--percent", "20",
                "--image", GIVEN_IMAGE)  # no emulator, no credentials: a GCS read would fail
    assert result.exit_code == 0, result.output
    assert fake_cloud_run.updates[-1].template.containers[0].image == GIVEN_IMAGE


def test_rollback_to_a_version_whose_revision_is_gone_deploys_its_recorded_digest(
        fake_cloud_run: FakeCloudRun, service_path: str, registry: Registry,
        deployment_records: DeploymentRecords) -> None:
    deployment_records.deployed(V1, "1", V1_IMAGE)
    deployment_records.deployed(V2, "2", V2_IMAGE)
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 80, "production"), (V2, 20, "challenger")])
    assert ab("promote", "--target", "cloudrun").exit_code == 0
    fake_cloud_run.seed(service_path, [V2], [(V2, 100, "production")])  # v1's revision deleted
    result = ab("rollback", "--target", "cloudrun", "--reason", "complaints")
    assert result.exit_code == 0, result.output
    update = fake_cloud_run.updates[-1]
    assert re.fullmatch(rf"{SVC}-v1-ab\d{{12}}", update.template.revision)
    assert update.template.containers[0].image == V1_IMAGE
    assert sent(fake_cloud_run) == [by_revision(update.template.revision, 100, "production")]
    assert registry.production() == "1"
