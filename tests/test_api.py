"""The REST API /api/v1: a script with a personal access token, scopes, tokens, errors.

What a script (or its author) notices: the token is made on the account page and shown
once; with it the script creates, lists, edits and deletes entries through the same rules
as the form; scopes, roles and other owners' data are enforced; a retried POST with an
Idempotency-Key adds nothing twice; every refusal is problem+json in the reader's language.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from greenapp.models.api import ApiToken
from greenapp.models.audit import AuditRecord
from greenapp.models.log import EcoLog
from greenapp.services import tokens
from tests.helpers import YESTERDAY, api_token, bearer, second_app, signed_in_client

PROBLEM = "application/problem+json"


def _entry(**kw) -> dict:
    body = {
        "category": "water",
        "quantity": "1.5",
        "unit": "m3",
        "evidence": "self",
        "action_date": YESTERDAY,
        "note": "from the script",
    }
    body.update(kw)
    return body


def _token_from_page(client, name: str, scopes: list[str]) -> str:
    page = client.post(
        "/account/api-tokens/", data={"name": name, "scopes": scopes, "days": "30"}
    ).get_data(as_text=True)
    found = re.search(r'value="(gat_[A-Za-z0-9_-]+)"', page)
    assert found, "the new token is shown on the page"
    return found.group(1)


def test_a_script_with_a_token_creates_lists_and_edits_entries(app, factory, db):
    coordinator = factory.user("coordinator")
    secret = _token_from_page(signed_in_client(app, coordinator), "Meter script", ["read", "write"])
    api = app.test_client()  # the script: no cookie, only the token
    auth = bearer(secret)

    created = api.post("/api/v1/entries", json=_entry(), headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    entry = created.get_json()
    # 1.5 m3 is stored exactly as 1500 L and sent back as a decimal string, not a float
    assert entry["quantity"] == "1500.000" and entry["canonical_unit"] == "L"
    assert entry["owner"] == {"type": "school", "id": coordinator.school_id}
    assert entry["version"] == 1

    listed = api.get("/api/v1/entries?category=water&per_page=10", headers=auth).get_json()
    assert [e["id"] for e in listed["items"]] == [entry["id"]] and listed["total"] == 1

    edited = api.patch(
        f"/api/v1/entries/{entry['id']}",
        json={"version": 1, "quantity": "2", "note": "corrected"},
        headers=auth,
    )
    assert edited.status_code == 200
    assert edited.get_json()["quantity"] == "2000.000" and edited.get_json()["version"] == 2
    stale = api.patch(
        f"/api/v1/entries/{entry['id']}", json={"version": 1, "quantity": "9"}, headers=auth
    )
    assert stale.status_code == 409 and stale.content_type == PROBLEM

    # the dashboards' figure moved with it (the same pipeline: summaries, cache)
    day = YESTERDAY
    figures = api.get(f"/api/v1/aggregates?date_from={day}&date_to={day}", headers=auth)
    assert [(r["category"], r["quantity"]) for r in figures.get_json()["rows"]] == [
        ("water", "2000.000")
    ]

    gone = api.delete(f"/api/v1/entries/{entry['id']}?version=2", headers=auth)
    assert gone.status_code == 204
    assert api.get("/api/v1/entries", headers=auth).get_json()["total"] == 0
    log = db.session.get(EcoLog, entry["id"])
    assert log.deleted_at is not None  # soft delete, as on the pages
    actions = db.session.scalars(
        sa.select(AuditRecord.action).where(
            AuditRecord.entity_type == "log", AuditRecord.entity_id == log.id
        )
    ).all()
    assert {"create", "update", "delete"} <= set(actions)


def test_the_token_scopes_are_enforced(app, factory, db):
    resident = factory.user("resident")
    read_only = bearer(api_token(resident, ("read",)))
    write_only = bearer(api_token(resident, ("write",)))
    api = app.test_client()
    refused = api.post("/api/v1/entries", json=_entry(), headers=read_only)
    assert refused.status_code == 403 and refused.content_type == PROBLEM
    assert db.session.scalar(sa.select(sa.func.count(EcoLog.id))) == 0
    assert api.get("/api/v1/entries", headers=write_only).status_code == 403
    assert api.post("/api/v1/entries", json=_entry(), headers=write_only).status_code == 201
    assert api.get("/api/v1/entries", headers=read_only).get_json()["total"] == 1


def test_roles_and_other_owners_data_are_enforced(app, factory, db):
    coordinator = factory.user("coordinator")
    other = factory.user("coordinator")
    theirs = factory.log(other, note="THEIRS")
    scientist = factory.user("scientist")
    api = app.test_client()
    mine = bearer(api_token(coordinator))
    for method, path, body in [
        ("GET", f"/api/v1/entries/{theirs.id}", None),
        ("PATCH", f"/api/v1/entries/{theirs.id}", {"version": 1, "note": "HIJACKED"}),
        ("DELETE", f"/api/v1/entries/{theirs.id}", None),
        ("GET", f"/api/v1/schools/{other.school_id}", None),
        ("GET", f"/api/v1/schools/{other.school_id}/meter-readings", None),
    ]:
        resp = api.open(path, method=method, json=body, headers=mine)
        assert resp.status_code == 404 and resp.content_type == PROBLEM, (method, path)
    assert api.get("/api/v1/entries", headers=mine).get_json()["total"] == 0
    # staff see every entry but a write token does not let them log or edit one
    staff = bearer(api_token(scientist))
    assert api.get(f"/api/v1/entries/{theirs.id}", headers=staff).status_code == 200
    assert api.post("/api/v1/entries", json=_entry(), headers=staff).status_code == 403
    assert (
        api.patch(
            f"/api/v1/entries/{theirs.id}", json={"version": 1, "note": "X"}, headers=staff
        ).status_code
        == 403
    )
    db.session.refresh(theirs)
    assert theirs.note == "THEIRS" and theirs.deleted_at is None and theirs.version == 1


def test_a_session_cookie_is_not_accepted_by_the_api(csrf_app, factory, db):
    """No CSRF hole: the API ignores the browser's session, so a forged form cannot write."""
    coordinator = factory.user("coordinator")
    browser = signed_in_client(csrf_app, coordinator)
    assert browser.get("/logs/").status_code == 200  # the cookie is a real session
    for resp in (
        browser.get("/api/v1/entries"),
        browser.post("/api/v1/entries", json=_entry()),
    ):
        assert resp.status_code == 401 and resp.content_type == PROBLEM
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert db.session.scalar(sa.select(sa.func.count(EcoLog.id))) == 0
    # a token request needs no CSRF token (it carries no ambient credential)
    script = csrf_app.test_client()
    resp = script.post("/api/v1/entries", json=_entry(), headers=bearer(api_token(coordinator)))
    assert resp.status_code == 201
    # ... while the pages still want one
    assert browser.post("/logs/new", data={"category": "water"}).status_code == 400


def test_idempotency_key_replays_and_refuses_a_different_body(app, factory, db):
    resident = factory.user("resident")
    api = app.test_client()
    auth = bearer(api_token(resident), **{"Idempotency-Key": "offline-1"})
    first = api.post("/api/v1/entries", json=_entry(), headers=auth)
    again = api.post("/api/v1/entries", json=_entry(), headers=auth)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert db.session.scalar(sa.select(sa.func.count(EcoLog.id))) == 1
    other = api.post("/api/v1/entries", json=_entry(quantity="7"), headers=auth)
    assert other.status_code == 422 and other.content_type == PROBLEM
    assert "Idempotency-Key" in other.get_json()["errors"]
    # another token's same key is its own
    other_token = bearer(api_token(resident), **{"Idempotency-Key": "offline-1"})
    assert api.post("/api/v1/entries", json=_entry(), headers=other_token).status_code == 201
    # without a key, each POST is a new entry
    plain = bearer(api_token(resident))
    api.post("/api/v1/entries", json=_entry(), headers=plain)
    api.post("/api/v1/entries", json=_entry(), headers=plain)
    assert db.session.scalar(sa.select(sa.func.count(EcoLog.id))) == 4


def test_errors_are_problems_with_reasons_per_field_in_the_readers_language(app, factory):
    resident = factory.user("resident")
    api = app.test_client()
    auth = bearer(api_token(resident), **{"Accept-Language": "ru"})
    resp = api.post("/api/v1/entries", json={"category": "water", "unit": "L"}, headers=auth)
    assert resp.status_code == 422 and resp.content_type == PROBLEM
    body = resp.get_json()
    assert body["status"] == 422 and body["title"]
    assert set(body["errors"]) >= {"quantity", "action_date", "evidence"}
    assert body["errors"]["quantity"] == ["Это поле обязательно."]
    # a rule of the service (the form's message), next to its field
    future = api.post(
        "/api/v1/entries", json=_entry(action_date="2099-01-01"), headers=auth
    ).get_json()
    assert future["errors"]["action_date"] == ["Дата не может быть в будущем."]
    # a script's number means the same in every language: a point, never a comma
    comma = api.post("/api/v1/entries", json=_entry(quantity="1,500"), headers=auth)
    assert comma.status_code == 422 and "quantity" in comma.get_json()["errors"]
    exact = api.post("/api/v1/entries", json=_entry(quantity="1.234", unit="L"), headers=auth)
    assert exact.status_code == 201 and exact.get_json()["quantity"] == "1.234"
    english = api.post(
        "/api/v1/entries", json={}, headers=bearer(api_token(resident), **{"Accept-Language": "en"})
    ).get_json()
    assert english["errors"]["category"] == ["This field is required."]
    for path, method in [
        ("/api/v1/nothing-here", "GET"),
        ("/api/v1/entries", "PUT"),
        ("/api/v1/entries/999999", "GET"),
    ]:
        resp = api.open(path, method=method, headers=auth)
        assert resp.status_code in (404, 405) and resp.content_type == PROBLEM


def test_tokens_are_stored_hashed_and_can_be_revoked_or_expire(app, factory, db):
    resident = factory.user("resident")
    browser = signed_in_client(app, resident)
    secret = _token_from_page(browser, "Phone", ["read"])
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash == tokens.hash_token(secret) and secret not in repr(
        db.session.execute(sa.select(ApiToken.__table__)).all()
    )
    assert secret.startswith(row.prefix) and row.prefix.startswith("gat_")
    page = browser.get("/account/api-tokens/").get_data(as_text=True)
    assert row.prefix in page and secret not in page  # shown once only
    api = app.test_client()
    assert api.get("/api/v1/challenges", headers=bearer(secret)).status_code == 200
    db.session.refresh(row)
    assert row.last_used_at is not None
    assert browser.post(f"/account/api-tokens/{row.id}/revoke").status_code == 302
    assert api.get("/api/v1/challenges", headers=bearer(secret)).status_code == 401
    expiring = api_token(resident, ("read",))
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(expiring))
    )
    token.expires_at = tokens.utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/challenges", headers=bearer(expiring)).status_code == 401
    assert api.get("/api/v1/challenges", headers=bearer("gat_not-a-token")).status_code == 401


def test_someone_else_cannot_revoke_a_token_but_an_admin_can(app, factory, db):
    owner = factory.user("resident")
    stranger = factory.user("resident")
    admin = factory.user("admin")
    secret = api_token(owner, ("read",))
    token = db.session.scalar(sa.select(ApiToken))
    assert (
        signed_in_client(app, stranger).post(f"/account/api-tokens/{token.id}/revoke").status_code
        == 404
    )
    assert signed_in_client(app, stranger).get("/account/api-tokens/all").status_code == 403
    listing = signed_in_client(app, admin).get("/account/api-tokens/all").get_data(as_text=True)
    assert token.prefix in listing and owner.email in listing and secret not in listing
    signed_in_client(app, admin).post(
        f"/account/api-tokens/{token.id}/revoke", data={"back": "all"}
    )
    db.session.refresh(token)
    assert token.revoked_at is not None and token.revoked_by_id == admin.id


def test_a_bad_token_form_keeps_the_values_and_says_why(app, factory, db):
    resident = factory.user("resident")
    page = (
        signed_in_client(app, resident)
        .post("/account/api-tokens/", data={"name": "My script", "days": "30"})
        .get_data(as_text=True)
    )
    assert "Choose at least one scope." in page and 'value="My script"' in page
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


@pytest.fixture
def limited_app(app):
    with second_app(
        app,
        RATELIMIT_ENABLED=True,
        API_RATELIMIT="3 per minute",
        RATELIMIT_KEY_PREFIX=f"greenapp-test-api-{uuid.uuid4().hex}",
    ) as limited:
        yield limited


def test_rate_limits_count_per_token(limited_app, factory):
    resident = factory.user("resident")
    busy, calm = bearer(api_token(resident, ("read",))), bearer(api_token(resident, ("read",)))
    api = limited_app.test_client()
    answers = [api.get("/api/v1/challenges", headers=busy).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = api.get("/api/v1/challenges", headers=busy)
    assert refused.content_type == PROBLEM and int(refused.headers["Retry-After"]) > 0
    assert api.get("/api/v1/challenges", headers=calm).status_code == 200


def test_the_schema_and_its_docs_page_are_served_by_the_app(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    assert {
        ("GET", "/api/v1/entries"),
        ("POST", "/api/v1/entries"),
        ("PATCH", "/api/v1/entries/{log_id}"),
        ("DELETE", "/api/v1/entries/{log_id}"),
        ("GET", "/api/v1/schools"),
        ("GET", "/api/v1/schools/{school_id}/meter-readings"),
        ("GET", "/api/v1/aggregates"),
        ("GET", "/api/v1/challenges"),
        ("GET", "/api/v1/glossary/terms"),
    } <= ops
    post = spec["paths"]["/api/v1/entries"]["post"]
    assert post["x-scope"] == "write"
    assert spec["components"]["schemas"]["Entry"]["properties"]["quantity"]["type"] == "string"
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "PATCH /api/v1/entries/{log_id}" in html
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]


def test_decimal_strings_keep_every_digit(app, factory):
    resident = factory.user("resident")
    api = app.test_client()
    auth = bearer(api_token(resident))
    for qty in ("0.1", "0.2"):
        api.post("/api/v1/entries", json=_entry(unit="L", quantity=qty), headers=auth)
    rows = api.get(f"/api/v1/entries?date_from={YESTERDAY}", headers=auth).get_json()["items"]
    total = sum(Decimal(r["quantity"]) for r in rows)
    assert total == Decimal("0.3")


def test_a_script_enters_meter_readings_with_the_forms_checks(app, factory, db):
    from greenapp.services import meters

    coordinator = factory.user("coordinator")
    meter = meters.add_meter(
        coordinator,
        coordinator.school,
        meters.MeterInput(kind="water", unit="m3", name="Main water meter"),
    )
    db.session.commit()
    api = app.test_client()
    auth = bearer(api_token(coordinator))
    first = api.post(
        f"/api/v1/meters/{meter.id}/readings",
        headers=auth,
        json={"kind": "index", "reading_date": "2026-01-05", "value": "10432.5"},
    )
    assert first.status_code == 201 and first.get_json()["value"] == "10432.500000"
    backwards = api.post(
        f"/api/v1/meters/{meter.id}/readings",
        headers=auth,
        json={"kind": "index", "reading_date": "2026-01-06", "value": "100"},
    )
    assert backwards.status_code == 422 and "value" in backwards.get_json()["errors"]
    listed = api.get(
        f"/api/v1/schools/{coordinator.school_id}/meter-readings", headers=auth
    ).get_json()
    assert [(r["reading_date"], r["value"]) for r in listed] == [("2026-01-05", "10432.500000")]
    other = factory.user("coordinator")
    resp = api.post(
        f"/api/v1/meters/{meter.id}/readings",
        headers=bearer(api_token(other)),
        json={"kind": "index", "reading_date": "2026-01-07", "value": "10500"},
    )
    assert resp.status_code == 404
