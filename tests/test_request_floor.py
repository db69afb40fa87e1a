"""What every request pays, made cheaper (issue 9), without changing what a user sees.

The limiter's hooks run only where a limit can apply; the API's limit, its headers and
its 429 are unchanged; a page keeps its security headers, and a header a view set
itself is not overwritten.
"""

from __future__ import annotations

import uuid

import pytest
from flask import Response
from itsdangerous import TimestampSigner

from greenapp.ops.headers import CSP
from greenapp.permissions import public
from tests.helpers import api_token, bearer, second_app, signed_in_client


@pytest.fixture
def limited_app(app):
    with second_app(
        app,
        RATELIMIT_ENABLED=True,
        API_RATELIMIT="2 per minute",
        RATELIMIT_KEY_PREFIX=f"greenapp-test-floor-{uuid.uuid4().hex}",
    ) as limited:
        yield limited


def test_the_api_keeps_its_limit_and_headers_while_pages_skip_the_limiter(limited_app, factory):
    resident = factory.user("resident")
    token = bearer(api_token(resident, ("read",)))
    api = limited_app.test_client()
    first = api.get("/api/v1/challenges", headers=token)
    assert first.status_code == 200 and first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert api.get("/api/v1/challenges", headers=token).status_code == 200
    refused = api.get("/api/v1/challenges", headers=token)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0

    browser = signed_in_client(limited_app, resident)
    for _ in range(4):  # well past the API's 2 per minute: pages have no such limit
        page = browser.get("/dashboards/ping")
        assert page.status_code == 200 and "X-RateLimit-Limit" not in page.headers
        assert page.headers["Content-Security-Policy"] == CSP
        assert page.headers["Cache-Control"] == "no-store"


def test_a_header_the_view_set_is_kept_and_the_rest_are_added(app):
    with second_app(app) as fresh:

        @fresh.route("/_test/own-frame-header")
        @public
        def own_frame_header():
            resp = Response("ok")
            resp.headers["x-frame-options"] = "SAMEORIGIN"
            return resp

        resp = fresh.test_client().get("/_test/own-frame-header")
        assert resp.status_code == 200
        assert resp.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Security-Policy"] == CSP


# --- the session cookie and the CSRF token, remembered per process -----------------------


def _token(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_remembered_session_cookie_still_expires_and_a_changed_one_is_refused(
    app, factory, monkeypatch
):
    import greenapp.extensions as ext

    coordinator = factory.user("coordinator")
    browser = signed_in_client(app, coordinator)
    assert browser.get("/logs/").status_code == 200  # verified and remembered
    assert browser.get("/logs/").status_code == 200  # from the memory
    cookie = browser.get_cookie("session").value

    tampered = app.test_client()
    tampered.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert tampered.get("/logs/").status_code == 302  # signed out: to the sign-in

    lifetime = app.permanent_session_lifetime.total_seconds()
    later = ext.time.time() + lifetime + 60
    monkeypatch.setattr(ext.time, "time", lambda: later)
    expired = browser.get("/logs/")
    assert expired.status_code == 302 and "/auth/login" in expired.headers["Location"]


def test_pages_share_a_recent_csrf_token_which_the_forms_accept(csrf_app, factory, monkeypatch):
    coordinator = factory.user("coordinator")
    browser = signed_in_client(csrf_app, coordinator)
    first_page = browser.get("/logs/new").get_data(as_text=True)  # a form of its own too
    first = _token(first_page)
    assert f'name="csrf_token" type="hidden" value="{first}"' in first_page  # the form's
    signed_at = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at(self) + 5)
    again = _token(browser.get("/logs/").get_data(as_text=True))
    assert first == again  # signed once (5 s ago), reused within the minute
    switched = browser.post(
        "/language", data={"csrf_token": again, "language": "kk", "next": "/logs/"}
    )
    assert switched.status_code == 302
    assert 'lang="kk"' in browser.get("/logs/").get_data(as_text=True)

    other = signed_in_client(csrf_app, factory.user("coordinator"))
    refused = other.post("/language", data={"csrf_token": first, "language": "ru"})
    assert refused.status_code == 400  # another session's token is no token
