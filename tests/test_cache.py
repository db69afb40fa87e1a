"""The one cache (services/cache.py): scoped invalidation, the programme's bounded lag
with its "as of" line, CSRF tokens that expire again, and one cache shared by workers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask import Flask

from greenapp import create_app
from greenapp.extensions import cache as store
from greenapp.services import cache, charts
from tests.conftest import PASSWORD
from tests.helpers import local_today, second_app
from tests.test_dashboards import _figures

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def boards(monkeypatch) -> list[int]:
    """The ids of the schools whose board was computed (not served from the cache)."""
    computed: list[int] = []
    real = charts.school_dashboard

    def spy(school, scope, grain):
        computed.append(school.id)
        return real(school, scope, grain)

    monkeypatch.setattr(charts, "school_dashboard", spy)
    return computed


def _water(client, school_id: int) -> float:
    start = local_today() - timedelta(days=60)
    resp = client.get(f"/dashboards/school/{school_id}?date_from={start}&category=water")
    assert resp.status_code == 200
    figs = _figures(resp.get_data(as_text=True))
    return sum(sum(t["y"]) for t in figs["cat-water"]["data"])


def test_a_write_to_one_school_leaves_another_schools_board_cached(
    client, factory, login, db, boards
):
    coord_a = factory.user("coordinator")
    coord_b = factory.user("coordinator")
    factory.log(coord_a, quantity="100", unit="L")
    factory.log(coord_b, quantity="200", unit="L")
    login(factory.user("admin"))
    a, b = coord_a.school_id, coord_b.school_id
    assert (_water(client, a), _water(client, b)) == (100, 200)
    assert (_water(client, a), _water(client, b)) == (100, 200)
    assert boards == [a, b], "the second views were not cache hits"
    factory.log(coord_a, quantity="50", unit="L")  # a write to school A only
    assert _water(client, b) == 200
    assert boards == [a, b], "school B's board was thrown away by school A's write"
    assert _water(client, a) == 150  # A's board was invalidated and shows the entry
    assert boards == [a, b, a]


def test_a_coordinator_sees_their_new_entry_at_once(client, factory, login, db):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, quantity="100", unit="L")
    login(coordinator)
    assert _water(client, coordinator.school_id) == 100
    day = (local_today() - timedelta(days=1)).isoformat()
    resp = client.post(
        "/logs/new",
        data={
            "category": "water",
            "unit": "L",
            "quantity": "7",
            "evidence": "self",
            "action_date": day,
        },
    )
    assert resp.status_code == 302
    assert _water(client, coordinator.school_id) == 107


def test_a_factor_change_invalidates_only_the_schools_it_prices(client, factory, login, db, boards):
    from greenapp.services import impact

    kz = factory.user("coordinator")
    by = factory.user(
        "coordinator",
        school=factory.school(name="Minsk 1", city="Minsk", country="BY", timezone="Europe/Minsk"),
    )
    factory.log(kz, quantity="100", unit="L")
    factory.log(by, quantity="100", unit="L")
    admin = factory.user("admin")
    login(admin)
    _water(client, kz.school_id)
    _water(client, by.school_id)
    impact.save_factor(
        admin,
        impact.FactorInput(
            country="BY",
            category="water",
            fraction="",
            value="0.001",
            source="test",
            valid_from=local_today() - timedelta(days=400),
        ),
    )
    db.session.commit()
    _water(client, kz.school_id)
    _water(client, by.school_id)
    assert boards == [kz.school_id, by.school_id, by.school_id]


def test_the_overview_says_as_of_when(client, factory, login, db):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, quantity="100", unit="L")
    login(factory.user("admin"))
    page = client.get("/dashboards/programme").get_data(as_text=True)
    assert re.search(r'class="as-of muted">Figures as of \d{1,2}:\d\d', page)
    client.post("/language", data={"language": "ru", "next": "/"})
    page = client.get("/dashboards/programme").get_data(as_text=True)
    assert re.search(r'class="as-of muted">[^<]*\d{1,2}:\d\d', page)
    assert "Figures as of" not in page  # said in the viewer's language


def test_the_overview_lags_a_few_seconds_at_most(app, client, factory, login, db, monkeypatch):
    app.config["PROGRAMME_CACHE_LAG_SECONDS"] = 5
    clock = [cache.now()]
    monkeypatch.setattr(cache, "now", lambda: clock[0])
    coordinator = factory.user("coordinator", school=factory.school(name="Lyceum 7"))
    factory.log(coordinator, quantity="1000", unit="L")
    login(factory.user("admin"))

    def lyceum_total() -> str:
        page = client.get("/dashboards/programme").get_data(as_text=True)
        row = re.search(r"Lyceum 7</a>.*?</tr>", page, re.S).group(0)
        return re.findall(r'class="num">([^<]*)<', row)[1]  # the total column

    assert lyceum_total() == "1,000"
    factory.log(coordinator, quantity="500", unit="L")
    clock[0] += 2
    assert lyceum_total() == "1,000"  # within the lag: the figures as of 2 s ago
    clock[0] += 4
    assert lyceum_total() == "1,500"  # past the lag: recomputed


def test_csrf_tokens_expire_again(csrf_app: Flask, factory, db, monkeypatch):
    import itsdangerous.timed

    from greenapp.config import Config

    assert not hasattr(Config, "WTF_CSRF_TIME_LIMIT") or Config.WTF_CSRF_TIME_LIMIT == 3600
    assert csrf_app.config.get("WTF_CSRF_TIME_LIMIT", 3600) == 3600  # Flask-WTF's default
    user = factory.user("coordinator")
    browser = csrf_app.test_client()
    token = TOKEN.search(browser.get("/auth/login").get_data(as_text=True)).group(1)
    ok = browser.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302
    page = browser.get(f"/dashboards/school/{user.school_id}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3700)
    late = browser.post("/language", data={"language": "kk", "next": "/", "csrf_token": token})
    assert late.status_code == 400  # the token from over an hour ago is refused


def _redis_url() -> str | None:
    import redis

    url = "redis://127.0.0.1:6379/8"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return url


def test_workers_share_one_redis_cache(app: Flask, factory, db, monkeypatch):
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not running")
    prefix = f"greenapp-test-{uuid.uuid4().hex[:8]}:"
    config = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": url,
        "CACHE_KEY_PREFIX": prefix,
    }
    workers = [create_app("testing", config), create_app("testing", config)]
    monkeypatch.setattr(cache, "versions", lambda *scopes: (7,) * len(scopes))
    computed = []
    for worker in workers:  # the versions come from the database, as tested above
        with worker.test_request_context("/"):
            cache.cached("test", cache.school_scope(1), "k", lambda: computed.append(1) or "value")
    with workers[0].app_context():
        store.clear()  # this run's keys only (its own prefix)
    assert computed == [1], "the second worker did not find the first one's entry"


def test_a_new_release_renders_its_pages_afresh_where_the_old_one_left_them(app: Flask):
    """Redis outlives a deploy: the new release must not serve the pages the old one
    rendered (old markup, old stylesheet URLs) just because their data did not move."""
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not running")
    shared = {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": url,
        "CACHE_KEY_PREFIX": f"greenapp-test-{uuid.uuid4().hex[:8]}:",
    }
    scope = cache.school_scope(1)
    with (
        second_app(app, CACHE_RELEASE="old", **shared) as old,
        second_app(app, CACHE_RELEASE="new", **shared) as new,
    ):
        with old.test_request_context("/"):
            cache.cached("page", scope, "k", lambda: "<p>old markup</p>")
        with new.test_request_context("/"):
            shown = cache.cached("page", scope, "k", lambda: "<p>new markup</p>")
        with old.app_context():
            store.clear()
        with new.app_context():
            store.clear()
    assert shown == "<p>new markup</p>"


def test_the_release_changes_with_any_template_code_or_static_file(tmp_path):
    for folder in cache.RELEASE_FOLDERS:
        (tmp_path / folder).mkdir()
    (tmp_path / "templates" / "base.html").write_text("<title>greenapp</title>")
    (tmp_path / "greenapp" / "x.pyc").write_bytes(b"compiled")
    before = cache.release_digest.__wrapped__(tmp_path)
    (tmp_path / "greenapp" / "x.pyc").write_bytes(b"compiled again")  # follows its source
    assert cache.release_digest.__wrapped__(tmp_path) == before
    for edited in ("templates/base.html", "static/app.css", "greenapp/views.py"):
        (tmp_path / edited).write_text("changed")
        after = cache.release_digest.__wrapped__(tmp_path)
        assert after != before, edited
        before = after
