# ruff: noqa: N999 - gunicorn looks for this conventional file name
"""gunicorn settings for the prediction service: `gunicorn -c serving/gunicorn.conf.py`.

Follows Cloud Run's guidance: one worker process per container (scale out with instances, not
workers), threads for concurrency (`gthread`, as `serving.worker.BufferingWorker`: a thread only
ever sees a complete request, so slow clients cannot hold the threads), no worker timeout (Cloud
Run enforces the request timeout itself; CLIENT_TIMEOUT_SECONDS bounds how long a client may take
to send a request) and a graceful stop shorter than the 10 s Cloud Run waits after SIGTERM. The
settings come from the same validated environment as the app (`serving.settings`); a bad value
stops gunicorn before it binds, with one line per bad variable.

The model is loaded in each worker after fork (no `preload_app`): the loader's retry thread and
the prediction-log thread must live in the process that serves. A `models:/` MODEL_URI is resolved
and downloaded once, by a helper process the master starts (`serving.prefetch`), so the workers
load one version, without importing MLflow. With GUNICORN_WORKERS > 1,
Prometheus multi-process mode is switched on so /metrics adds up every worker.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

from contracts.settings import SettingsError
from serving.open_files import FILES_PER_WORKER, OpenFilesError, raise_open_files_limit
from serving.settings import ServingSettings

try:
    _settings = ServingSettings.load()
except SettingsError as exc:
    print(exc, file=sys.stderr, flush=True)
    raise SystemExit(2) from None
try:  # every connection is a descriptor: a worker must be able to hold MAX_CONNECTIONS of them
    raise_open_files_limit(_settings.max_connections + FILES_PER_WORKER)
except OpenFilesError as exc:
    print(exc, file=sys.stderr, flush=True)
    raise SystemExit(2) from None

wsgi_app = "serving.app:create_app()"
bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.gunicorn_workers
threads = _settings.gunicorn_threads
worker_class = "serving.worker.BufferingWorker"
timeout = 0
graceful_timeout = _settings.graceful_timeout_seconds
keepalive = _settings.keepalive_seconds  # idle connections close after this (serving.worker)
worker_connections = _settings.max_connections  # idle ones beyond it are closed, oldest first
accesslog = None  # Cloud Run logs every request; the app exports request metrics
errorlog = "-"
loglevel = _settings.log_level.lower()
control_socket_disable = True  # no runtime control channel in a container
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeat off the disk


def on_starting(server: Any) -> None:
    """Before gunicorn binds: refuse a busy HOST:PORT in one line, exit 2 (gunicorn itself
    would retry for 5 s and print its own trace); start resolving a `models:/` MODEL_URI in a
    helper process while gunicorn boots (`serving.prefetch`); give several workers a shared,
    empty metrics folder. Listeners handed over by a re-exec (USR2) or systemd are not probed."""
    from contracts.ports import PortBusy, require_free

    if not server.LISTENERS and not {"GUNICORN_FD", "LISTEN_FDS"} & set(os.environ):
        try:
            require_free(_settings.host, _settings.port)
        except PortBusy as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
    from serving import prefetch

    try:
        prefetch.start(_settings.model_uri)
    except OSError as exc:  # then each worker resolves the URI itself, as without the helper
        server.log.warning("cannot start the model prefetch helper: %s", exc)
    if workers > 1:
        folder = tempfile.mkdtemp(prefix="serving-prometheus-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        server.log.info("prometheus multi-process mode: %s", folder)


def when_ready(server: Any) -> None:
    """Before any worker forks: files the service creates are 0640, folders 0750 (workers
    inherit the umask; `contracts.file_modes`)."""
    from contracts.file_modes import restrict_new_files

    restrict_new_files()


def child_exit(server: Any, worker: Any) -> None:
    """In the master, when a worker died: drop its live gauges."""
    from serving.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


def worker_exit(server: Any, worker: Any) -> None:
    """In the worker, as it exits: flush the prediction log (nothing queued is lost)."""
    from serving.app import close_app

    if worker.wsgi is not None:
        close_app(worker.wsgi)


def on_exit(server: Any) -> None:
    """When gunicorn stops: end the prefetch helper and remove its folder, and the metrics
    folder of multi-process mode."""
    from serving import prefetch

    started = prefetch.started_for(_settings.model_uri)
    if started is not None:
        prefetch.stop(started)
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if workers > 1 and folder:
        shutil.rmtree(folder, ignore_errors=True)
