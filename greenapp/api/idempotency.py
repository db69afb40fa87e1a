"""`Idempotency-Key` on POST: a retried request replays the first answer.

Kept per token for services/tokens.IDEMPOTENCY_KEEP (24 h). The same key with the same
method, path and body gets the stored response again (with `Idempotency-Replayed: true`);
the same key with another body is refused (422). The kept response is written in the
same transaction as the entry, so a crash leaves neither. Two requests racing with one
key: the second to commit hits the unique key and gets 409 (try again: it replays).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from greenapp.api.auth import current_token
from greenapp.api.problems import problem
from greenapp.extensions import db
from greenapp.services import tokens

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
KEY_MAX = 255


def idempotent(view: F) -> F:
    """Wrap a POST view: replay kept responses, keep new 2xx ones, commit once."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        token = current_token()
        if key is None or token is None:
            resp = view(*args, **kwargs)
            db.session.commit()
            return resp
        if not key.strip() or len(key) > KEY_MAX or not key.isascii():
            return problem(
                422,
                _("The Idempotency-Key must be 1 to 255 ASCII characters."),
                errors={HEADER: [_("The Idempotency-Key must be 1 to 255 ASCII characters.")]},
            )
        digest = tokens.body_digest(request.method, request.path, request.get_data())
        kept = tokens.stored_response(token.id, key)
        if kept is not None:
            if kept.body_hash != digest:
                return problem(
                    422,
                    _(
                        "This Idempotency-Key was used with another request; "
                        "use a new key for a new request."
                    ),
                    errors={HEADER: [_("Already used with another request.")]},
                )
            return _replay(kept)
        resp = view(*args, **kwargs)
        if isinstance(resp, Response) and 200 <= resp.status_code < 300:
            tokens.keep_response(
                token.id,
                key,
                digest,
                request.method,
                request.path,
                resp.status_code,
                resp.content_type or "application/json",
                resp.headers.get("Location", ""),
                resp.get_data(),
            )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return problem(
                409,
                _(
                    "Another request with this Idempotency-Key is being "
                    "handled; send it again to get its answer."
                ),
            )
        return resp

    return wrapped  # type: ignore[return-value]


def _replay(kept: Any) -> Response:
    resp = Response(kept.body, status=kept.status, content_type=kept.content_type)
    if kept.location:
        resp.headers["Location"] = kept.location
    resp.headers["Idempotency-Replayed"] = "true"
    return resp
