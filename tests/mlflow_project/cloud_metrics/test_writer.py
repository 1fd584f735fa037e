"""The writer: off, dry run and on; requests of at most 200 series through the real client to a
local fake of the API; one-line errors for a refused, unreachable or out-of-time write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.cloud.monitoring_v3 import CreateTimeSeriesRequest

from contracts.settings import SettingsError
from mlflow_project.cloud_metrics import names
from mlflow_project.cloud_metrics.points import Point
from mlflow_project.cloud_metrics.settings import CloudMetricsSettings, Mode
from mlflow_project.cloud_metrics.writer import (
    EMULATOR_VARIABLE,
    CloudMetricsError,
    as_json,
    publish,
    requests_for,
)
from tests.mlflow_project.cloud_metrics.fake_monitoring import fake_monitoring
from tests.support import free_port

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
PROJECT = "test-project-1"


def points(count: int, at: datetime = NOW) -> list[Point]:
    return [Point(names.DRIFT_P_VALUE, i / count, at,
                  {names.MODEL_NAME: "m", names.MODEL_VERSION: "1", names.FEATURE: f"f{i}",
                   names.ENGINE: "scipy"}) for i in range(count)]


def settings(mode: Mode, timeout: float = 5.0) -> CloudMetricsSettings:
    return CloudMetricsSettings(mode=mode, project=PROJECT, timeout_seconds=timeout)


def test_requests_carry_at_most_200_series_each_and_name_the_project() -> None:
    requests = requests_for(points(450), PROJECT)
    assert [len(r.time_series) for r in requests] == [200, 200, 50]
    assert {r.name for r in requests} == {f"projects/{PROJECT}"}
    labels = [s.metric.labels["feature"] for r in requests for s in r.time_series]
    assert labels == [f"f{i}" for i in range(450)]


def test_off_builds_nothing_and_a_dry_run_sends_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert publish(points(3), CloudMetricsSettings(), NOW) == []
    with fake_monitoring() as fake:
        monkeypatch.setenv(EMULATOR_VARIABLE, fake.address)
        requests = publish(points(3, NOW - timedelta(days=30)), settings(Mode.DRY_RUN), NOW)
        assert fake.requests == []
    [printed] = json.loads(as_json(requests))
    assert CreateTimeSeriesRequest.from_json(json.dumps(printed)) == requests[0]
    assert printed["name"] == f"projects/{PROJECT}"
    assert len(printed["timeSeries"]) == 3


def test_on_sends_every_request_through_the_real_client(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_monitoring() as fake:
        monkeypatch.setenv(EMULATOR_VARIABLE, fake.address)
        sent = publish(points(250), settings(Mode.ON), NOW)
    assert fake.requests == sent
    assert [len(r.time_series) for r in fake.requests] == [200, 50]


def test_a_refused_write_is_one_line_naming_the_project_and_what_was_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_monitoring() as fake:
        fake.failure = grpc.StatusCode.PERMISSION_DENIED
        monkeypatch.setenv(EMULATOR_VARIABLE, fake.address)
        with pytest.raises(CloudMetricsError) as raised:
            publish(points(3), settings(Mode.ON), NOW)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"projects/{PROJECT}: Cloud Monitoring did not take the points "
                              "(0 of 3 series written)")
    assert "refused by the fake" in message
    assert len(fake.requests) == 1  # refused, not retried


def test_an_unreachable_service_is_retried_until_the_deadline_then_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMULATOR_VARIABLE, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CloudMetricsError, match=r"^projects/test-project-1: Cloud Monitoring did "
                                                r"not take the points \(0 of 3 series written\)"):
        publish(points(3), settings(Mode.ON, timeout=1.0), NOW)


def test_points_cloud_monitoring_would_refuse_for_their_time_are_refused_before_sending(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_monitoring() as fake:
        monkeypatch.setenv(EMULATOR_VARIABLE, fake.address)
        for at in (NOW - timedelta(hours=26), NOW + timedelta(minutes=10)):
            with pytest.raises(CloudMetricsError, match="outside what Cloud Monitoring accepts"):
                publish(points(2, at), settings(Mode.ON), NOW)
        assert fake.requests == []


def test_an_emulator_address_without_its_scheme_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMULATOR_VARIABLE, "127.0.0.1:1")
    with pytest.raises(CloudMetricsError, match="needs its scheme"):
        publish(points(1), settings(Mode.ON), NOW)


def test_the_settings_need_a_project_unless_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TU_CLOUD_METRICS_MODE", "on")
    with pytest.raises(SettingsError, match=r"TU_CLOUD_METRICS_PROJECT=None: .*required when "
                                            r"TU_CLOUD_METRICS_MODE is on"):
        CloudMetricsSettings.load()
    monkeypatch.setenv("TU_CLOUD_METRICS_MODE", "sometimes")
    with pytest.raises(SettingsError, match="TU_CLOUD_METRICS_MODE='sometimes'"):
        CloudMetricsSettings.load()
    monkeypatch.setenv("TU_CLOUD_METRICS_MODE", "dry-run")
    monkeypatch.setenv("TU_CLOUD_METRICS_PROJECT", PROJECT)
    assert CloudMetricsSettings.load().mode is Mode.DRY_RUN


@pytest.mark.usefixtures("no_credentials")
def test_no_credentials_is_one_line_saying_what_to_set() -> None:
    with pytest.raises(CloudMetricsError) as raised:
        publish(points(1), settings(Mode.ON), NOW)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"projects/{PROJECT}: no Google credentials to reach Cloud "
                              "Monitoring")
    assert f"{EMULATOR_VARIABLE}=http://HOST:PORT" in message
