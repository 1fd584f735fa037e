"""The Flask app factory: `gunicorn 'serving.app:create_app()'` (see `serving/gunicorn.conf.py`).

Creating the app validates the settings, starts the prediction-log writer and loads the model
(once, waiting at most MODEL_LOAD_WAIT_SECONDS; on failure it keeps retrying in the background
while `/ready` answers 503). `close_app` flushes the prediction log and stops retrying; gunicorn
calls it when a worker exits.
"""

from __future__ import annotations

import atexit

from flask import Flask

from serving import app_logging, errors, prefetch, request_hooks, routes
from serving.auth import KeyChecker
from serving.metrics import Metrics
from serving.model_loader import LoadedModel, ModelHolder
from serving.openapi import build_document, render_docs
from serving.prediction_log import PredictionLog, open_sink
from serving.schemas import Limits, request_models
from serving.scoring_protocol import invocations_model
from serving.service import Service
from serving.settings import ServingSettings


def create_app(settings: ServingSettings | None = None) -> Flask:
    """Build the app from `settings` (default: the environment) and load the model."""
    settings = settings or ServingSettings.load()
    app_logging.configure(settings.log_level)
    metrics = Metrics()
    models = request_models(Limits(max_title_chars=settings.max_title_chars,
                                   max_description_chars=settings.max_description_chars,
                                   max_batch_size=settings.max_batch_size))
    keys = KeyChecker(settings.api_key_bytes)
    invocations = invocations_model(models)
    document = build_document(models, invocations, keys.enabled)
    app = Flask("serving")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    docs_html = render_docs(document)
    sink, owns_sink = open_sink(settings.prediction_log, settings.prediction_log_is_directory)
    service = Service(
        settings=settings,
        holder=ModelHolder(settings.model_uri, settings.model_retry_seconds,
                           on_loaded=lambda loaded: _on_loaded(metrics, settings, loaded),
                           on_failure=metrics.load_failures.inc,
                           first_attempt=prefetch.first_attempt(settings.model_uri)),
        models=models, invocations=invocations, metrics=metrics,
        prediction_log=PredictionLog(sink, owns_sink=owns_sink, on_drop=metrics.log_dropped.inc),
        keys=keys, openapi=document, docs_html=docs_html)
    app.extensions[routes.EXTENSION] = service
    errors.register(app)
    request_hooks.install(app, metrics, settings.google_cloud_project)
    app.register_blueprint(routes.blueprint)
    service.holder.start(settings.model_load_wait_seconds)
    atexit.register(close_app, app)
    return app


def _on_loaded(metrics: Metrics, settings: ServingSettings, loaded: LoadedModel) -> None:
    identity = loaded.identity
    metrics.model_info.labels(identity.name or "", identity.version or "", identity.alias or "",
                              settings.variant).set(1)
    metrics.model_ready.set(1)


def close_app(app: Flask) -> None:
    """Stop retrying the model load and flush the prediction log (safe to call twice)."""
    service: Service = app.extensions[routes.EXTENSION]
    service.holder.stop()
    service.prediction_log.close()
