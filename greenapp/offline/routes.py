"""The installable web app: /manifest.webmanifest and the service worker /sw.js.

The service worker (templates/offline/sw.js) must be served from the root so that its
scope covers the whole site. Its cache name is derived from the hashed URLs of the
static files it keeps (greenapp/assets.py), so a deploy that changes any of them
changes sw.js, the browser installs the new worker and the old cache is dropped.
sw.js itself is served with ``no-cache``: the browser checks it on every visit.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.permissions import public
from greenapp.services import cache

bp = Blueprint("offline", __name__)

# What the log form needs to open with no network (the page itself is kept when visited).
SHELL_FILES = (
    "css/app.css",
    "js/app.js",
    "js/offline.js",
    "js/logform.js",
    "js/upload.js",
    "img/leaf.svg",
    "img/icons/icon.svg",
    "img/icons/icon-192.png",
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
    body = render_template(
        "offline/sw.js",
        cache_name=cache_name(urls),
        precache=urls,
        form_page=url_for("logs.new"),
        static_prefix=url_for("static", filename=""),
    )
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
        {"src": assets.url("img/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": assets.url("img/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": assets.url("img/icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
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
        current_app.json.dumps(data), mimetype="application/manifest+json"
    )
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.app_context_processor
def banner_helpers() -> dict:
    """The offline banner's settings and strings (templates/offline/_banner.html)."""
    return {"offline_banner_config": banner_config}


def banner_config() -> dict:
    """What static/js/offline.js needs: URLs, the user, and every string it shows."""
    return {
        "user": current_user.id,
        "post": url_for("logs.new"),
        "token": url_for("logs.token"),
        **_banner_texts(cache.locale()),
    }


@lru_cache(maxsize=16)
def _banner_texts(_locale: str) -> dict:
    """The banner's strings in one language, built once per language and process (12
    dates and 12 strings were 5 % of a signed-in page's time), as Flask-Babel keeps
    each language's catalog for the life of the process.

    Plurals: the count line for 1, 2 and 5 (the script picks the one whose plural
    category matches, through Intl.PluralRules). Dates: each month's long format for
    the 28th of 2001, in which the script puts the typed day and year.
    """

    def waiting(n: int) -> str:
        return ngettext("%(n)s entry waiting to send", "%(n)s entries waiting to send", n, n="{n}")

    return {
        "plural": {"1": waiting(1), "2": waiting(2), "5": waiting(5)},
        "months": [format_date(date(2001, month, 28), "long") for month in range(1, 13)],
        "offline": _("No network: new entries are kept on this device and sent when it returns."),
        "queued": _("Saved on this device; it will be sent when the network returns."),
        "sending": _("Sending…"),
        "sent": _("All waiting entries have been sent."),
        "failed": _("The server could not be reached; the entries stay on this device."),
        "signin": _(
            "Your session has ended. Sign in again to send the waiting entries; "
            "they stay on this device."
        ),
        "rejected": _("Not accepted (%(day)s): %(message)s", day="{day}", message="{message}"),
        "fix": _("This entry was not accepted; correct it and save again."),
        "refused": _(
            "Some entries were not accepted: open each one in the form, correct it and save again."
        ),
    }
