"""Prometheus metrics of the service (`GET /metrics`), correct with one worker or several.

One worker per container is the Cloud Run norm and the default; then the metrics live in this
process. With `GUNICORN_WORKERS` > 1, `serving/gunicorn.conf.py` sets `PROMETHEUS_MULTIPROC_DIR`
before any worker starts, prometheus-client then keeps every worker's values in files there, and a
scrape (answered by whichever worker gets it) adds them all up. Process metrics (memory, CPU) are
only exported in single-process mode, where they describe the one process that serves.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "ticket_urgency"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))
LABELS = ("not_urgent", "urgent")

disable_created_metrics()  # `*_created` series add nothing a scraper needs


def multiprocess_enabled() -> bool:
    """Whether prometheus-client aggregates several worker processes."""
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    """Every metric the service exports, registered in a registry of its own."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_enabled()
        self.registry = CollectorRegistry()
        if not self.multiprocess:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.requests = Counter(f"{PREFIX}_http_requests", "HTTP requests answered",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram(f"{PREFIX}_http_request_duration_seconds",
                                 "Time from request received to response ready", ["endpoint"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.predictions = Counter(f"{PREFIX}_predictions", "Tickets scored, by predicted label",
                                   ["label", "model_version", "variant"],
                                   registry=self.registry)
        self.scores = Histogram(f"{PREFIX}_prediction_score", "Urgency probabilities returned",
                                ["model_version", "variant"], buckets=SCORE_BUCKETS,
                                registry=self.registry)
        self.model_info = Gauge(f"{PREFIX}_model_info", "The model served (value always 1)",
                                ["model_name", "model_version", "alias", "variant"],
                                registry=self.registry, multiprocess_mode="livemax")
        self.model_ready = Gauge(f"{PREFIX}_model_ready",
                                 "1 when every live worker has its model loaded, else 0",
                                 registry=self.registry, multiprocess_mode="livemin")
        self.load_failures = Counter(f"{PREFIX}_model_load_failures",
                                     "Failed attempts to load the model",
                                     registry=self.registry)
        self.log_dropped = Counter(f"{PREFIX}_prediction_log_dropped",
                                   "Prediction records dropped because the log queue was full",
                                   registry=self.registry)

    def exposition(self) -> tuple[bytes, str]:
        """The scrape body and its content type, summed over workers in multi-process mode."""
        if not self.multiprocess:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_worker_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (called by gunicorn's `child_exit` hook)."""
    if multiprocess_enabled():
        prometheus_multiprocess.mark_process_dead(pid)
