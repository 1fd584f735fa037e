"""The smoke test's requests and checks, against the fake Cloud Run's tag URLs (a real HTTP
server; the real prediction service answers it in tests/deploy/rollout/test_rehearsal)."""

from __future__ import annotations

import pytest

from deploy.rollout.smoke import SmokeFailed, SmokeTest
from deploy.targets import Endpoint
from tests.deploy.cloudrun.fake_cloud_run import FakeCloudRun

V2 = "ticket-urgency-api-v2-0bbbbbb"


@pytest.fixture
def candidate(fake_cloud_run: FakeCloudRun, service_path: str) -> Endpoint:
    fake_cloud_run.seed(service_path, [V2], [(V2, 100, "candidate")])
    return Endpoint(f"{fake_cloud_run.base_url}/tagged/candidate")


def test_a_serving_candidate_passes_all_three_checks(candidate: Endpoint) -> None:
    assert SmokeTest(api_key=None, timeout=5).run(candidate, "2") == [
        "GET /ready: ready", "GET /metadata: model version 2",
        "POST /predict: urgency_probability 0.500"]


def test_another_model_version_fails_the_metadata_check(candidate: Endpoint) -> None:
    with pytest.raises(SmokeFailed, match="reports model version 2, expected 5"):
        SmokeTest(api_key=None, timeout=5).run(candidate, "5")


def test_an_unreachable_candidate_fails_at_ready(fake_cloud_run: FakeCloudRun) -> None:
    gone = Endpoint(f"{fake_cloud_run.base_url}/tagged/nobody")
    with pytest.raises(SmokeFailed, match=r"GET .*/tagged/nobody/ready answered 404"):
        SmokeTest(api_key=None, timeout=5).run(gone, "2")


def test_the_plan_shows_headers_and_hides_the_key() -> None:
    lines = SmokeTest(api_key="a-long-secret-key", timeout=5).plan(
        Endpoint("http://127.0.0.1:8090", {"X-AB-Tag": "candidate"}), "2")
    assert lines[0] == "GET http://127.0.0.1:8090/ready -H 'X-AB-Tag: candidate' -> 200"
    assert "-H 'X-API-Key: ***'" in lines[2]
    assert "a-long-secret-key" not in "".join(lines)
