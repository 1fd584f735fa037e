"""The HTTP endpoints. Each handler does one thing and leaves checks to `serving.service`."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file
from pydantic import BaseModel
from pydantic_core import to_json

from serving.errors import ApiError
from serving.model_loader import LoadedModel, describe
from serving.openapi import docs_asset
from serving.predictions import score
from serving.schemas import (
    ErrorDetail,
    HealthResponse,
    MetadataResponse,
    ReadyResponse,
)
from serving.scoring_protocol import model_outputs
from serving.service import Service, explain_flag

EXTENSION = "serving"
ASSET_MAX_AGE_SECONDS = 86_400  # the assets change only with the pinned package
blueprint = Blueprint("serving", __name__)


def service() -> Service:
    """The app's `Service` (set up by `create_app`)."""
    return cast(Service, current_app.extensions[EXTENSION])


def json_response(body: BaseModel, status: int = 200) -> Response:
    """Serialise a response model (pydantic's serialiser is the documented schema)."""
    return Response(body.model_dump_json(), status, mimetype="application/json")


def json_dict_response(body: dict[str, object]) -> Response:
    """A 200 from a dict shaped like a response model (the prediction hot path)."""
    return Response(to_json(body), 200, mimetype="application/json")


def model_fields(svc: Service, loaded: LoadedModel) -> dict[str, object]:
    """The attribution every prediction response carries (`serving.schemas.ModelFields`)."""
    identity = loaded.identity
    return {"request_id": g.request_id, "model_name": identity.name,
            "model_version": identity.version, "variant": svc.settings.variant,
            "threshold": loaded.threshold}


@blueprint.get("/health")
def health() -> Response:
    """Liveness: answers while the process runs, model or not."""
    return json_response(HealthResponse(status="ok"))


@blueprint.get("/ready")
@blueprint.get("/ping")  # MLflow's scoring server's name for it
def ready() -> Response:
    """Readiness: 200 with the version once a model is loaded, else 503 with the reason."""
    holder = service().holder
    loaded = holder.current
    if loaded is None:
        return json_response(ReadyResponse(status="not ready", reason=holder.reason), 503)
    return json_response(ReadyResponse(status="ready", model_version=loaded.identity.version))


@blueprint.get("/metadata")
def metadata() -> Response:
    """Exactly what is served: registry name/version/run, alias, threshold, input schema."""
    svc = service()
    loaded = svc.holder.current
    if loaded is None:
        raise ApiError(503, "model not loaded", [ErrorDetail(field="model",
                                                             rule=svc.holder.reason)])
    limits = svc.models.limits
    return json_response(MetadataResponse.model_validate({
        **describe(loaded), "variant": svc.settings.variant,
        "input_schema": svc.openapi["components"]["schemas"][svc.models.ticket.__name__],
        "limits": {"max_title_chars": limits.max_title_chars,
                   "max_description_chars": limits.max_description_chars,
                   "max_batch_size": limits.max_batch_size,
                   "max_body_bytes": svc.settings.max_body_bytes}}))


@blueprint.post("/predict")
def predict() -> Response:
    """Score one ticket."""
    svc = service()
    loaded = svc.admit(request)
    ticket = svc.parse(request, svc.models.ticket)
    predictions = score(loaded, [ticket], explain_flag(request))
    svc.record(loaded, [ticket], predictions, "/predict")
    return json_dict_response({**model_fields(svc, loaded), **predictions[0]})


@blueprint.post("/predict/batch")
def predict_batch() -> Response:
    """Score several tickets; predictions come back in request order."""
    svc = service()
    loaded = svc.admit(request)
    batch = svc.parse(request, svc.models.batch)
    tickets = list(batch.tickets)
    predictions = score(loaded, tickets, explain_flag(request))
    svc.record(loaded, tickets, predictions, "/predict/batch")
    return json_dict_response({**model_fields(svc, loaded), "predictions": predictions})


@blueprint.post("/invocations")
def invocations() -> Response:
    """MLflow's scoring protocol (`serving.scoring_protocol`): the checks, log and metrics of
    /predict/batch, MLflow's request and response shapes."""
    svc = service()
    loaded = svc.admit(request)
    tickets = svc.parse(request, svc.invocations).tickets()
    predictions = score(loaded, tickets, explain=False)
    svc.record(loaded, tickets, predictions, "/invocations")
    return json_dict_response({**model_fields(svc, loaded),
                               "predictions": model_outputs(predictions)})


@blueprint.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition (summed over workers when there are several)."""
    body, content_type = service().metrics.exposition()
    return Response(body, 200, content_type=content_type)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this server (its limits, its auth setting)."""
    return jsonify(service().openapi)


@blueprint.get("/docs")
def docs() -> Response:
    """The interactive API docs (Swagger UI on /openapi.json)."""
    return Response(service().docs_html, 200, mimetype="text/html")


@blueprint.get("/docs/assets/<name>")
def docs_assets(name: str) -> Response:
    """Swagger UI's script and stylesheet, from the pinned package (no CDN)."""
    path = docs_asset(name)
    if path is None:
        raise ApiError(404, "not found", [ErrorDetail(field="path", rule="no such docs asset")])
    return send_file(path, max_age=ASSET_MAX_AGE_SECONDS)
