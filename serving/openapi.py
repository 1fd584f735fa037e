"""The OpenAPI 3.1 document (`/openapi.json`) and a self-contained docs page (`/docs`).

Schemas come from the pydantic models in `serving.schemas` (the ones that validate requests and
serialise responses), with the limits and the security scheme of this server's settings.
"""

from __future__ import annotations

import json
from typing import Any

from flask import render_template_string
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

REF = "#/components/schemas/{model}"
REQUEST_ID = "X-Request-ID"
JSON = "application/json"
API_VERSION = "1.0.0"


def build_document(models: RequestModels, auth_enabled: bool) -> dict[str, Any]:
    """The whole OpenAPI document for these request models and this auth setting."""
    schemas = _component_schemas(models)
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
            "/health": {"get": _get("Liveness: the process answers",
                                    {"200": _json("alive", "HealthResponse")})},
            "/ready": {"get": _get("Readiness: 200 once the model is loaded", {
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
            "/docs": {"get": _get("Human-readable API docs", {"200": {
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


def _component_schemas(models: RequestModels) -> dict[str, Any]:
    entries: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (models.ticket, "validation"), (models.batch, "validation"),
        (PredictionResponse, "serialization"), (BatchPredictionResponse, "serialization"),
        (ErrorResponse, "serialization"), (HealthResponse, "serialization"),
        (ReadyResponse, "serialization"), (MetadataResponse, "serialization")]
    _, top = models_json_schema(entries, ref_template=REF)
    definitions: dict[str, Any] = top["$defs"]
    return definitions


def _predict_operation(summary: str, body: str, response: str,
                       auth_enabled: bool) -> dict[str, Any]:
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
            {"name": "explain", "in": "query", "required": False,
             "description": "true: also return the terms that raised the score most",
             "schema": {"type": "boolean", "default": False}},
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


DOCS_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ doc.info.title }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.3rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.method{font-weight:bold;text-transform:uppercase;color:#fff;background:#2a6;padding:.1rem .5rem;
border-radius:4px}.post{background:#26a}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
</style></head><body>
<h1>{{ doc.info.title }} <small>v{{ doc.info.version }}</small></h1>
<p>{{ doc.info.description }}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a>.</p>
{% for path, methods in doc.paths.items() %}{% for method, op in methods.items() %}
<div class="op"><h2><span class="method {{ method }}">{{ method }}</span> <code>{{ path }}</code>
</h2><p>{{ op.summary }}</p>
{% if op.security %}<p>Requires <code>Authorization: Bearer &lt;key&gt;</code> or
<code>X-API-Key: &lt;key&gt;</code>.</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p.in }}</td>
<td>{{ p.description }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.requestBody %}<h3>Request body</h3>
<pre>{{ schema(op.requestBody.content['application/json'].schema) }}</pre>{% endif %}
<h3>Responses</h3><table><tr><th>status</th><th>meaning</th></tr>
{% for code, r in op.responses.items() %}<tr><td>{{ code }}</td><td>{{ r.description }}</td>
</tr>{% endfor %}</table></div>
{% endfor %}{% endfor %}
<h2>Schemas</h2>
{% for name, s in doc.components.schemas.items() %}<h3 id="{{ name }}">{{ name }}</h3>
<pre>{{ pretty(s) }}</pre>{% endfor %}
</body></html>"""


def render_docs(document: dict[str, Any]) -> str:
    """The docs page: every operation, its parameters, body schema, responses, and all schemas.

    Self-contained (no scripts or CDN assets), rendered from the same document as /openapi.json.
    """
    schemas = document["components"]["schemas"]

    def schema(reference: dict[str, Any]) -> str:
        return pretty(schemas[reference["$ref"].rsplit("/", 1)[-1]])

    return render_template_string(DOCS_TEMPLATE, doc=document, schema=schema, pretty=pretty)


def pretty(value: object) -> str:
    """Indented JSON for the docs page."""
    return json.dumps(value, indent=2, ensure_ascii=False)
