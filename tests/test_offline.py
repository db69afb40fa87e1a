"""Offline entry, server side: the client UUID is an idempotency key per author; the log
form answers the offline queue's fetch in JSON; the service worker and the manifest."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from greenapp.models.audit import AuditRecord
from greenapp.models.log import DailySummary, EcoLog
from greenapp.services import logs as log_service
from tests.helpers import PASSWORD

JSON = {"Accept": "application/json"}


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(**kw) -> dict:
    data = {
        "category": "water",
        "fraction": "",
        "quantity": "1.5",
        "unit": "m3",
        "action_date": (date.today() - timedelta(days=1)).isoformat(),
        "evidence": "self",
        "note": "",
        "client_uuid": str(uuid.uuid4()),
    }
    data.update(kw)
    return data


def test_second_post_with_the_same_uuid_adds_nothing_and_points_to_the_first(
    client, factory, login, db
):
    coordinator = factory.user("coordinator")
    login(coordinator)
    data = _form()
    first = client.post("/logs/new", data=data)
    assert first.status_code == 302
    assert urlsplit(first.headers["Location"]).path.endswith("/logs/")  # the list
    log = db.session.scalar(select(EcoLog))
    assert log.client_uuid == data["client_uuid"]
    counted = (
        _count(db, EcoLog),
        _count(db, AuditRecord),
        db.session.scalar(select(func.sum(DailySummary.log_count))),
    )

    again = client.post("/logs/new", data=data, follow_redirects=True)
    assert again.status_code == 200
    assert f"/logs/{log.id}" in again.request.path
    assert "This entry was already saved; nothing was added." in again.get_data(as_text=True)
    db.session.expire_all()
    assert (
        _count(db, EcoLog),
        _count(db, AuditRecord),
        db.session.scalar(select(func.sum(DailySummary.log_count))),
    ) == counted


def test_json_answer_created_then_repeat(client, factory, login, db):
    login(factory.user("resident"))
    data = _form(category="waste", fraction="paper", quantity="12", unit="kg")
    made = client.post("/logs/new", data=data, headers=JSON)
    assert made.status_code == 201
    body = made.get_json()
    assert body["ok"] is True and body["repeat"] is False
    assert body["url"] == f"/logs/{body['id']}"
    repeat = client.post("/logs/new", data=data, headers=JSON)
    assert repeat.status_code == 200
    assert repeat.get_json() == {**body, "repeat": True}
    assert _count(db, EcoLog) == 1


def test_json_refusal_names_the_field_in_the_readers_language(client, factory, login, db):
    resident = factory.user("resident", locale="ru")
    login(resident)
    refused = _form(quantity="-3")
    resp = client.post("/logs/new", data=refused, headers=JSON)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["ok"] is False
    assert set(body["errors"]) == {"quantity"}
    assert re.search("[а-я]", body["errors"]["quantity"]), body
    assert _count(db, EcoLog) == 0
    # Refused means nothing was stored: the same UUID corrected is a new entry.
    fixed = client.post("/logs/new", data=_form(client_uuid=refused["client_uuid"]), headers=JSON)
    assert fixed.status_code == 201


def test_a_damaged_uuid_is_refused_with_a_message(client, factory, login, db):
    login(factory.user("coordinator"))
    resp = client.post("/logs/new", data=_form(client_uuid="not-a-uuid"), headers=JSON)
    assert resp.status_code == 422
    assert "offline key is damaged" in resp.get_json()["errors"]["client_uuid"]
    page = client.post("/logs/new", data=_form(client_uuid="x' onload='y")).get_data(as_text=True)
    assert "offline key is damaged" in page
    assert _count(db, EcoLog) == 0


def test_the_uuid_is_per_author(client, factory, login, db):
    """Another author's entry with the same UUID is not theirs to point to."""
    key = str(uuid.uuid4())
    login(factory.user("coordinator"))
    assert client.post("/logs/new", data=_form(client_uuid=key), headers=JSON).status_code == 201
    client.post("/auth/logout")
    login(factory.user("resident"))
    other = client.post("/logs/new", data=_form(client_uuid=key), headers=JSON)
    assert other.status_code == 201
    assert _count(db, EcoLog) == 2


def test_pipeline_create_is_idempotent_on_the_client_uuid(app, factory, db):
    resident = factory.user("resident")
    data = log_service.LogInput(
        category="water",
        quantity="3",
        unit="L",
        action_date=date.today(),
        evidence="document",
        client_uuid=str(uuid.uuid4()),
    )
    first = log_service.create_log(resident, data)
    db.session.commit()
    second = log_service.create_log(resident, data)
    db.session.commit()
    assert second.id == first.id
    assert _count(db, EcoLog) == 1
    # Without a UUID (the form without script, the import) every post is new.
    plain = log_service.LogInput(
        category="water", quantity="3", unit="L", action_date=date.today(), evidence="document"
    )
    log_service.create_log(resident, plain)
    log_service.create_log(resident, plain)
    db.session.commit()
    assert _count(db, EcoLog) == 3


def test_token_endpoint_needs_a_logger_and_is_not_stored(client, factory, login):
    resp = client.get("/logs/token", headers=JSON)
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    resident = factory.user("resident")
    login(resident)
    resp = client.get("/logs/token", headers=JSON)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.get_json()["user"] == resident.id


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def test_queue_send_needs_a_fresh_csrf_token(csrf_client, factory, db):
    coordinator = factory.user("coordinator")
    page = csrf_client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    csrf_client.post(
        "/auth/login", data={"email": coordinator.email, "password": PASSWORD, "csrf_token": token}
    )
    refused = csrf_client.post("/logs/new", data=_form(), headers=JSON)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf"
    assert _count(db, EcoLog) == 0
    fresh = csrf_client.get("/logs/token", headers=JSON).get_json()["csrf_token"]
    made = csrf_client.post("/logs/new", data=_form(csrf_token=fresh), headers=JSON)
    assert made.status_code == 201
    assert _count(db, EcoLog) == 1


def test_service_worker_is_served_at_the_root_with_a_versioned_cache(client, app):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_data(as_text=True)
    name = re.search(r'var CACHE = "(greenapp-[0-9a-f]{12})"', body)
    assert name, body[:400]
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", body).group(1))
    with app.test_request_context():
        from flask import current_app

        assets = current_app.extensions["greenapp_assets"]
        assert assets.url("js/offline.js") in precache
        assert assets.url("css/app.css") in precache
    for url in precache:  # every kept file is served, immutable
        got = client.get(url)
        assert got.status_code == 200 and "immutable" in got.headers["Cache-Control"]
    assert '"/logs/new"' in body


def test_manifest_names_the_app_in_the_readers_language(client, factory, login):
    client.post("/language", data={"language": "kk", "next": "/"})
    resp = client.get("/manifest.webmanifest")
    assert resp.mimetype == "application/manifest+json"
    data = resp.get_json(force=True)
    assert data["start_url"] == "/logs/new" and data["display"] == "standalone"
    assert not re.search("[A-Za-z]", data["name"]), data["name"]
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_csp_allows_the_service_worker_and_no_inline_script(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_banner_strings_come_from_the_page_in_kazakh(client, factory, login):
    login(factory.user("coordinator", locale="kk"))
    page = client.get("/logs/new").get_data(as_text=True)
    raw = re.search(r"data-config='([^']*)'", page).group(1)
    import html

    config = json.loads(html.unescape(raw))
    assert config["post"] == "/logs/new" and config["token"] == "/logs/token"
    for key in ("offline", "queued", "signin", "sent", "failed", "fix"):
        assert not re.search("[A-Za-z]{3,}", config[key]), (key, config[key])
    assert "{n}" in config["plural"]["1"] and "{n}" in config["plural"]["5"]
    assert 'name="client_uuid"' in page


def test_two_sends_at_once_store_one_entry(client, factory, login, db, monkeypatch):
    """Both requests pass the 'already stored?' check before either inserts: the unique
    (author, client_uuid) constraint refuses the second insert, which answers with the
    first entry."""
    from greenapp.logs import routes
    from greenapp.services import pipeline

    coordinator = factory.user("coordinator")
    login(coordinator)
    data = _form()
    first = log_service.create_log(
        coordinator,
        log_service.LogInput(
            category="water",
            quantity="1.5",
            unit="m3",
            action_date=date.today() - timedelta(days=1),
            evidence="document",
            client_uuid=data["client_uuid"],
        ),
    )
    db.session.commit()
    real = pipeline.stored_already
    calls = []

    def blind_once(actor, key):
        calls.append(key)
        return None if len(calls) <= 2 else real(actor, key)  # the route's and the pipeline's

    monkeypatch.setattr(routes, "stored_already", blind_once)
    monkeypatch.setattr(pipeline, "stored_already", blind_once)
    resp = client.post("/logs/new", data=data, headers=JSON)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["id"] == first.id and resp.get_json()["repeat"] is True
    assert len(calls) == 3
    assert _count(db, EcoLog) == 1


def test_the_workers_background_fetch_never_changes_the_session_cookie(client, factory, login):
    """The service worker keeps the log form by fetching it while it installs. Signed
    out, that answer is a redirect that would set a fresh (signed-out) session cookie;
    arriving after the sign-in, it used to sign the person out again."""
    plain = client.get("/logs/new")  # an ordinary signed-out visit gets its cookie
    assert plain.status_code == 302 and "session=" in plain.headers.get("Set-Cookie", "")
    background = client.get("/logs/new", headers={"X-Greenapp-Background": "1"})
    assert background.status_code == 302 and "Set-Cookie" not in background.headers

    coordinator = factory.user("coordinator")
    login(coordinator)
    again = client.get("/logs/new", headers={"X-Greenapp-Background": "1"})
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    assert client.get("/logs/new").status_code == 200  # still signed in
    assert "X-Greenapp-Background" in client.get("/sw.js").get_data(as_text=True)
