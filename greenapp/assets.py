"""Static files under content-hashed URLs, so a repeat visit asks only for the HTML.

Templates name a static file through one helper, ``static_url("css/app.css")``, which
gives ``/static/css/app.<12 hex of its SHA-256>.css``. That URL never changes meaning:
it is served with ``Cache-Control: public, max-age=31536000, immutable`` and gzip
(compressed once per process), so a browser keeps it for a year and never revalidates.
A changed file gets a new URL. An old or unhashed URL (a page cached before a deploy)
still gets the current file, but with ``no-cache`` and an ETag.

The hashes are computed once per process from the files on disk (a few KB plus the
vendored plotly.js bundle).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Flask, Response, abort, request, url_for
from flask_compress import Compress

from greenapp.services.cache import fixed_url

YEAR = 31_536_000
DIGEST_LEN = 12
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# Not worth compressing: gzip's header costs more than it saves.
MIN_GZIP = 512
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LEN}}})(?P<ext>\.[^./]+)$")


@dataclass(frozen=True)
class Asset:
    """One static file: its bytes, gzip'd bytes (or None) and content digest."""

    raw: bytes
    packed: bytes | None
    digest: str
    mimetype: str


@cache
def _load(path: str, mtime_ns: int, size: int) -> Asset:
    """Read, hash and compress one file (cached by path, mtime and size)."""
    raw = Path(path).read_bytes()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if mimetype == "application/javascript":
        mimetype = "text/javascript"
    packed = None
    if len(raw) >= MIN_GZIP and mimetype.startswith(_COMPRESSIBLE):
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
    digest = hashlib.sha256(raw).hexdigest()[:DIGEST_LEN]
    return Asset(raw=raw, packed=packed, digest=digest, mimetype=mimetype)


class Assets:
    """The files under one static folder, by path relative to it ("css/app.css")."""

    def __init__(self, folder: str, watch: bool = False) -> None:
        self.folder = Path(folder).resolve()
        # The hashed name of each file a template asked for. Files change only with a
        # deploy (a restart), so outside debug a page's static_url() calls cost a dict
        # lookup, not a resolve() and two stat()s each; with `watch` (debug:
        # `FLASK_DEBUG=1 make run`, as for templates) every call looks at the file, so an
        # edited file gets its new URL at once.
        self.watch = watch
        self._names: dict[str, str] = {}

    def get(self, filename: str) -> Asset | None:
        """The asset, or None for a missing file or a path outside the folder."""
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        stat = path.stat()
        return _load(str(path), stat.st_mtime_ns, stat.st_size)

    def url(self, filename: str) -> str:
        """The content-hashed URL of a static file (the template helper static_url)."""
        name = self._names.get(filename)
        if name is None or self.watch:
            asset = self.get(filename)
            if asset is None:
                raise LookupError(f"no static file {filename!r}")
            stem, dot, ext = filename.rpartition(".")
            if not dot or "/" in ext:
                raise LookupError(f"static file {filename!r} needs an extension")
            name = self._names[filename] = f"{stem}.{asset.digest}.{ext}"
        if self.watch:
            return url_for("static", filename=name)
        return fixed_url("static", filename=name)  # the same on every request of a mount

    def serve(self, filename: str) -> Response:
        """The static view: immutable for a current hashed name, no-cache otherwise."""
        immutable = False
        asset = self.get(filename)
        if asset is None:
            match = _HASHED.match(filename)
            if match is None:
                abort(404)
            asset = self.get(match["stem"] + match["ext"])
            if asset is None:
                abort(404)
            immutable = match["digest"] == asset.digest
        gz = asset.packed is not None and "gzip" in request.headers.get("Accept-Encoding", "")
        resp = Response(asset.packed if gz else asset.raw, mimetype=asset.mimetype)
        if gz:
            resp.headers["Content-Encoding"] = "gzip"
        if asset.packed is not None:
            resp.headers["Vary"] = "Accept-Encoding"
        if immutable:
            resp.headers["Cache-Control"] = IMMUTABLE
        else:
            resp.headers["Cache-Control"] = "no-cache"
            resp.set_etag(asset.digest)
            resp.make_conditional(request)
        return resp


def init_assets(app: Flask) -> None:
    """Serve /static/ through Assets, give templates static_url(), compress HTML.

    Flask-Compress (COMPRESS_* in config.py) compresses pages and JSON for clients
    that accept it; streamed responses (CSV exports) pass through untouched, and the
    static files carry their own gzip, so it leaves them alone.
    """
    Compress(app)
    assets = Assets(str(app.static_folder), watch=app.debug)
    app.extensions["greenapp_assets"] = assets
    app.view_functions["static"] = assets.serve
    app.add_template_global(assets.url, "static_url")
