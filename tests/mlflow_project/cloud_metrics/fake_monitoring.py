"""A local fake of Cloud Monitoring's MetricService.CreateTimeSeries over real gRPC.

Cloud Monitoring has no emulator; the writer talks to this one through the real
`MetricServiceClient` and its gRPC transport (`CLOUD_MONITORING_EMULATOR_HOST`), so the tests see
the requests exactly as they would leave for Google. It records every request and can answer
with an error status instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field

import grpc
from google.cloud.monitoring_v3 import CreateTimeSeriesRequest
from google.protobuf import empty_pb2

SERVICE = "google.monitoring.v3.MetricService"


@dataclass
class FakeMonitoring:
    """What the fake received, and the status it answers with (OK unless told)."""

    address: str = ""
    requests: list[CreateTimeSeriesRequest] = field(default_factory=list)
    failure: grpc.StatusCode | None = None

    def create_time_series(self, request: object, context: grpc.ServicerContext
                           ) -> empty_pb2.Empty:
        self.requests.append(CreateTimeSeriesRequest.wrap(request))
        if self.failure is not None:
            context.abort(self.failure, "refused by the fake")
        return empty_pb2.Empty()


@contextmanager
def fake_monitoring() -> Iterator[FakeMonitoring]:
    """A running fake on a free loopback port; `address` is its http://HOST:PORT."""
    fake = FakeMonitoring()
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "CreateTimeSeries": grpc.unary_unary_rpc_method_handler(
            fake.create_time_series,
            request_deserializer=CreateTimeSeriesRequest.pb().FromString,
            response_serializer=empty_pb2.Empty.SerializeToString)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake.address = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.stop(grace=None)
