"""The API's own documentation: the OpenAPI document and an HTML page made from it.

No CDN and no JavaScript: the page is rendered on the server from the same document
that /api/v1/openapi.json serves, so it passes the site's CSP (script-src 'self').
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from greenapp.permissions import public

bp = Blueprint("api_docs", __name__)

DESCRIPTION = (
    "The greenapp REST API. Authenticate with a personal access token "
    "(`Authorization: Bearer gat_...`, made on the account page). Exact numbers are "
    "decimal strings. Errors are application/problem+json (RFC 9457). POST takes an "
    "`Idempotency-Key` header. Limits apply per token (429 with Retry-After).")


@bp.route("/openapi.json")
@public
def openapi_json():
    """The OpenAPI 3.1 document, generated from the code."""
    from greenapp.api import spec_response

    return spec_response()


@bp.route("/docs")
@public
def docs():
    """The operations of the API, read from the OpenAPI document."""
    from greenapp.api import API_VERSION, METHODS, openapi_document

    spec = openapi_document()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is not None:
                operations.append(_operation(spec, path, method, item, op))
    return render_template("api/docs.html", operations=operations, version=API_VERSION)


def _operation(spec: dict[str, Any], path: str, method: str, item: dict[str, Any],
               op: dict[str, Any]) -> dict[str, Any]:
    params = []
    for p in [*item.get("parameters", []), *op.get("parameters", [])]:
        params.append({"name": p.get("name"), "where": p.get("in"),
                       "type": _type(p.get("schema", {})), "required": p.get("required")})
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = _resolve(spec, body.get("schema", {}))
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        params.append({"name": name, "where": "body", "type": _type(prop),
                       "required": name in required})
    return {"id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
            "method": method.upper(), "path": path,
            "summary": op.get("summary") or op.get("description", ""),
            "scope": op.get("x-scope", ""), "params": params,
            "codes": sorted(op.get("responses", {}))}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return spec["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
    return schema


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    fmt = schema.get("format")
    enum = schema.get("enum")
    text = f"{kind} ({fmt})" if fmt else str(kind)
    if enum:
        text += ": " + ", ".join(str(e) for e in enum)
    return text
