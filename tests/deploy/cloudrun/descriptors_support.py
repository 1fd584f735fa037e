"""The custom metric descriptors (`definitions/descriptors/*.yaml`), read and parsed strictly
into `google.api.MetricDescriptor` by the tests themselves, and PromQL's names for metric types.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from google.api import metric_pb2
from google.cloud.monitoring_v3 import TimeSeries, TypedValue
from google.protobuf import json_format

from deploy.cloudrun.telemetry.definitions import DEFINITIONS
from deploy.cloudrun.templates import render
from tests.deploy.cloudrun.telemetry_support import TARGET

DESCRIPTORS = DEFINITIONS / "descriptors"


def descriptors(root: Path = DESCRIPTORS) -> dict[str, metric_pb2.MetricDescriptor]:
    """Every descriptor file, rendered for `TARGET`, by metric type; unknown fields raise."""
    parsed = {}
    for path in sorted(root.glob("*.yaml")):
        body = render(yaml.safe_load(path.read_text(encoding="utf-8")),
                      TARGET.template_values())
        descriptor = json_format.ParseDict(body, metric_pb2.MetricDescriptor())
        assert descriptor.type not in parsed, f"{path}: {descriptor.type} described twice"
        parsed[descriptor.type] = descriptor
    return parsed


def promql_name(metric_type: str) -> str:
    """Cloud Monitoring's PromQL name of a metric type: the first `/` becomes `:`, every other
    character PromQL does not allow in names (`.`, `/`, ...) `_`."""
    domain, path = metric_type.split("/", 1)
    return f"{re.sub(r'[^A-Za-z0-9_]', '_', domain)}:{re.sub(r'[^A-Za-z0-9_]', '_', path)}"


def mismatches(series: TimeSeries, known: dict[str, metric_pb2.MetricDescriptor]) -> list[str]:
    """How `series` differs from its metric's descriptor (type, kind, value type, label keys,
    one point with a value of that type); empty when it matches."""
    descriptor = known.get(series.metric.type)
    if descriptor is None:
        return [f"{series.metric.type} has no descriptor"]
    problems = []
    if series.metric_kind != descriptor.metric_kind:
        problems.append(f"kind {series.metric_kind} != {descriptor.metric_kind}")
    if series.value_type != descriptor.value_type:
        problems.append(f"value type {series.value_type} != {descriptor.value_type}")
    if set(series.metric.labels) != {label.key for label in descriptor.labels}:
        problems.append(f"labels {sorted(series.metric.labels)}")
    value_field = {metric_pb2.MetricDescriptor.ValueType.INT64: "int64_value",
                   metric_pb2.MetricDescriptor.ValueType.DOUBLE: "double_value"}
    kinds = [TypedValue.pb(point.value).WhichOneof("value") for point in series.points]
    if kinds != [value_field.get(descriptor.value_type)]:
        problems.append(f"points {kinds}")
    return problems
