"""Errors under /api/v1 as application/problem+json (RFC 9457), in the reader's language.

Every refusal the API gives - a missing or bad token (401), a missing role or scope (403),
an unknown address (404), a wrong method (405), a stale version (409), a limit (429),
input that breaks a rule (422, with the reason per field) - is one JSON object:

    {"type": "about:blank", "title": "...", "status": 422, "detail": "...",
     "errors": {"quantity": ["..."]}}
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

PROBLEM = "application/problem+json"
API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    """True for any request under /api/v1 (routed or not)."""
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def titles() -> dict[int, str]:
    """Short titles of the statuses the API answers, in the reader's language."""
    return {
        400: _("The request could not be read"),
        401: _("A valid access token is needed"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("This method is not allowed here"),
        406: _("This format cannot be answered"),
        409: _("The entry changed in the meantime"),
        412: _("The entry changed in the meantime"),
        413: _("The request is too large"),
        415: _("Send the body as JSON"),
        422: _("Some values are not valid"),
        428: _("A version is needed"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
    }


def problem(
    status: int,
    detail: str = "",
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": titles().get(status, _("The request failed")),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="greenapp"'
    return resp


def from_http_exception(error: HTTPException) -> Response:
    """Turn any HTTP error (abort, routing, Flask-Limiter, webargs) into a problem."""
    status = error.code or 500
    if status >= 500:  # the request's transaction may be what failed: start clean
        from greenapp.extensions import db

        db.session.rollback()
    headers: dict[str, str] = {}
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(int(retry))
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if status in (400, 422) and messages:
        return problem(
            422, _("Some values are not valid; see errors."), errors=field_errors(messages)
        )
    detail = DETAILS.get(status)
    return problem(status, detail() if detail else "", headers=headers)


DETAILS = {
    401: lambda: _("Send a personal access token: Authorization: Bearer gat_..."),
    403: lambda: _("Your role or this token's scopes do not allow this."),
    404: lambda: _("There is nothing here, or you may not see it."),
    405: lambda: _("See the API documentation for the methods this address takes."),
    429: lambda: _("This token sent too many requests; wait and try again."),
}


def field_errors(messages: Any) -> dict[str, list[str]]:
    """webargs/marshmallow messages ({location: {field: [msg]}}) per field, translated."""
    out: dict[str, list[str]] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                name = str(key)
                if name in ("json", "query", "form", "headers", "path") and not prefix:
                    walk(value, "")
                else:
                    walk(value, f"{prefix}.{name}" if prefix else name)
        elif isinstance(node, list | tuple):
            for item in node:
                if isinstance(item, dict | list | tuple):
                    walk(item, prefix)
                else:
                    out.setdefault(prefix or "_schema", []).append(translate(str(item)))
        else:
            out.setdefault(prefix or "_schema", []).append(translate(str(node)))

    walk(messages, "")
    return out


# marshmallow's English messages, and what the reader is told instead.
_EXACT = {
    "Missing data for required field.": lambda: _("This field is required."),
    "Field may not be null.": lambda: _("This field is required."),
    "Unknown field.": lambda: _("This field is not part of this request."),
    "Not a valid integer.": lambda: _("Enter a whole number."),
    "Not a valid string.": lambda: _("Enter text."),
    "Not a valid boolean.": lambda: _("Enter true or false."),
    "Not a valid date.": lambda: _("Enter a date as YYYY-MM-DD."),
    "Invalid input type.": lambda: _("This value has the wrong type."),
    "Invalid input.": lambda: _("This value is not valid."),
    "Invalid value.": lambda: _("This value is not valid."),
    "Shorter than minimum length 1.": lambda: _("This field is required."),
    # the only pattern of the API: exact decimals (schemas.DECIMAL_IN)
    "String does not match expected pattern.": lambda: _(
        "Write the number with a decimal point and no spaces, e.g. 12.5."
    ),
}
_ONE_OF = re.compile(r"^Must be one of: (.*)\.$")
_RANGE = re.compile(
    r"^Must be (?:greater than or equal to (\S+))?(?: and )?"
    r"(?:less than or equal to (\S+))?\.$"
)
_LENGTH = re.compile(
    r"^(?:Longer than maximum length (\d+)|Length must be between \d+ and (\d+))\.$"
)


def translate(message: str) -> str:
    """One marshmallow message in the reader's language (unknown ones: a generic one)."""
    exact = _EXACT.get(message)
    if exact:
        return exact()
    m = _ONE_OF.match(message)
    if m:
        return _("Choose one of: %(choices)s.", choices=m.group(1))
    m = _LENGTH.match(message)
    if m:
        return _("At most %(n)s characters.", n=m.group(1) or m.group(2))
    m = _RANGE.match(message)
    if m and (m.group(1) or m.group(2)):
        if m.group(1) and m.group(2):
            return _("Enter a number from %(low)s to %(high)s.", low=m.group(1), high=m.group(2))
        if m.group(1):
            return _("Enter a number of at least %(low)s.", low=m.group(1))
        return _("Enter a number of at most %(high)s.", high=m.group(2))
    return _("This value is not valid.")
