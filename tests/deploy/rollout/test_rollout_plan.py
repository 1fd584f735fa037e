"""The pure rollout plan: steps from settings, each step's routes, the breach rule."""

from __future__ import annotations

import pytest

from contracts.settings import SettingsError
from contracts.traffic import NewRevision, Route
from deploy.rollout.plan import (
    Thresholds,
    WindowFigures,
    back_to,
    judge,
    p99,
    step,
    tag_only,
    update_traffic_command,
)
from deploy.rollout.settings import RolloutSettings

LIMITS = Thresholds(max_error_rate=0.02, max_p99_ms=500, min_requests=20)


def test_steps_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLOUT_STEPS", "5,25,100")
    monkeypatch.setenv("ROLLOUT_WINDOW_SECONDS", "42")
    settings = RolloutSettings.load()
    assert (settings.steps, settings.window_seconds) == ((5, 25, 100), 42.0)
    assert RolloutSettings.model_fields["steps"].default == (10, 50, 100)


@pytest.mark.parametrize(("steps", "rule"), [
    ("10,50", "ending at 100"),
    ("50,10,100", "must increase"),
    ("0,100", "between 1 and 100"),
    ("ten,100", "comma-separated whole percents"),
])
def test_bad_steps_are_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, steps: str,
                                                   rule: str) -> None:
    monkeypatch.setenv("ROLLOUT_STEPS", steps)
    with pytest.raises(SettingsError, match=rf"ROLLOUT_STEPS='{steps}': .*{rule}"):
        RolloutSettings.load()


def test_the_api_key_is_never_shown_in_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLOUT_API_KEY", "a-secret-key-value")
    monkeypatch.setenv("ROLLOUT_MIN_REQUESTS", "0")
    with pytest.raises(SettingsError) as raised:
        RolloutSettings.load()
    assert "ROLLOUT_MIN_REQUESTS" in str(raised.value)
    assert "a-secret-key-value" not in str(raised.value)


def test_the_candidate_is_tagged_with_no_traffic_then_stepped_to_production() -> None:
    new = NewRevision("svc-v2", "2", "production")
    assert tag_only("svc-v1", "svc-v2", deploy=new).routes == (
        Route("svc-v1", 100, "production"), Route("svc-v2", 0, "candidate"))
    assert tag_only("svc-v1", "svc-v2", deploy=new).deploy == new
    assert step("svc-v1", "svc-v2", 10).routes == (Route("svc-v1", 90, "production"),
                                                   Route("svc-v2", 10, "candidate"))
    assert step("svc-v1", "svc-v2", 100).routes == (Route("svc-v2", 100, "production"),)
    assert back_to("svc-v1").routes == (Route("svc-v1", 100, "production"),)


@pytest.mark.parametrize(("figures", "passed", "says"), [
    (WindowFigures(100, 2, 120.0), True, "within limits"),
    (WindowFigures(100, 3, 120.0), False, "5xx rate 3.0% > 2.0%"),
    (WindowFigures(100, 0, 501.0), False, "p99 501 ms > 500 ms"),
    (WindowFigures(19, 19, 9000.0), True, "fewer than 20, not judged"),
    (WindowFigures(20, 0, None), True, "within limits"),
    (None, True, "not observed (dry run)"),
])
def test_a_breach_is_a_5xx_rate_or_p99_above_its_limit_over_enough_requests(
        figures: WindowFigures | None, passed: bool, says: str) -> None:
    verdict = judge(figures, LIMITS)
    assert verdict.passed is passed
    assert says in verdict.reason


def test_p99_is_the_nearest_rank() -> None:
    assert p99([]) is None
    assert p99([float(n) for n in range(1, 101)]) == 99.0
    assert p99([float(n) for n in range(1, 201)]) == 198.0
    assert p99([7.0]) == 7.0


def test_a_change_reads_as_the_gcloud_command_that_makes_it() -> None:
    assert update_traffic_command("svc", "p", "r", step("svc-v1", "svc-v2", 10)) == [
        "gcloud", "run", "services", "update-traffic", "svc", "--project=p", "--region=r",
        "--to-revisions=svc-v1=90,svc-v2=10", "--set-tags=production=svc-v1,candidate=svc-v2"]
    assert update_traffic_command("svc", "p", "r", tag_only("svc-v1", "svc-v2"))[-2:] == [
        "--to-revisions=svc-v1=100", "--set-tags=production=svc-v1,candidate=svc-v2"]
