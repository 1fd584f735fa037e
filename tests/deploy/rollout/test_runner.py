"""The rollout runner against Cloud Run: the real `google-cloud-run` client talking to the local
fake of the Admin API, whose tag URLs answer the real smoke test; the watch's figures are
scripted (Cloud Monitoring has no fake: its requests are tested in test_observers).

Each test asserts the exact traffic of every update the client sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from typer.testing import CliRunner

from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.traffic import CloudRunTarget
from deploy.rollout import runner
from deploy.rollout.cli import app
from deploy.rollout.plan import Thresholds, WindowFigures
from deploy.rollout.smoke import SmokeFailed, SmokeTest
from tests.deploy.cloudrun.fake_cloud_run import FakeCloudRun

SVC = "ticket-urgency-api"
V1 = f"{SVC}-v1-0aaaaaa"
V2 = f"{SVC}-v2-0bbbbbb"
HEALTHY = WindowFigures(200, 0, 80.0)
PLAN = runner.Rollout(version="2", steps=(10, 50, 100), window_seconds=60,
                      thresholds=Thresholds(max_error_rate=0.02, max_p99_ms=500,
                                            min_requests=20), revision=V2)


class Scripted:
    """An observer answering each window with the next scripted figures (or raising them)."""

    def __init__(self, *answers: WindowFigures | Exception) -> None:
        self._answers: Iterator[WindowFigures | Exception] = iter(answers)
        self.windows: list[tuple[str, float]] = []

    def plan(self, revision: str, window_seconds: float) -> list[str]:
        return [f"scripted figures of {revision}"]

    def observe(self, revision: str, start: datetime, end: datetime) -> WindowFigures:
        self.windows.append((revision, (end - start).total_seconds()))
        answer = next(self._answers)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def deployed(fake_cloud_run: FakeCloudRun, service_path: str) -> FakeCloudRun:
    """v1 serves everything; v2 was just deployed by Cloud Build: tagged, no traffic."""
    fake_cloud_run.seed(service_path, [V1, V2], [(V1, 100, "production"), (V2, 0, "candidate")])
    return fake_cloud_run


def traffic(fake: FakeCloudRun) -> list[list[tuple[str, int, str]]]:
    """The traffic of every update the client sent, in order."""
    return [[(t.revision, t.percent, t.tag) for t in update.traffic] for update in fake.updates]


def roll(observer: Scripted, lines: list[str], plan: runner.Rollout = PLAN) -> str:
    target = CloudRunTarget(CloudRunSettings.load())
    smoke = SmokeTest(api_key="k" * 20, timeout=10, identity_token=lambda url: f"id-for-{url}")
    return runner.run(plan, target, observer, smoke, echo=lines.append,
                      wait=lambda _seconds: None)


def test_a_healthy_candidate_goes_to_100_percent_step_by_step(deployed: FakeCloudRun) -> None:
    lines: list[str] = []
    observer = Scripted(HEALTHY, HEALTHY, HEALTHY)
    assert roll(observer, lines) == V2
    assert traffic(deployed) == [
        [(V1, 100, "production"), (V2, 0, "candidate")],
        [(V1, 90, "production"), (V2, 10, "candidate")],
        [(V1, 50, "production"), (V2, 50, "candidate")],
        [(V2, 100, "production")]]
    assert [revision for revision, _ in observer.windows] == [V2, V2, V2]
    tag_url = f"{deployed.base_url}/tagged/candidate"  # each smoke call carries an ID token
    assert deployed.authorizations == [f"Bearer id-for-{tag_url}"] * 3
    assert sum(1 for line in lines if "watch: 200 requests, 0 5xx" in line) == 3
    assert lines[-1] == f"done: {V2} (model v2) serves all traffic [production]"


def test_a_breach_returns_all_traffic_to_the_previous_revision(deployed: FakeCloudRun) -> None:
    lines: list[str] = []
    with pytest.raises(runner.RolledBack, match=r"step 50% breached .*5xx rate 10\.0% > 2\.0%"
                                                 rf".*back on {V1}"):
        roll(Scripted(HEALTHY, WindowFigures(200, 20, 90.0)), lines)
    assert traffic(deployed)[-2:] == [[(V1, 50, "production"), (V2, 50, "candidate")],
                                      [(V1, 100, "production")]]
    assert lines[-1] == f"rollback: {V1} (v1) 100% [production]"


def test_a_watch_that_cannot_be_read_is_a_breach(deployed: FakeCloudRun) -> None:
    with pytest.raises(runner.RolledBack, match="could not apply or watch the step: no metrics"):
        roll(Scripted(RuntimeError("no metrics")), [])
    assert traffic(deployed)[-1] == [(V1, 100, "production")]


def test_a_candidate_failing_its_smoke_test_never_gets_traffic(deployed: FakeCloudRun) -> None:
    deployed.broken.add("2")
    observer = Scripted()
    with pytest.raises(SmokeFailed, match=r"/tagged/candidate/predict answered 500"):
        roll(observer, [])
    assert traffic(deployed) == [[(V1, 100, "production"), (V2, 0, "candidate")]]
    assert observer.windows == []


def test_a_first_deploy_serving_everything_is_only_smoke_tested(
        fake_cloud_run: FakeCloudRun, service_path: str) -> None:
    fake_cloud_run.seed(service_path, [V2], [(V2, 100, "production")])
    lines: list[str] = []
    assert roll(Scripted(), lines) == V2
    assert fake_cloud_run.updates == []
    assert "no previous revision to return to" in lines[1]
    assert lines[-1].startswith("  POST /predict: urgency_probability")


def test_a_revision_serving_another_version_is_refused(deployed: FakeCloudRun) -> None:
    with pytest.raises(runner.PlanError, match=f"{V2} serves model v2, not v3"):
        roll(Scripted(), [], runner.Rollout(**{**PLAN.__dict__, "version": "3"}))
    assert deployed.updates == []


def test_the_command_says_refused_with_exit_3_when_the_smoke_test_fails(
        deployed: FakeCloudRun) -> None:
    deployed.broken.add("2")
    result = CliRunner().invoke(app, ["--target", "cloudrun", "--version", "2",
                                      "--revision", V2])
    assert result.exit_code == 3
    assert "refused: smoke test failed, the candidate got no traffic" in result.output
    assert traffic(deployed) == [[(V1, 100, "production"), (V2, 0, "candidate")]]
