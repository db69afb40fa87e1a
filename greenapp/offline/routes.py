"""The installable web app: /manifest.webmanifest and the service worker /sw.js.

The service worker (templates/offline/sw.js) must be served from the root so that its
scope covers the whole site. Its cache name is derived from the hashed URLs of the
static files it keeps (greenapp/assets.py), so a deploy that changes any of them
changes sw.js, the browser installs the new worker and the old cache is dropped.
sw.js itself is served with ``no-cache``: the browser checks it on every visit.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _

from greenapp.permissions import public

bp = Blueprint("offline", __name__)

# What the log form needs to open with no network (the page itself is kept when visited).
SHELL_FILES = (
    "css/app.css", "js/app.js", "js/offline.js", "js/logform.js", "js/upload.js",
    "img/leaf.svg", "img/icons/icon.svg", "img/icons/icon-192.png",
)
THEME = "#2e7d32"


def precache_urls() -> list[str]:
    """The hashed URLs of the shell's static files."""
    assets = current_app.extensions["greenapp_assets"]
    return [assets.url(name) for name in SHELL_FILES]


def cache_name(urls: list[str]) -> str:
    """A cache name that changes whenever a kept static file changes."""
    return "greenapp-" + hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]


@bp.route("/sw.js")
@public
def service_worker() -> Response:
    """The service worker script, at the root scope."""
    urls = precache_urls()
    body = render_template("offline/sw.js", cache_name=cache_name(urls), precache=urls,
                           shell=url_for("logs.new"), static_prefix=url_for("static",
                                                                           filename=""))
    resp = Response(body, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.route("/manifest.webmanifest")
@public
def manifest() -> Response:
    """The web app manifest, in the reader's language."""
    assets = current_app.extensions["greenapp_assets"]
    icons = [
        {"src": assets.url("img/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        {"src": assets.url("img/icons/icon-192.png"), "sizes": "192x192",
         "type": "image/png"},
        {"src": assets.url("img/icons/icon-512.png"), "sizes": "512x512",
         "type": "image/png"},
        {"src": assets.url("img/icons/maskable-512.png"), "sizes": "512x512",
         "type": "image/png", "purpose": "maskable"},
    ]
    data = {
        "name": _("Green School"),
        "short_name": _("Green School"),
        "description": _("Log eco-actions, even without a network."),
        "id": "/",
        "start_url": url_for("logs.new"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": icons,
    }
    resp = current_app.response_class(
        current_app.json.dumps(data), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp
