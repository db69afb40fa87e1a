"""Sign-in limits shared by every worker through Redis: failures per account (from clients
without its device cookie), per address, and the device cookie's exemption, across workers.

Uses the real Redis named by REDIS_URL (CI sets it). Without REDIS_URL the test skips
locally and fails under CI=true. Each run uses its own key prefix so parallel or
repeated runs never share counters, and removes its keys afterwards.
"""

from __future__ import annotations

import os
import uuid

import pytest

from greenapp import create_app
from tests.helpers import dispose

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        message = "REDIS_URL is not set: the shared rate-limit test needs a real Redis"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def workers(app, redis_url):
    """Two app instances ("gunicorn workers") sharing one Redis, with the limiter on."""
    prefix = f"greenapp-test-{uuid.uuid4().hex}"
    config = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_RATELIMIT": "10 per minute",
        "LOGIN_IP_LIMIT": "10 per minute",
    }
    pair = (create_app("testing", config), create_app("testing", config))
    for worker in pair:
        worker.config["TEST_KEY_PREFIX"] = prefix
    yield pair
    import redis

    conn = redis.Redis.from_url(redis_url)
    keys = list(conn.scan_iter(match=f"*{prefix}*"))
    if keys:
        conn.delete(*keys)
    conn.close()
    for worker in pair:
        dispose(worker)


def _bad_login(worker, email: str, ip: str):
    return worker.test_client().post(
        "/auth/login",
        data={"email": email, "password": "not-the-password"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_eleventh_bad_login_for_one_account_is_refused_across_workers_and_ips(workers, factory):
    user = factory.user("resident")
    first, second = workers
    for i in range(10):
        worker = (first, second)[i % 2]
        resp = _bad_login(worker, user.email, f"10.0.0.{i + 1}")  # a different IP each time
        assert resp.status_code == 200, f"attempt {i + 1}: {resp.status_code}"
        assert "Email or password is not right." in resp.get_data(as_text=True)
    refused = _bad_login(second, user.email, "10.0.1.99")
    assert refused.status_code == 429
    # the counters live in Redis (shared by processes), not in a worker's memory
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in conn.scan_iter(match=f"*{first.config['TEST_KEY_PREFIX']}*")]
    conn.close()
    assert any("login-account" in k for k in keys), keys
    assert not any(user.email in k for k in keys)  # addresses are hashed in the keys
    # the right password does not get through either while the window lasts
    resp = second.test_client().post(
        "/auth/login",
        data={"email": user.email, "password": "correct-horse-battery"},
        environ_base={"REMOTE_ADDR": "10.0.2.1"},
    )
    assert resp.status_code == 429
    # another account is not affected
    other = factory.user("resident")
    assert _bad_login(first, other.email, "10.0.3.1").status_code == 200


def test_eleventh_login_from_one_ip_is_refused_across_workers_and_accounts(workers, factory):
    first, second = workers
    for i in range(10):
        worker = (first, second)[i % 2]
        resp = _bad_login(worker, f"guess{i}@example.org", "192.0.2.7")
        assert resp.status_code == 200, f"attempt {i + 1}: {resp.status_code}"
    assert _bad_login(second, "guess-last@example.org", "192.0.2.7").status_code == 429
    assert _bad_login(first, "guess-last@example.org", "192.0.2.8").status_code == 200


def test_the_limit_only_counts_login_posts(workers, factory):
    first, _second = workers
    client = first.test_client()
    for _ in range(15):
        assert client.get("/auth/login").status_code == 200


def test_successful_sign_ins_from_one_address_are_not_counted(workers, factory):
    first, second = workers
    for i in range(15):
        user = factory.user("resident")
        resp = (
            (first, second)[i % 2]
            .test_client()
            .post(
                "/auth/login",
                data={"email": user.email, "password": "correct-horse-battery"},
                environ_base={"REMOTE_ADDR": "192.0.2.30"},
            )
        )
        assert resp.status_code == 302, f"sign-in {i + 1}: {resp.status_code}"


def test_a_device_cookie_from_one_worker_exempts_on_the_other(workers, factory):
    first, second = workers
    user = factory.user("resident")
    phone = first.test_client()
    assert (
        phone.post(
            "/auth/login",
            data={"email": user.email, "password": "correct-horse-battery"},
            environ_base={"REMOTE_ADDR": "198.51.100.3"},
        ).status_code
        == 302
    )
    cookie = phone.get_cookie("greenapp_device", path="/auth").value
    for i in range(11):
        _bad_login((first, second)[i % 2], user.email, f"10.0.5.{i + 1}")
    assert _bad_login(second, user.email, "10.0.6.1").status_code == 429
    known = second.test_client()
    known.set_cookie("greenapp_device", cookie, path="/auth")
    resp = known.post(
        "/auth/login",
        data={"email": user.email, "password": "correct-horse-battery"},
        environ_base={"REMOTE_ADDR": "198.51.100.3"},
    )
    assert resp.status_code == 302


def test_a_refused_login_says_what_happened(workers, factory):
    first, _second = workers
    for _ in range(10):
        _bad_login(first, "who@example.org", "198.51.100.1")
    resp = _bad_login(first, "who@example.org", "198.51.100.1")
    assert resp.status_code == 429
    assert "Retry-After" in resp.headers or "X-RateLimit-Reset" in resp.headers
