"""The REST API /api/v1 (flask-smorest: OpenAPI 3.1 generated from the code).

`register_api(app)` attaches the API blueprint, its docs (the schema as JSON and an
HTML page made from it, both served by the app) and the token pages. See README "API".
"""

from __future__ import annotations

import copy
import http
import os
import threading
from typing import Any

from apispec import APISpec
from flask import Flask, Response, current_app, jsonify, render_template
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from greenapp.api.problems import API_PREFIX, PROBLEM
from greenapp.api.schemas import ProblemSchema

API_VERSION = "1.0.0"
METHODS = ("get", "post", "put", "patch", "delete")


class GreenApi(Api):
    """flask-smorest's Api with problem+json errors, handled by the API blueprint only
    (the HTML pages keep their own error pages)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """No app-wide handler: see register_api."""

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        """flask-smorest's init_app; the spec it made is kept as this app's own (the one
        Api object serves every app made in a process, the tests' many apps too)."""
        super().init_app(app, spec_kwargs=spec_kwargs)
        app.extensions[SPEC] = self.spec
        app.extensions[UNREGISTERED_RESPONSES] = True

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """flask-smorest's register_blueprint, with the views documented on first use
        (`openapi_document`) instead of at start-up: turning the schemas into OpenAPI was
        almost half of what building the app cost, for a document few processes serve."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._app.extensions.setdefault(UNDOCUMENTED, []).append((blp, name, parameters))

    def _register_responses(self) -> None:
        """Left to `openapi_document` too (see `register_default_responses`): resolving the
        error schema once per HTTP status was a third of what building the app cost."""

    def register_default_responses(self, spec: APISpec) -> None:
        """flask-smorest's `_register_responses` on a given app's spec: one lazily
        registered response per HTTP status (the error schema for errors) and the default
        error response, which the documented views refer to."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
        spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


SPEC = "greenapp-openapi-spec"
UNDOCUMENTED = "greenapp-openapi-undocumented"
UNREGISTERED_RESPONSES = "greenapp-openapi-responses-unregistered"
_documenting = threading.Lock()
api = GreenApi()


def register_api(app: Flask) -> None:
    """Attach /api/v1, its docs and the token pages to the app."""
    from greenapp.api import docs, imports, pages  # noqa: F401  (imports: its routes)
    from greenapp.api.routes import bp
    from greenapp.extensions import csrf, login_manager

    app.config.setdefault("API_TITLE", "greenapp API")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("API_RATELIMIT", os.environ.get("API_RATELIMIT", "300 per minute"))
    api.init_app(app, spec_kwargs={"info": {"description": docs.DESCRIPTION}})
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "A personal access token (gat_...)."},
    )
    # Bearer tokens only: a cookie request is anonymous here, so no CSRF hole (auth.py).
    csrf.exempt(bp)
    login_manager.blueprint_login_views["api_v1"] = None  # role_required -> 401, not a page
    api.register_blueprint(bp)
    app.register_blueprint(docs.bp, url_prefix=API_PREFIX)
    app.register_blueprint(pages.bp, url_prefix="/account/api-tokens")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document, with every error answered as application/problem+json."""
    cached = current_app.extensions.get("greenapp-openapi")
    if cached is not None:
        return cached
    own = current_app.extensions[SPEC]
    with _documenting:  # the blueprints' views, documented once per app (register_blueprint)
        if current_app.extensions.pop(UNREGISTERED_RESPONSES, False):
            api.register_default_responses(own)
        for blp, name, parameters in current_app.extensions.pop(UNDOCUMENTED, []):
            blp.register_views_in_doc(api, current_app, own, name=name, parameters=parameters)
            own.tag({"name": name, "description": blp.description})
        spec = copy.deepcopy(own.to_dict())
    spec["security"] = [{"bearerAuth": []}]
    spec["servers"] = [{"url": "/"}]
    components = spec.setdefault("components", {})
    for response in components.get("responses", {}).values():
        _as_problem(response)
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            for status, response in list(responses.items()):
                if status == "default" or str(status)[0] in "45":
                    _as_problem(response)
            for status, name in STANDARD_ERRORS.items():
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
            if method in ("patch", "delete"):
                responses.setdefault("409", {"$ref": "#/components/responses/CONFLICT"})
            responses.setdefault("default", {"$ref": "#/components/responses/DEFAULT_ERROR"})
            if "{" in path:
                responses.setdefault("404", {"$ref": "#/components/responses/NOT_FOUND"})
    _add_rules(spec)
    for name in (
        "UNAUTHORIZED",
        "FORBIDDEN",
        "NOT_FOUND",
        "CONFLICT",
        "TOO_MANY_REQUESTS",
        "UNPROCESSABLE_CONTENT",
        "DEFAULT_ERROR",
    ):
        components.setdefault("responses", {}).setdefault(
            name,
            {
                "description": name.replace("_", " ").capitalize(),
                "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        )
    current_app.extensions["greenapp-openapi"] = spec
    return spec


def _add_rules(spec: dict[str, Any]) -> None:
    """Each operation says which token scope and roles it needs (x-scope, x-roles)."""
    import re

    from greenapp.permissions import access_rule

    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_v1."):
            continue
        view = current_app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        item = spec.get("paths", {}).get(path, {})
        for method in rule.methods or ():
            op = item.get(method.lower())
            if op is None:
                continue
            op["x-scope"] = getattr(view, "_scope", "")
            roles = access_rule(view)
            op["x-roles"] = list(roles) if isinstance(roles, tuple) else [str(roles)]


STANDARD_ERRORS = {"401": "UNAUTHORIZED", "403": "FORBIDDEN", "429": "TOO_MANY_REQUESTS"}


def _as_problem(response: dict[str, Any]) -> None:
    content = response.get("content")
    if content and "application/json" in content:
        content[PROBLEM] = content.pop("application/json")


def spec_response() -> Response:
    """The document as JSON."""
    return jsonify(openapi_document())


__all__ = ["api", "openapi_document", "register_api", "render_template", "spec_response"]
