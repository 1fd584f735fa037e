"""The custom metrics' descriptors and the alert policies on the jobs and the service: each
descriptor parses strictly and matches the code's metric types one to one; the drift, job-absence,
5xx and urgent-rate-low conditions have the shape that makes them fire."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from google.cloud.monitoring_v3 import AlertPolicy, ComparisonType
from google.protobuf import json_format

from deploy.cloudrun.telemetry.definitions import DEFINITIONS, Definitions
from mlflow_project.cloud_metrics import names
from tests.deploy.cloudrun.descriptors_support import DESCRIPTORS, descriptors, promql_name
from tests.deploy.cloudrun.telemetry_support import TARGET, rendered

Condition = AlertPolicy.Condition
LONGEST_ABSENCE = timedelta(hours=23, minutes=30)  # conditionAbsent accepts no longer duration
PREDICTIONS = promql_name("logging.googleapis.com/user/ticket_urgency_predictions")


@pytest.fixture(scope="module")
def policies() -> dict[str, AlertPolicy]:
    definitions: Definitions = rendered()
    return {policy.stem: AlertPolicy.from_json(json.dumps(policy.body))
            for policy in definitions.policies}


def only_condition(policy: AlertPolicy) -> Condition:
    [condition] = policy.conditions
    return condition


def absence_window(query: str, metric_type: str) -> timedelta:
    """The range of the query's `absent_over_time` over `metric_type` (PromQL name)."""
    found = re.fullmatch(rf"absent_over_time\({re.escape(promql_name(metric_type))}"
                         r'\{monitored_resource="global"\}\[(\d+)h\]\)', query.strip())
    assert found, query
    return timedelta(hours=int(found.group(1)))


def test_each_code_metric_type_has_exactly_one_descriptor_and_each_descriptor_a_type() -> None:
    in_code = {value for value in vars(names).values()
               if isinstance(value, str) and value.startswith(f"{names.PREFIX}/")}
    described = descriptors()
    assert set(described) == in_code
    for descriptor in described.values():
        assert descriptor.metric_kind == descriptor.MetricKind.GAUGE
        assert descriptor.description
        assert descriptor.display_name
        assert {label.key for label in descriptor.labels} >= {names.MODEL_NAME,
                                                              names.MODEL_VERSION}
    assert described[names.DRIFT_VERDICT].value_type == \
        described[names.DRIFT_VERDICT].ValueType.INT64
    assert described[names.DRIFT_P_VALUE].value_type == \
        described[names.DRIFT_P_VALUE].ValueType.DOUBLE
    assert described[names.ROWS_WATCHED].value_type == \
        described[names.ROWS_WATCHED].ValueType.INT64


def test_a_descriptor_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "descriptors"
    shutil.copytree(DESCRIPTORS, copy)
    target = copy / "rows_watched.yaml"
    target.write_text(target.read_text().replace("metricKind:", "kind: GAUGE\nmetricKind:"))
    with pytest.raises(json_format.ParseError, match="kind"):
        descriptors(copy)


def test_drift_fires_per_model_version_and_check_on_any_drifted_verdict(
        policies: dict[str, AlertPolicy]) -> None:
    threshold = only_condition(policies["drift"]).condition_threshold
    assert f'metric.type="{names.DRIFT_VERDICT}"' in threshold.filter
    assert f'resource.type="{names.RESOURCE_TYPE}"' in threshold.filter
    [aggregation] = threshold.aggregations
    assert aggregation.per_series_aligner == aggregation.Aligner.ALIGN_MAX
    assert list(aggregation.group_by_fields) == ["metric.label.model_version",
                                                 "metric.label.feature"]
    assert threshold.comparison == ComparisonType.COMPARISON_GT
    assert threshold.threshold_value == 0
    assert threshold.evaluation_missing_data == \
        Condition.EvaluationMissingData.EVALUATION_MISSING_DATA_NO_OP


def test_job_absence_covers_the_daily_schedule_with_slack(
        policies: dict[str, AlertPolicy]) -> None:
    monitoring = only_condition(policies["monitoring_absent"]).condition_prometheus_query_language
    assert absence_window(monitoring.query, names.ROWS_WATCHED).total_seconds() == 93600  # 26 h
    training = only_condition(policies["training_absent"]).condition_prometheus_query_language
    window = absence_window(training.query, names.TRAINING_COMPLETED)
    assert window >= timedelta(days=1) + timedelta(hours=2) + timedelta(hours=2)  # run, slack
    for policy in policies.values():  # longer absences cannot be a conditionAbsent
        for condition in policy.conditions:
            if "condition_absent" in condition:
                assert condition.condition_absent.duration <= LONGEST_ABSENCE, policy.display_name


def test_5xx_share_is_cloud_runs_request_count_of_the_service_5xx_over_all(
        policies: dict[str, AlertPolicy]) -> None:
    threshold = only_condition(policies["server_errors"]).condition_threshold
    service = f'resource.label.service_name="{TARGET.service}"'
    base = 'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision"'
    assert threshold.filter == f'{base} AND {service} AND metric.label.response_code_class="5xx"'
    assert threshold.denominator_filter == f"{base} AND {service}"
    assert [a.group_by_fields for a in threshold.aggregations] == \
        [a.group_by_fields for a in threshold.denominator_aggregations]
    assert threshold.comparison == ComparisonType.COMPARISON_GT
    assert 0 < threshold.threshold_value < 0.1


def test_urgent_rate_low_fills_a_missing_urgent_count_with_zero(
        policies: dict[str, AlertPolicy]) -> None:
    query = " ".join(only_condition(policies["urgent_rate_low"])
                     .condition_prometheus_query_language.query.split())
    urgent = (f'sum by (model_version) (increase({PREDICTIONS}{{monitored_resource='
              f'"cloud_run_revision",urgent="true"}}[1h]))')
    everything = (f'sum by (model_version) (increase({PREDICTIONS}{{monitored_resource='
                  f'"cloud_run_revision"}}[1h]))')
    assert query == f"( {urgent} or {everything} * 0 ) / {everything} < 0.05"
    high = policies["urgent_rate"]
    assert [c.condition_threshold.comparison for c in high.conditions] == \
        [ComparisonType.COMPARISON_GT]


def test_a_policy_with_a_promql_condition_holds_only_that_condition(
        policies: dict[str, AlertPolicy]) -> None:
    promql = {stem for stem, policy in policies.items()
              if any("condition_prometheus_query_language" in c for c in policy.conditions)}
    assert promql == {"monitoring_absent", "training_absent", "urgent_rate_low"}
    assert all(len(policies[stem].conditions) == 1 for stem in promql)


def test_the_log_based_5xx_metric_is_gone() -> None:
    assert not (DEFINITIONS / "metrics" / "server_errors.yaml").exists()
    text = "\n".join(path.read_text() for path in DEFINITIONS.rglob("*.*"))
    assert "ticket_urgency_server_errors" not in text


def test_absence_policies_exist_before_their_job_first_reports(
        policies: dict[str, AlertPolicy]) -> None:
    for stem in ("monitoring_absent", "training_absent"):
        condition = only_condition(policies[stem]).condition_prometheus_query_language
        assert condition.disable_metric_validation, stem
