"""The dashboards' cache (services/cache.py) never shows a school stale figures after
a change: each write moves the version of the scopes it touched."""

from datetime import date, timedelta

from tests.test_dashboards import _figures


def _water_total(client, school_id: int) -> float:
    start = date.today() - timedelta(days=60)
    html = client.get(f"/dashboards/school/{school_id}?date_from={start}&category=water")
    figs = _figures(html.get_data(as_text=True))
    return sum(sum(t["y"]) for t in figs["cat-water"]["data"])


def test_a_new_edited_or_deleted_log_shows_at_once(client, factory, login, db):
    coordinator = factory.user("coordinator")
    school_id = coordinator.school_id
    first = factory.log(coordinator, quantity="100", unit="L")
    login(coordinator)
    assert _water_total(client, school_id) == 100  # now cached
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    form = {"category": "water", "unit": "L", "evidence": "self", "action_date": yesterday}
    client.post("/logs/new", data={**form, "quantity": "50"})
    assert _water_total(client, school_id) == 150
    client.post(f"/logs/{first.id}/edit", data={**form, "quantity": "30", "version": "1"})
    assert _water_total(client, school_id) == 80
    client.post(f"/logs/{first.id}/delete", data={"version": "2"})
    assert _water_total(client, school_id) == 50


def test_a_rejected_log_leaves_the_dashboard(client, factory, login, db):
    from greenapp.services import logs as log_service

    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="70", unit="L")
    scientist = factory.user("scientist")
    login(scientist)
    assert _water_total(client, coordinator.school_id) == 70
    log_service.set_review(scientist, log, "rejected", "meter photo missing")
    db.session.commit()
    assert _water_total(client, coordinator.school_id) == 0


def test_a_target_edit_shows_at_once(client, factory, login, db):
    """A target is an input of the figures but not a column of the school row:
    saving it must still refresh the cached dashboard."""
    from tests.test_schools import _data

    coordinator = factory.user("coordinator")
    school = coordinator.school
    factory.log(coordinator, quantity="100", unit="L")
    login(factory.user("admin"))
    url = f"/dashboards/school/{school.id}?category=water"
    assert "/ 1,000 (" not in client.get(url).get_data(as_text=True)  # no target yet
    same = _data(
        name=school.name,
        city=school.city,
        address=school.address,
        pupils=str(school.pupils),
        joined_on=school.joined_on.isoformat(),
        target_water="1000",
        target_energy="",
        target_trees="",
    )
    assert client.post(f"/schools/{school.id}/edit", data=same).status_code == 302
    assert "/ 1,000 (" in client.get(url).get_data(as_text=True)
