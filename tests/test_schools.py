"""Admins create and edit schools; changes are audited; bad input explained."""

from decimal import Decimal

from sqlalchemy import select

from greenapp.models.audit import AuditRecord
from greenapp.models.school import School


def _data(**kw):
    data = {
        "name": "Kyzylorda School No. 9",
        "city": "Kyzylorda",
        "country": "KZ",
        "address": "Abai Ave 1",
        "pupils": "640",
        "joined_on": "2024-09-01",
        "target_water": "300000",
        "target_energy": "12,000.5",
        "target_waste": "",
        "target_trees": "40",
        "target_outreach": "",
    }
    data.update(kw)
    return data


def test_admin_creates_a_school_with_targets(client, factory, login, db):
    login(factory.user("admin"))
    resp = client.post("/schools/new", data=_data(), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "School saved." in page and "Kyzylorda School No. 9" in page
    school = db.session.scalar(select(School))
    assert school.pupils == 640 and school.timezone == "Asia/Qyzylorda"
    assert school.target_for("energy") == Decimal("12000.5")
    assert school.target_for("waste") is None
    assert "300,000" in page


def test_minsk_school_gets_minsk_time(client, factory, login, db):
    login(factory.user("admin"))
    client.post(
        "/schools/new", data=_data(name="Minsk Gymnasium No. 1", city="Minsk", country="BY")
    )
    assert db.session.scalar(select(School)).timezone == "Europe/Minsk"


def test_bad_school_input_keeps_what_was_typed(client, factory, login, db):
    factory.school(name="Taken Name")
    login(factory.user("admin"))
    page = client.post("/schools/new", data=_data(name="Taken Name")).get_data(as_text=True)
    assert "A school with this name already exists." in page
    page = client.post("/schools/new", data=_data(target_water="lots")).get_data(as_text=True)
    assert "Enter a number" in page and 'value="lots"' in page
    page = client.post("/schools/new", data=_data(pupils="0")).get_data(as_text=True)
    assert 'value="Kyzylorda School No. 9"' in page
    assert len(db.session.scalars(select(School)).all()) == 1


def test_school_edit_is_audited(client, factory, login, db):
    school = factory.school(name="Old Name", pupils=300)
    login(factory.user("admin"))
    client.post(f"/schools/{school.id}/edit", data=_data(name="New Name", pupils="320"))
    record = db.session.scalars(
        select(AuditRecord).where(AuditRecord.entity_type == "school")
    ).all()[-1]
    assert record.changes["name"] == ["Old Name", "New Name"]
    assert record.changes["pupils"] == [300, 320]
    page = client.get(f"/schools/{school.id}").get_data(as_text=True)
    assert "Old Name" in page and "New Name" in page


def test_coordinator_cannot_create_or_edit_schools(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    assert client.post("/schools/new", data=_data()).status_code == 403
    assert client.post(f"/schools/{coordinator.school_id}/edit", data=_data()).status_code == 403
    assert client.get(f"/schools/{coordinator.school_id}").status_code == 200
