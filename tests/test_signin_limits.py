"""Sign-in that stops attackers, not users (limits on, in-memory store; Redis: see
test_security_ratelimit.py).

A class signing in from one school address passes; an attacker elsewhere cannot lock the
real user out of their known device; unknown addresses cost the same work as known ones;
password change, registration and reset requests are throttled; production start rules.
"""

from __future__ import annotations

import re
import uuid

import pytest

from greenapp import create_app
from greenapp.config import Config
from greenapp.services import deploy, signin
from tests.conftest import PASSWORD

SCHOOL_IP = "203.0.113.10"


@pytest.fixture
def limited(app):
    """The test app with the sign-in limits on (defaults from config.py), fresh counters."""
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX=f"t-{uuid.uuid4().hex}",
    )
    app.extensions.pop("greenapp_signin_guard", None)
    return app


def _without_tokens(resp) -> str:
    """The page without its CSRF token (signed with a timestamp: differs across a second)."""
    return re.sub(r'(csrf[^>]*?(?:value|content)=")[^"]*', r"\1", resp.get_data(as_text=True))


def _post_login(client, email, password, ip):
    return client.post(
        "/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_a_class_of_30_signs_in_from_one_address_within_a_minute(limited, factory):
    pupils = [factory.user("resident") for _ in range(30)]
    for i, pupil in enumerate(pupils):
        client = limited.test_client()  # 30 devices behind one school address
        if i % 3 == 0:  # every third pupil mistypes once first
            typo = _post_login(client, pupil.email, PASSWORD + "x", SCHOOL_IP)
            assert typo.status_code == 200
        resp = _post_login(client, pupil.email, PASSWORD, SCHOOL_IP)
        assert resp.status_code == 302, f"pupil {i + 1} refused: {resp.status_code}"


def test_ten_wrong_passwords_from_elsewhere_do_not_stop_the_real_user_on_their_device(
    limited, factory
):
    user = factory.user("resident")
    phone = limited.test_client()
    assert _post_login(phone, user.email, PASSWORD, "198.51.100.5").status_code == 302
    assert phone.get_cookie(signin.DEVICE_COOKIE, path="/auth") is not None
    phone.post("/auth/logout")

    attacker = limited.test_client()
    for i in range(12):
        _post_login(attacker, user.email, f"guess-{i}-wrong", f"192.0.2.{i + 1}")
    # the account is locked for clients it does not know, even with the right password ...
    stranger = limited.test_client()
    locked = _post_login(stranger, user.email, PASSWORD, "192.0.2.200")
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers
    assert "Too many attempts" in locked.get_data(as_text=True)
    # ... but the real user's known device signs in at once
    assert _post_login(phone, user.email, PASSWORD, "198.51.100.5").status_code == 302


def test_a_device_cookie_for_another_account_or_forged_does_not_exempt(limited, factory):
    victim, other = factory.user("resident"), factory.user("resident")
    client = limited.test_client()
    assert _post_login(client, other.email, PASSWORD, "198.51.100.9").status_code == 302
    client.post("/auth/logout")
    for i in range(12):
        _post_login(client, victim.email, "wrong-wrong-wrong", f"192.0.2.{i + 1}")
    assert _post_login(client, victim.email, PASSWORD, "192.0.2.99").status_code == 429
    forged = limited.test_client()
    forged.set_cookie(signin.DEVICE_COOKIE, "W1sxLCJ4Il1d.forged", path="/auth")
    assert _post_login(forged, victim.email, PASSWORD, "192.0.2.98").status_code == 429


def test_a_known_device_is_limited_on_its_own_key(limited, factory):
    user = factory.user("resident")
    phone = limited.test_client()
    _post_login(phone, user.email, PASSWORD, "198.51.100.5")
    phone.post("/auth/logout")
    codes = [
        _post_login(phone, user.email, "wrong-wrong", "198.51.100.5").status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]  # a stolen device cookie is no free pass
    # and the account's other devices are untouched
    assert (
        _post_login(limited.test_client(), user.email, PASSWORD, "198.51.100.6").status_code == 302
    )


def test_one_account_from_one_client_waits_longer_and_longer(limited, factory):
    user = factory.user("resident")
    client = limited.test_client()
    codes = [
        _post_login(client, user.email, "wrong-wrong", "192.0.2.50").status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    first_wait = int(_post_login(client, user.email, "x", "192.0.2.50").headers["Retry-After"])
    assert 1 <= first_wait <= 61  # the first step waits about a minute
    assert limited.config["LOGIN_CLIENT_LIMITS"].split(";")[1].strip() == "10 per 15 minutes"


def test_the_address_limit_counts_failures_only(limited, factory):
    limited.config["LOGIN_IP_LIMIT"] = "20 per 5 minutes"
    users = [factory.user("resident") for _ in range(25)]
    for user in users:  # 25 successes from one address cost nothing
        assert (
            _post_login(limited.test_client(), user.email, PASSWORD, SCHOOL_IP).status_code == 302
        )
    for i in range(20):  # 20 failures over 20 addresses typed
        _post_login(limited.test_client(), f"guess{i}@example.org", "nope-nope", SCHOOL_IP)
    refused = _post_login(limited.test_client(), users[0].email, PASSWORD, SCHOOL_IP)
    assert refused.status_code == 429
    elsewhere = _post_login(limited.test_client(), users[0].email, PASSWORD, "192.0.2.77")
    assert elsewhere.status_code == 302


def test_an_unknown_address_is_checked_against_a_dummy_hash(limited, factory, monkeypatch):
    user = factory.user("resident")
    checked: list[str] = []
    real = signin.check_password_hash
    monkeypatch.setattr(
        signin, "check_password_hash", lambda pwhash, pw: checked.append(pwhash) or real(pwhash, pw)
    )
    client = limited.test_client()
    unknown = _post_login(client, "ghost@example.org", "nope-nope-nope", "192.0.2.1")
    known = _post_login(client, user.email, "nope-nope-nope", "192.0.2.1")
    assert checked == [signin.dummy_hash()]  # the unknown address paid a real hash check
    # made like the real ones: the same method as the user's own hash
    assert signin.dummy_hash().split("$")[0] == user.password_hash.split("$")[0]
    # and so scrypt outside the testing config's cheap hashing
    limited.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    assert signin.dummy_hash().startswith("scrypt:")
    assert unknown.status_code == known.status_code == 200
    body = _without_tokens(unknown)
    assert "Email or password is not right." in body
    assert body.replace("ghost@example.org", "X") == _without_tokens(known).replace(user.email, "X")


def test_password_change_is_throttled(limited, factory):
    user = factory.user("resident")
    client = limited.test_client()
    _post_login(client, user.email, PASSWORD, "192.0.2.1")
    data = {
        "current_password": "not-my-password",
        "new_password": "new-password-123",
        "confirm": "new-password-123",
    }
    codes = [client.post("/auth/password", data=data).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    data["current_password"] = PASSWORD
    assert client.post("/auth/password", data=data).status_code == 429
    assert user.check_password(PASSWORD)


def test_registration_and_reset_requests_are_throttled(limited, factory):
    client = limited.test_client()
    data = {
        "email": "flood@example.org",
        "display_name": "F",
        "password": "long-enough-pass",
        "confirm": "long-enough-pass",
    }
    codes = [client.post("/auth/register", data=data).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]  # at most 3 mails an hour to one address
    resets = [
        client.post("/auth/reset", data={"email": "victim@example.org"}).status_code
        for _ in range(4)
    ]
    assert resets == [302, 302, 302, 429]
    limited.config["ACCOUNT_IP_LIMIT"] = "5 per 10 minutes"
    limited.extensions.pop("greenapp_signin_guard", None)
    many = [
        client.post(
            "/auth/reset",
            data={"email": f"r{i}@example.org"},
            environ_base={"REMOTE_ADDR": "192.0.2.9"},
        ).status_code
        for i in range(6)
    ]
    assert many == [302] * 5 + [429]


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("scientist", "/experts/"),
        ("economist", "/experts/"),
        ("lawyer", "/experts/"),
        ("resident", "/logs/"),
        ("admin", "/schools/"),
    ],
)
def test_each_role_lands_on_its_workspace(client, factory, role, landing):
    user = factory.user(role)
    resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert resp.headers["Location"] == landing


def test_safe_next_still_wins_and_unsafe_next_is_ignored(client, factory):
    user = factory.user("scientist")
    resp = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "next": "/dashboards/public"},
    )
    assert resp.headers["Location"] == "/dashboards/public"
    client.post("/auth/logout")
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert resp.headers["Location"] == "/experts/"


# --- production start rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "argv", "workers"),
    [
        ({}, ["gunicorn", "wsgi:app"], 1),
        ({"WEB_CONCURRENCY": "3"}, ["gunicorn", "wsgi:app"], 3),
        ({}, ["gunicorn", "-w", "4", "wsgi:app"], 4),
        ({}, ["gunicorn", "--workers=2", "wsgi:app"], 2),
        ({}, ["gunicorn", "-w8", "wsgi:app"], 8),
        ({"GUNICORN_CMD_ARGS": "--bind 0:8000 --workers 5"}, ["gunicorn", "wsgi:app"], 5),
        ({"WEB_CONCURRENCY": "3"}, ["gunicorn", "-w", "1", "wsgi:app"], 1),
        (
            {},
            ["/srv/venv/lib/python3.13/site-packages/gunicorn/__main__.py", "-w", "3", "x:app"],
            3,
        ),
        ({}, ["/usr/bin/some-tool", "-w", "9"], 1),  # another program's -w means something else
    ],
)
def test_the_worker_count_is_read_like_gunicorn_does(environ, argv, workers):
    assert deploy.worker_count(environ, argv) == workers


def test_production_refuses_several_workers_without_a_shared_store(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.delenv(deploy.ALLOW_MEMORY_LIMITER, raising=False)
    config = {
        "SECRET_KEY": "x" * 48,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app("production", config)
    assert create_app("production", {**config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/2"})
    monkeypatch.setenv(deploy.ALLOW_MEMORY_LIMITER, "1")
    assert create_app("production", config)
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    monkeypatch.delenv(deploy.ALLOW_MEMORY_LIMITER)
    assert create_app("production", config)


def test_seed_demo_refuses_to_run_in_production(app, db, monkeypatch):
    from sqlalchemy import func, select

    from greenapp.models.user import User

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    prod = create_app(
        "production",
        {"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
    )
    result = prod.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
