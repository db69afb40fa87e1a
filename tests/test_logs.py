"""Logging eco-actions: exact, validated, audited, soft-deleted, owner-only."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from greenapp.models.audit import AuditRecord
from greenapp.models.log import EcoLog
from greenapp.services import summary
from tests.helpers import PASSWORD


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _form(**kw):
    data = {
        "category": "water",
        "fraction": "",
        "quantity": "1.5",
        "unit": "m3",
        "action_date": (date.today() - timedelta(days=1)).isoformat(),
        "evidence": "self",
        "note": "",
    }
    data.update(kw)
    return data


def test_coordinator_logs_water_in_m3_and_sees_litres(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    resp = client.post("/logs/new", data=_form(), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "1,500 L" in page  # canonical quantity, formatted for English
    log = db.session.scalar(select(EcoLog))
    assert log.quantity == Decimal("1500")
    assert log.quantity_entered == Decimal("1.5") and log.unit_entered == "m3"
    assert log.school_id == coordinator.school_id and log.resident_id is None
    assert log.created_by_id == coordinator.id


def test_saved_confirmation_is_shown_once_to_its_author_only(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    resp = client.post("/logs/new", data=_form())
    assert resp.status_code == 302
    # The answer leaves the signed-in session as it was (no flash in the cookie).
    assert not any(h.startswith("session=") for h in resp.headers.getlist("Set-Cookie"))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Saved: 1,500 L." in page
    assert "Saved:" not in client.get("/logs/").get_data(as_text=True)
    log_id = db.session.scalar(select(EcoLog.id))
    # A colleague following the same link sees the list without the confirmation.
    colleague = factory.user("coordinator", school=coordinator.school)
    other = client.application.test_client()
    signed_in = other.post("/auth/login", data={"email": colleague.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    page = other.get(f"/logs/?saved={log_id}").get_data(as_text=True)
    assert "Eco-actions of" in page and "Saved:" not in page
    assert other.get("/logs/?saved=x%3Cb%3E").status_code == 200


def test_rejected_form_keeps_input_and_changes_nothing(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    before = (_count(db, EcoLog), _count(db, AuditRecord))
    resp = client.post("/logs/new", data=_form(quantity="-3", note="pupils' meter reading"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "The quantity must be greater than zero." in page
    assert 'value="-3"' in page
    assert "pupils&#39; meter reading" in page
    assert (_count(db, EcoLog), _count(db, AuditRecord)) == before


def test_future_date_and_date_before_joining_are_refused(client, factory, login, db):
    school = factory.school(joined_on=date.today() - timedelta(days=30))
    coordinator = factory.user("coordinator", school=school)
    login(coordinator)
    future = (date.today() + timedelta(days=2)).isoformat()
    page = client.post("/logs/new", data=_form(action_date=future)).get_data(as_text=True)
    assert "The date cannot be in the future." in page
    early = (date.today() - timedelta(days=60)).isoformat()
    page = client.post("/logs/new", data=_form(action_date=early)).get_data(as_text=True)
    assert "before the school joined" in page
    assert _count(db, EcoLog) == 0


def test_wrong_unit_and_missing_fraction_are_explained(client, factory, login, db):
    login(factory.user("coordinator"))
    page = client.post("/logs/new", data=_form(unit="kg")).get_data(as_text=True)
    assert "This unit does not fit the category." in page
    page = client.post("/logs/new", data=_form(category="waste", unit="kg", quantity="3")).get_data(
        as_text=True
    )
    assert "Choose which waste fraction was sorted." in page
    assert _count(db, EcoLog) == 0


def test_edit_leaves_an_audit_record_with_before_and_after(client, factory, login, db):
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="1.5", unit="m3")
    login(coordinator)
    resp = client.post(
        f"/logs/{log.id}/edit",
        data=_form(quantity="2", version=str(log.version)),
        follow_redirects=True,
    )
    assert "2,000 L" in resp.get_data(as_text=True)
    db.session.refresh(log)
    assert log.quantity == Decimal("2000") and log.version == 2
    records = db.session.scalars(
        select(AuditRecord).where(AuditRecord.entity_id == log.id).order_by(AuditRecord.id)
    ).all()
    assert [r.action for r in records] == ["create", "update"]
    assert records[1].changes["quantity"] == ["1500.000", "2000.000"]
    assert records[1].actor_id == coordinator.id
    history = client.get(f"/logs/{log.id}").get_data(as_text=True)
    assert "1,500" in history and "2,000" in history and "edited" in history


def test_a_stale_edit_is_refused_not_silently_overwritten(client, factory, login, db):
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="100", unit="L")
    login(coordinator)
    first = client.post(f"/logs/{log.id}/edit", data=_form(quantity="200", unit="L", version="1"))
    assert first.status_code == 302
    second = client.post(f"/logs/{log.id}/edit", data=_form(quantity="300", unit="L", version="1"))
    assert second.status_code == 409
    assert "Someone else changed this entry" in second.get_data(as_text=True)
    db.session.refresh(log)
    assert log.quantity == Decimal("200")


def test_a_damaged_version_is_refused_as_stale_not_a_500(client, factory, login, db):
    # Found by the route walk: a blank or non-numeric hidden version crashed the edit.
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="100", unit="L")
    login(coordinator)
    for damaged in (" ", "1x"):
        resp = client.post(
            f"/logs/{log.id}/edit", data=_form(quantity="300", unit="L", version=damaged)
        )
        assert resp.status_code == 409
        assert "Someone else changed this entry" in resp.get_data(as_text=True)
    db.session.refresh(log)
    assert log.quantity == Decimal("100")


def test_delete_is_soft_and_shown_in_the_audit_view(client, factory, login, db):
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="40", unit="L")
    login(coordinator)
    assert client.get(f"/logs/{log.id}/delete").status_code == 405  # POST only
    resp = client.post(f"/logs/{log.id}/delete", data={"version": "1"}, follow_redirects=True)
    assert "Entry deleted" in resp.get_data(as_text=True)
    db.session.refresh(log)
    assert log.deleted_at is not None and log.deleted_by_id == coordinator.id
    assert summary.stored_rows() == []  # gone from totals
    listing = client.get("/logs/").get_data(as_text=True)
    assert "40 L" not in listing
    with_deleted = client.get("/logs/?deleted=1").get_data(as_text=True)
    assert "40 L" in with_deleted and "deleted" in with_deleted
    history = client.get(f"/logs/{log.id}").get_data(as_text=True)
    assert "deleted" in history


def test_other_schools_logs_are_invisible_and_untouchable(client, factory, login, db):
    mine = factory.user("coordinator")
    other = factory.user("coordinator")
    theirs = factory.log(other, quantity="777", unit="L")
    login(mine)
    # the entry as the list shows it ("777 L"): a bare "777" can be part of a file's hash
    assert "777 L" not in client.get("/logs/").get_data(as_text=True)
    assert client.get(f"/logs/{theirs.id}").status_code == 404
    assert client.get(f"/logs/{theirs.id}/edit").status_code == 404
    assert client.post(f"/logs/{theirs.id}/delete", data={}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.deleted_at is None and theirs.quantity == Decimal("777")


def test_posted_school_id_cannot_redirect_a_log(client, factory, login, db):
    mine = factory.user("coordinator")
    other_school = factory.school()
    login(mine)
    client.post(
        "/logs/new",
        data=_form(school_id=str(other_school.id), resident_id="1", created_by_id="999"),
    )
    log = db.session.scalar(select(EcoLog))
    assert log.school_id == mine.school_id and log.created_by_id == mine.id


def test_resident_logs_own_actions_and_filters(client, factory, login, db):
    resident = factory.user("resident")
    factory.log(
        resident,
        category="water",
        quantity="120",
        unit="L",
        action_date=date.today() - timedelta(days=40),
    )
    factory.log(
        resident, category="waste", fraction="plastic", quantity="1500", unit="g", evidence="self"
    )
    login(resident)
    page = client.get("/logs/").get_data(as_text=True)
    assert "120 L" in page and "1.5 kg" in page
    only_waste = client.get("/logs/?category=waste").get_data(as_text=True)
    assert "1.5 kg" in only_waste and "120 L" not in only_waste
    since = (date.today() - timedelta(days=10)).isoformat()
    recent = client.get(f"/logs/?date_from={since}").get_data(as_text=True)
    assert "120 L" not in recent and "1.5 kg" in recent


def test_admin_sees_every_log_but_cannot_edit(client, factory, login, db):
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="321", unit="L")
    login(factory.user("admin"))
    assert "321 L" in client.get("/logs/").get_data(as_text=True)
    assert client.get(f"/logs/{log.id}").status_code == 200
    assert client.get(f"/logs/{log.id}/edit").status_code == 403
