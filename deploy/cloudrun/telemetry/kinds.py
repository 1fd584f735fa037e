"""The API types of the telemetry's resources, each as its client library's message class.

The definitions are validated by parsing into these types, sent as them, and compared with what
the API returned as them, so that spellings the API treats as equal (`60s` and `60.000s`, an enum
left at its default and one spelt out) compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.api.metric_pb2 import MetricDescriptor
from google.cloud.logging_v2.types import LogMetric, LogSink
from google.cloud.monitoring_dashboard_v1 import Dashboard
from google.cloud.monitoring_v3 import AlertPolicy
from google.protobuf.message import Message
from proto import Message as TypedMessage


@dataclass(frozen=True)
class Kind:
    """A resource type: its name in messages and its client library's message class (a
    proto-plus class, or plain protobuf where the library uses that, as for MetricDescriptor)."""

    title: str
    typed_class: type[TypedMessage] | type[Message]

    def message(self) -> Message:
        """An empty protobuf message of this type (what JSON is parsed into)."""
        if issubclass(self.typed_class, TypedMessage):
            return self.typed_class.pb()()
        return self.typed_class()

    def typed(self, message: Message) -> TypedMessage | Message:
        """`message` as the client library's type (what requests carry)."""
        if issubclass(self.typed_class, TypedMessage):
            return self.typed_class.wrap(message)
        return message


LOG_SINK = Kind("log sink", LogSink)
LOG_METRIC = Kind("log-based metric", LogMetric)
ALERT_POLICY = Kind("alert policy", AlertPolicy)
DASHBOARD = Kind("dashboard", Dashboard)
METRIC_DESCRIPTOR = Kind("metric descriptor", MetricDescriptor)
