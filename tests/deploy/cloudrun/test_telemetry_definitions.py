"""The telemetry definition files: each is a valid resource of its API type, they name each other
consistently (a renamed metric or label breaks a test), and the sink selects exactly the
service's prediction records into the table monitoring reads."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from google.cloud.logging_v2.types import LogMetric, LogSink
from google.cloud.monitoring_dashboard_v1 import Dashboard
from google.cloud.monitoring_v3 import AlertPolicy

from contracts.prediction_log import PredictionRecord
from deploy.cloudrun.telemetry.definitions import (
    DEFINITIONS,
    DefinitionError,
    Definitions,
    load,
)
from deploy.cloudrun.telemetry.settings import TelemetrySettings
from tests.deploy.cloudrun.descriptors_support import descriptors, promql_name
from tests.deploy.cloudrun.telemetry_support import TARGET, rendered

USER_METRIC = re.compile(r'metric\.type="logging\.googleapis\.com/user/([^"]+)"')
METRIC_TYPE = re.compile(r'metric\.type="([^"]+)"')
PROMQL_METRIC = re.compile(r"\b([a-z][a-z0-9_]*:[a-z0-9_]+)")
BUILT_IN = {"run.googleapis.com/request_count"}
LABEL = re.compile(r"metric\.labels?\.([a-z_]+)")
AGGREGATIONS = {"filter": "aggregations", "denominatorFilter": "denominatorAggregations"}


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return rendered()


def strings(node: Any) -> Iterator[str]:
    """Every string inside a parsed document."""
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def filters(node: Any) -> Iterator[tuple[str, list[str]]]:
    """Every Monitoring filter in a document, with the group-by fields next to it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in AGGREGATIONS and isinstance(value, str):
                aggregations = node.get(AGGREGATIONS[key]) or [node.get("aggregation") or {}]
                yield value, [f for a in aggregations for f in a.get("groupByFields", [])]
            else:
                yield from filters(value)
    elif isinstance(node, list):
        for item in node:
            yield from filters(item)


def test_each_definition_parses_strictly_into_its_api_type(definitions: Definitions) -> None:
    assert len(definitions.policies) == 8
    assert len(definitions.metrics) == 3
    for policy in definitions.policies:
        parsed = AlertPolicy.from_json(json.dumps(policy.body))  # unknown fields raise
        assert parsed.display_name == policy.key
        assert parsed.conditions
        assert list(parsed.notification_channels) == list(TARGET.channels)
    for metric in definitions.metrics:
        assert LogMetric.from_json(json.dumps(metric.body)).name == metric.key
    board = Dashboard.from_json(json.dumps(definitions.dashboard.body))
    assert board.name == f"projects/{TARGET.project}/dashboards/{definitions.dashboard.key}"
    assert len(board.mosaic_layout.tiles) >= 5
    sink = LogSink.from_json(json.dumps(definitions.sink.body))
    assert sink.bigquery_options.use_partitioned_tables


def test_a_misspelt_field_is_refused_with_the_file_named(tmp_path: Path) -> None:
    copy = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, copy)
    policy = copy / "alerts" / "latency_p99.yaml"
    policy.write_text(policy.read_text().replace("thresholdValue:", "threshold:"))
    with pytest.raises(DefinitionError, match=r"latency_p99\.yaml: .*threshold"):
        load(TARGET.template_values(), copy)


def test_alerts_and_dashboard_chart_only_defined_metrics_and_every_one_of_them(
        definitions: Definitions) -> None:
    """Filters (`metric.type="..."`) and PromQL queries (`domain:path`) name only log-based
    metrics defined here, custom metrics described in `descriptors/` and Cloud Run's request
    count; every log-based metric is charted."""
    defined = {metric.key for metric in definitions.metrics}
    known = ({f"logging.googleapis.com/user/{name}" for name in defined} | set(descriptors())
             | BUILT_IN)
    by_promql = {promql_name(metric_type): metric_type for metric_type in known}
    charted = {m for text in strings(definitions.dashboard.body) for m in USER_METRIC.findall(text)}
    named = {policy.key: {*(m for text in strings(policy.body) for m in METRIC_TYPE.findall(text)),
                          *(by_promql.get(m, m) for text in strings(policy.body)
                            for m in PROMQL_METRIC.findall(text))}
             for policy in definitions.policies}
    assert charted == defined
    assert all(types <= known for types in named.values()), named
    alerted = {m for types in named.values() for m in types}
    assert {"logging.googleapis.com/user/ticket_urgency_prediction_latency",
            "logging.googleapis.com/user/ticket_urgency_predictions",
            "run.googleapis.com/request_count"} <= alerted
    assert len(alerted & set(descriptors())) == 3  # drift verdict and the two heartbeats


def test_every_metric_label_a_filter_uses_is_a_label_of_that_metric(
        definitions: Definitions) -> None:
    labels = {metric.key: {label["key"] for label in
                           metric.body.get("metricDescriptor", {}).get("labels", [])}
              for metric in definitions.metrics}
    documents = [definitions.dashboard.body, *(policy.body for policy in definitions.policies)]
    checked = 0
    for document in documents:
        for text, group_by in filters(document):
            for metric in USER_METRIC.findall(text):
                used = set(LABEL.findall(text)) | {f.split(".")[-1] for f in group_by
                                                    if f.startswith("metric.")}
                assert used <= labels[metric], (metric, used)
                checked += bool(used)
    assert checked >= 5


def test_every_metric_label_has_an_extractor_and_every_extractor_a_label(
        definitions: Definitions) -> None:
    for metric in definitions.metrics:
        declared = {label["key"] for label in
                    metric.body.get("metricDescriptor", {}).get("labels", [])}
        assert set(metric.body.get("labelExtractors", {})) == declared, metric.key
    predictions = next(m for m in definitions.metrics if m.key == "ticket_urgency_predictions")
    assert set(predictions.body["labelExtractors"]) == {"model_version", "variant", "urgent"}


def test_the_sink_selects_exactly_the_services_prediction_records(
        definitions: Definitions) -> None:
    body = definitions.sink.body
    assert body["destination"] == \
        f"bigquery.googleapis.com/projects/{TARGET.project}/datasets/{TARGET.dataset}"
    assert body["filter"] == (
        'resource.type="cloud_run_revision" AND resource.labels.service_name="svc-under-test" '
        'AND logName="projects/test-project-1/logs/run.googleapis.com%2Fstdout" '
        "AND (jsonPayload.record_version=1 OR jsonPayload.record_version=2)")
    readable = get_args(PredictionRecord.model_fields["record_version"].annotation)
    assert readable == (1, 2)  # every version monitoring reads, and no other
    assert {m.body["filter"] for m in definitions.metrics} == {body["filter"]}


def test_the_sink_fills_the_table_monitoring_reads() -> None:
    """Cloud Logging names a sink's BigQuery table after the log id, `/` and `.` as `_`."""
    log_id = re.search(r'logs/([^"]+)"', rendered().sink.body["filter"]).group(1)  # type: ignore[union-attr]
    table = re.sub(r"[./]", "_", log_id.replace("%2F", "/"))
    assert table == "run_googleapis_com_stdout"
    assert TelemetrySettings.model_fields["dataset"].default == "ticket_urgency_logs"


def test_only_the_target_is_templated_and_no_default_is_hard_coded(
        definitions: Definitions) -> None:
    raw = "\n".join(path.read_text() for path in sorted(DEFINITIONS.rglob("*.*")))
    assert set(re.findall(r"\$\{([A-Z_]+)\}", raw)) == {"PROJECT", "SERVICE", "DATASET",
                                                        "NOTIFICATION_CHANNELS"}
    text = json.dumps([definitions.sink.body, definitions.dashboard.body,
                       *(d.body for d in (*definitions.metrics, *definitions.policies))])
    for default in ("ml-model-480910", "ticket-urgency-api", "ticket_urgency_logs"):
        assert default not in text
    assert "${metric.labels.model_version}" in text  # chart legends are not placeholders
