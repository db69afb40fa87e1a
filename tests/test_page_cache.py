"""The dashboards' content is cached for every viewer alike (services/cache.py); the page
around it is each viewer's own: name, bell, language, one-off messages, and their
session's CSRF token (which expires as Flask-WTF's default says)."""

import re

from flask import Flask

from greenapp.services import notifications
from tests.helpers import PASSWORD

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _page(client, school_id: int, query: str = "") -> str:
    resp = client.get(f"/dashboards/school/{school_id}{query}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_each_viewer_sees_their_own_name(app: Flask, factory, login, client, db):
    school = factory.school(name="Lyceum 3")
    login(factory.user("admin", display_name="Aigerim Admin"))
    assert "Aigerim Admin" in _page(client, school.id)
    _page(client, school.id)  # the content now comes from the cache
    other = app.test_client()
    scientist = factory.user("scientist", display_name="Sergei Scientist")
    other.post("/auth/login", data={"email": scientist.email, "password": PASSWORD})
    page = _page(other, school.id)
    assert "Sergei Scientist" in page and "Aigerim Admin" not in page


def test_a_new_notification_shows_on_the_bell_at_once(factory, login, client, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    assert "bell-count" not in _page(client, coordinator.school_id)
    assert "bell-count" not in _page(client, coordinator.school_id)  # content cached
    notifications.notify(coordinator.id, notifications.CHALLENGE_COMPLETED, "/", title="x")
    db.session.commit()
    assert re.search(r'bell-count">1<', _page(client, coordinator.school_id))


def test_language_switch_is_not_served_the_cached_english_page(factory, login, client, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    assert "Download CSV" in _page(client, coordinator.school_id)
    client.post("/language", data={"language": "ru", "next": "/"})
    page = _page(client, coordinator.school_id)
    assert 'lang="ru"' in page and "Download CSV" not in page


def test_a_one_off_message_is_shown_once_and_not_cached(factory, login, client, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    _page(client, coordinator.school_id)
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Saved just now.")]
    assert "Saved just now." in _page(client, coordinator.school_id)
    assert "Saved just now." not in _page(client, coordinator.school_id)


def _sign_in(client, user) -> None:
    token = TOKEN.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302


def test_cached_page_carries_a_working_token_of_this_session_only(csrf_app, factory, db):
    coordinator = factory.user("coordinator")
    phone, laptop = csrf_app.test_client(), csrf_app.test_client()
    _sign_in(phone, coordinator)
    _sign_in(laptop, coordinator)  # the same person on a second device
    _page(phone, coordinator.school_id)
    phone_page = _page(phone, coordinator.school_id)  # content from the cache
    laptop_page = _page(laptop, coordinator.school_id)
    assert "Download CSV" in phone_page and "Download CSV" in laptop_page
    phone_token = TOKEN.search(phone_page).group(1)
    laptop_token = TOKEN.search(laptop_page).group(1)
    # The laptop was not handed the phone's page: the phone's token is refused there.
    refused = laptop.post(
        "/language", data={"language": "kk", "next": "/", "csrf_token": phone_token}
    )
    assert refused.status_code == 400
    ok = laptop.post("/language", data={"language": "kk", "next": "/", "csrf_token": laptop_token})
    assert ok.status_code == 302
    assert phone.post("/auth/logout", data={"csrf_token": phone_token}).status_code == 302


def test_public_results_page_moves_with_a_new_log(factory, client, db, monkeypatch):
    """Open-day visitors get cached pages that still move (the testing config lets the
    programme-wide pages lag 0 seconds; see test_cache.py for the lag)."""
    from greenapp.services import charts

    calls = []
    real = charts.public_summary
    monkeypatch.setattr(charts, "public_summary", lambda today: calls.append(1) or real(today))
    coordinator = factory.user("coordinator")
    factory.log(coordinator, category="water", quantity="1234", unit="L")
    assert "1,234" in client.get("/dashboards/public").get_data(as_text=True)
    assert "1,234" in client.get("/dashboards/public").get_data(as_text=True)
    assert len(calls) == 1, "the second visit was not served from the cache"
    factory.log(coordinator, category="water", quantity="1000", unit="L")
    assert "2,234" in client.get("/dashboards/public").get_data(as_text=True)


def test_a_changed_account_is_seen_on_the_next_page(factory, login, client, db):
    """The signed-in user is kept between requests (auth/loader.py); a change made
    elsewhere (another worker, an admin) shows at once, and a deactivated account is
    signed out on its next request."""
    coordinator = factory.user("coordinator", display_name="Dana Before")
    login(coordinator)
    assert "Dana Before" in _page(client, coordinator.school_id)
    assert "Dana Before" in _page(client, coordinator.school_id)  # the kept copy
    coordinator.display_name = "Dana After"
    db.session.commit()
    page = _page(client, coordinator.school_id)
    assert "Dana After" in page and "Dana Before" not in page
    coordinator.active = False
    db.session.commit()
    assert client.get(f"/dashboards/school/{coordinator.school_id}").status_code == 302


def test_a_read_notification_leaves_the_bell(factory, login, client, db):
    coordinator = factory.user("coordinator")
    notifications.notify(coordinator.id, notifications.CHALLENGE_COMPLETED, "/", title="x")
    db.session.commit()
    login(coordinator)
    assert re.search(r'bell-count">1<', _page(client, coordinator.school_id))
    notifications.mark_read(coordinator.id)
    db.session.commit()
    assert "bell-count" not in _page(client, coordinator.school_id)


def test_the_cached_page_carries_a_working_token_for_each_session(app, factory, db):
    """The page comes from the cache, but its language switch works for each viewer:
    the CSRF token in it is their own session's."""
    app.config["WTF_CSRF_ENABLED"] = True
    school = factory.school()
    users = [factory.user("admin"), factory.user("admin")]
    for user in users:
        browser = app.test_client()
        html = browser.get("/auth/login").get_data(as_text=True)
        resp = browser.post(
            "/auth/login",
            data={
                "email": user.email,
                "password": PASSWORD,
                "csrf_token": TOKEN.search(html).group(1),
            },
        )
        assert resp.status_code == 302
        browser.get("/")
        page = _page(browser, school.id)
        resp = browser.post(
            "/language",
            data={"language": "kk", "next": "/", "csrf_token": TOKEN.search(page).group(1)},
        )
        assert resp.status_code == 302
        assert 'lang="kk"' in _page(browser, school.id)
