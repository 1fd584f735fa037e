"""The points a job reports, and the `monitoring_v3.TimeSeries` Cloud Monitoring takes for them.

A `Point` is plain data (metric type, labels, value, time), so a job's points are built by pure
code and written to every output alike: `summary.json` locally, Cloud Monitoring when enabled.
The value's Python type decides the series' value type: `int` INT64 (counts, 0/1 verdicts),
`float` DOUBLE (p-values, statistics, rates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from google.api import metric_pb2
from google.cloud.monitoring_v3 import Point as SeriesPoint
from google.cloud.monitoring_v3 import TimeInterval, TimeSeries, TypedValue

from mlflow_project.cloud_metrics.names import RESOURCE_TYPE


@dataclass(frozen=True)
class Point:
    """One value of one gauge metric at `end_time` (an aware datetime)."""

    metric_type: str
    value: int | float
    end_time: datetime
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.value, bool):  # a bool is an int to Python, not to the descriptors
            raise TypeError(f"{self.metric_type}: give a verdict as 0/1, not {self.value}")

    @property
    def value_type(self) -> str:
        """`INT64` or `DOUBLE`, from the value's Python type."""
        return "INT64" if isinstance(self.value, int) else "DOUBLE"

    def as_json(self) -> dict[str, Any]:
        """The point as JSON (the local outputs carry exactly what Cloud Monitoring would get)."""
        return {"type": self.metric_type, "labels": dict(self.labels),
                "value_type": self.value_type, "value": self.value,
                "end_time": self.end_time.isoformat()}


def time_series(points: Sequence[Point], project: str) -> list[TimeSeries]:
    """One GAUGE TimeSeries per point, on the `global` resource of `project`."""
    return [TimeSeries(
        metric={"type": point.metric_type, "labels": dict(point.labels)},
        resource={"type": RESOURCE_TYPE, "labels": {"project_id": project}},
        metric_kind=metric_pb2.MetricDescriptor.MetricKind.GAUGE,
        value_type=getattr(metric_pb2.MetricDescriptor.ValueType, point.value_type),
        points=[SeriesPoint(interval=TimeInterval(end_time=point.end_time),
                            value=_typed(point))],
    ) for point in points]


def _typed(point: Point) -> TypedValue:
    if point.value_type == "INT64":
        return TypedValue(int64_value=point.value)
    return TypedValue(double_value=point.value)
