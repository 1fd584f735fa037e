"""The API types of the telemetry's resources, each as its protobuf message.

The definitions are validated by parsing into these types, and a definition is compared with what
`describe`/`list` returned through them, so that spellings the API treats as equal (`60s` and
`60.000s`, an enum left at its default and one spelt out) compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud.logging_v2.types import LogMetric, LogSink
from google.cloud.monitoring_dashboard_v1 import Dashboard
from google.cloud.monitoring_v3 import AlertPolicy
from google.protobuf.message import Message


@dataclass(frozen=True)
class Kind:
    """A resource type: its name in messages and its protobuf message class."""

    title: str
    message_class: type[Message]

    def message(self) -> Message:
        """An empty message of this type."""
        return self.message_class()


LOG_SINK = Kind("log sink", LogSink.pb())
LOG_METRIC = Kind("log-based metric", LogMetric.pb())
ALERT_POLICY = Kind("alert policy", AlertPolicy.pb())
DASHBOARD = Kind("dashboard", Dashboard.pb())
