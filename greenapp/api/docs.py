"""The API's own documentation: the OpenAPI document and an HTML page made from it.

No CDN and no JavaScript: the page is rendered on the server from the same document
that /api/v1/openapi.json serves, so it passes the site's CSP (script-src 'self').
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from greenapp.permissions import public

bp = Blueprint("api_docs", __name__)

DESCRIPTION = (
    "The greenapp REST API. Authenticate with a personal access token "
    "(`Authorization: Bearer gat_...`, made on the account page). Exact numbers are "
    "decimal strings. Errors are application/problem+json (RFC 9457). POST takes an "
    "`Idempotency-Key` header. Limits apply per token (429 with Retry-After)."
)


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


def summaries() -> dict[tuple[str, str], str]:
    """What each operation does, in the reader's language (the document is English)."""
    return {
        ("GET", "/api/v1/schools"): _(
            "Schools: all of them for staff, their own for a coordinator."
        ),
        ("GET", "/api/v1/schools/{school_id}"): _("One school."),
        ("GET", "/api/v1/schools/{school_id}/meter-readings"): _(
            "A school's meter readings (its coordinator and staff)."
        ),
        ("POST", "/api/v1/meters/{meter_id}/readings"): _(
            "Enter a meter reading (the school's coordinator), with the form's checks."
        ),
        ("GET", "/api/v1/entries"): _(
            "The entries you may see, newest first, filtered and page by page."
        ),
        ("POST", "/api/v1/entries"): _(
            "Log an eco-action, with the same rules as the form. "
            "An Idempotency-Key makes a retry safe."
        ),
        ("GET", "/api/v1/entries/{log_id}"): _("One entry."),
        ("PATCH", "/api/v1/entries/{log_id}"): _(
            "Edit an entry: send the version you read; a stale one gets 409."
        ),
        ("DELETE", "/api/v1/entries/{log_id}"): _(
            "Delete an entry: it leaves the totals and stays in the audit trail."
        ),
        ("GET", "/api/v1/aggregates"): _(
            "Exact sums per period and category, as the dashboards count them."
        ),
        ("GET", "/api/v1/challenges"): _("Challenges, running and upcoming first."),
        ("GET", "/api/v1/glossary/terms"): _("Terms of the approved glossary concepts."),
        ("POST", "/api/v1/imports"): _(
            "Upload a spreadsheet (multipart file): the dry run; nothing is stored yet."
        ),
        ("GET", "/api/v1/imports/{import_batch_id}"): _(
            "One upload: its status, counts and a page of its dry run's rows."
        ),
        ("POST", "/api/v1/imports/{import_batch_id}/commit"): _(
            "Store every new row of the checked file, all or nothing."
        ),
        ("POST", "/api/v1/imports/{import_batch_id}/undo"): _(
            "Delete every entry the import stored, together."
        ),
    }


def _operation(
    spec: dict[str, Any], path: str, method: str, item: dict[str, Any], op: dict[str, Any]
) -> dict[str, Any]:
    params = []
    for p in [*item.get("parameters", []), *op.get("parameters", [])]:
        params.append(
            {
                "name": p.get("name"),
                "where": p.get("in"),
                "type": _type(p.get("schema", {})),
                "required": p.get("required"),
            }
        )
    content = op.get("requestBody", {}).get("content", {})
    where = "body" if "application/json" in content else "form"  # multipart: an upload
    body = content.get("application/json") or content.get("multipart/form-data") or {}
    schema = _resolve(spec, body.get("schema", {}))
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        params.append(
            {"name": name, "where": where, "type": _type(prop), "required": name in required}
        )
    return {
        "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
        "method": method.upper(),
        "path": path,
        "summary": summaries().get((method.upper(), path)) or op.get("summary", ""),
        "scope": op.get("x-scope", ""),
        "params": params,
        "codes": sorted(op.get("responses", {})),
    }


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
