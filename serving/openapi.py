"""The OpenAPI 3.1 document (`/openapi.json`) and its interactive page (`/docs`, Swagger UI).

Schemas come from the pydantic models in `serving.schemas` (the ones that validate requests and
serialise responses), with the limits and the security scheme of this server's settings.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from serving.schemas import (
    BatchPredictionResponse,
    ErrorResponse,
    HealthResponse,
    MetadataResponse,
    PredictionResponse,
    ReadyResponse,
    RequestModels,
)
from serving.scoring_protocol import InvocationsBase, InvocationsResponse

REF = "#/components/schemas/{model}"
REQUEST_ID = "X-Request-ID"
JSON = "application/json"
API_VERSION = "1.0.0"


def build_document(models: RequestModels, invocations: type[InvocationsBase],
                   auth_enabled: bool) -> dict[str, Any]:
    """The whole OpenAPI document for these request models and this auth setting."""
    schemas = _component_schemas(models, invocations)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ticket urgency prediction service",
            "version": API_VERSION,
            "description": "Scores support tickets for urgency with the MLflow model this server "
                           "loaded at start-up (see /metadata). Every response carries "
                           f"{REQUEST_ID}.",
        },
        "paths": {
            "/predict": {"post": _predict_operation(
                "Score one ticket", models.ticket.__name__, "PredictionResponse", auth_enabled)},
            "/predict/batch": {"post": _predict_operation(
                f"Score up to {models.limits.max_batch_size} tickets", models.batch.__name__,
                "BatchPredictionResponse", auth_enabled)},
            "/invocations": {"post": _predict_operation(
                "MLflow's scoring protocol: exactly one of dataframe_split, dataframe_records, "
                f"instances (up to {models.limits.max_batch_size} rows, each a ticket); answers "
                "MLflow's {\"predictions\": [...]}", invocations.__name__,
                "InvocationsResponse", auth_enabled, explain=False)},
            "/health": {"get": _get("Liveness: the process answers",
                                    {"200": _json("alive", "HealthResponse")})},
            "/ready": {"get": _get("Readiness: 200 once the model is loaded", {
                "200": _json("model loaded", "ReadyResponse"),
                "503": _json("no model (yet): see reason", "ReadyResponse")})},
            "/ping": {"get": _get("The same as /ready (MLflow's scoring server's name)", {
                "200": _json("model loaded", "ReadyResponse"),
                "503": _json("no model (yet): see reason", "ReadyResponse")})},
            "/metadata": {"get": _get("The model served: name, version, alias, threshold", {
                "200": _json("model loaded", "MetadataResponse"),
                "503": _json("no model loaded", "ErrorResponse")})},
            "/metrics": {"get": _get("Prometheus metrics", {"200": {
                "description": "text exposition format",
                "headers": _request_id_header(),
                "content": {"text/plain": {"schema": {"type": "string"}}}}})},
            "/openapi.json": {"get": _get("This document", {"200": {
                "description": "OpenAPI 3.1", "headers": _request_id_header(),
                "content": {JSON: {"schema": {"type": "object"}}}}})},
            "/docs": {"get": _get("Interactive API docs (Swagger UI)", {"200": {
                "description": "HTML page", "headers": _request_id_header(),
                "content": {"text/html": {"schema": {"type": "string"}}}}})},
        },
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "Authorization: Bearer <one of API_KEYS>"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                       "description": "X-API-Key: <one of API_KEYS>"},
        }},
    }


def _component_schemas(models: RequestModels,
                       invocations: type[InvocationsBase]) -> dict[str, Any]:
    entries: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (models.ticket, "validation"), (models.batch, "validation"),
        (invocations, "validation"), (InvocationsResponse, "serialization"),
        (PredictionResponse, "serialization"), (BatchPredictionResponse, "serialization"),
        (ErrorResponse, "serialization"), (HealthResponse, "serialization"),
        (ReadyResponse, "serialization"), (MetadataResponse, "serialization")]
    _, top = models_json_schema(entries, ref_template=REF)
    definitions: dict[str, Any] = top["$defs"]
    return definitions


def _predict_operation(summary: str, body: str, response: str, auth_enabled: bool, *,
                       explain: bool = True) -> dict[str, Any]:
    errors = {
        "400": "malformed JSON",
        "413": "body larger than MAX_BODY_BYTES, or more tickets than MAX_BATCH_SIZE",
        "415": "Content-Type is not application/json",
        "422": "a field breaks a rule: details name the field and the rule",
        "503": "no model loaded yet",
    }
    if auth_enabled:
        errors["401"] = "missing or unknown API key"
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [
            *([{"name": "explain", "in": "query", "required": False,
                "description": "true: also return the terms that raised the score most",
                "schema": {"type": "boolean", "default": False}}] if explain else []),
            {"name": REQUEST_ID, "in": "header", "required": False,
             "description": "echoed back; a value outside [A-Za-z0-9._:-]{1,128} is replaced "
                            "by a generated id",
             "schema": {"type": "string"}},
        ],
        "requestBody": {"required": True, "content": {JSON: {
            "schema": {"$ref": REF.format(model=body)}}}},
        "responses": {"200": _json("scored", response),
                      **{code: _json(text, "ErrorResponse") for code, text in errors.items()}},
    }
    if auth_enabled:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
    return operation


def _get(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "responses": responses}


def _json(description: str, model: str) -> dict[str, Any]:
    return {"description": description, "headers": _request_id_header(),
            "content": {JSON: {"schema": {"$ref": REF.format(model=model)}}}}


def _request_id_header() -> dict[str, Any]:
    return {REQUEST_ID: {"required": True, "description": "the request's id (yours or generated)",
                         "schema": {"type": "string"}}}


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  tryItOutEnabled: true, displayRequestDuration: true}});
</script></body></html>"""
DOCS_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})


def render_docs(document: dict[str, Any]) -> str:
    """The docs page: Swagger UI on this server's /openapi.json, with "Try it out" and the
    Authorize button for the API key. Its script and stylesheet are served by this app
    (`docs_asset`), from the pinned `swagger-ui-py` package: no CDN."""
    return DOCS_PAGE.format(title=html.escape(document["info"]["title"]))


def docs_asset(name: str) -> Path | None:
    """The Swagger UI file `name` (one of `DOCS_ASSETS`), or None for any other name.

    Found without importing `swagger_ui` (its package imports web-framework glue we do not use).
    """
    if name not in DOCS_ASSETS:
        return None
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), "static", name)
