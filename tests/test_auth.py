"""Accounts: registration, sign-in, sign-out, passwords, safe redirects, admin users page."""

import pytest
from sqlalchemy import select

from greenapp.models.user import User
from tests.helpers import PASSWORD


def test_resident_registers_and_confirms_their_address(client, db, app):
    resp = client.post(
        "/auth/register",
        data={
            "email": "Aliya@Example.org",
            "display_name": "Aliya",
            "district": "Shieli",
            "password": "long-enough-pass",
            "confirm": "long-enough-pass",
            "role": "admin",
            "school_id": "1",
        },
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert "Check your e-mail" in resp.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.email == "aliya@example.org"
    assert user.role == "resident" and user.school_id is None  # posted role is ignored
    assert user.district == "Shieli"
    assert user.password_hash.startswith(
        app.config["PASSWORD_HASH_METHOD"].split(":")[0] + ":"
    )  # scrypt outside tests
    assert user.email_confirmed_at is None
    # not signed in until the address is confirmed (details: tests/test_mail.py)
    blocked = client.post("/auth/login", data={"email": user.email, "password": "long-enough-pass"})
    assert "Please confirm your e-mail address first" in blocked.get_data(as_text=True)
    from greenapp.services.users import confirm_token

    client.get(f"/auth/confirm/{confirm_token(user)}")
    resp = client.post(
        "/auth/login",
        data={"email": user.email, "password": "long-enough-pass"},
        follow_redirects=True,
    )
    assert "Welcome, Aliya." in resp.get_data(as_text=True)


def test_registration_errors_keep_input_and_create_nothing(client, factory, db):
    factory.user("resident", email="taken@example.org")
    short = client.post(
        "/auth/register",
        data={
            "email": "new@example.org",
            "display_name": "New",
            "password": "short",
            "confirm": "short",
        },
    ).get_data(as_text=True)
    assert "Use at least 10 characters." in short
    assert 'value="New"' in short
    assert len(db.session.scalars(select(User)).all()) == 1


def test_login_error_does_not_reveal_whether_the_email_exists(client, factory):
    user = factory.user("resident")
    wrong_password = client.post(
        "/auth/login", data={"email": user.email, "password": "nope-nope-nope"}
    ).get_data(as_text=True)
    unknown_email = client.post(
        "/auth/login", data={"email": "ghost@example.org", "password": "nope-nope-nope"}
    ).get_data(as_text=True)
    assert "Email or password is not right." in wrong_password
    assert "Email or password is not right." in unknown_email


def test_deactivated_account_cannot_sign_in(client, factory):
    user = factory.user("resident", active=False)
    page = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert page.status_code == 200
    assert "Email or password is not right." in page.get_data(as_text=True)


def test_session_is_cleared_at_login(client, factory):
    user = factory.user("resident")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "http:evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example/../",
        " //evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_leaves_the_site(client, factory, target):
    user = factory.user("resident")
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "next": target}
    )
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil.example" not in location.split("?")[0] or location.startswith("/%2F")


def test_next_to_a_local_page_is_followed(client, factory):
    user = factory.user("coordinator")
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "next": "/logs/new"}
    )
    assert resp.headers["Location"] == "/logs/new"


def test_anonymous_is_sent_to_login_with_next(client):
    resp = client.get("/logs/new")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/auth/login?next=")


def test_logout_is_post_only_and_ends_the_session(client, factory, login):
    user = factory.user("resident")
    login(user)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/logs/").status_code == 200
    client.post("/auth/logout")
    assert client.get("/logs/").status_code == 302


def test_replayed_session_cookie_after_logout_is_refused(client, factory, login, app):
    user = factory.user("resident")
    login(user, remember=True)
    cookies = {c.key: c.value for c in client._cookies.values()}
    client.post("/auth/logout")
    replay = app.test_client()
    for key, value in cookies.items():
        replay.set_cookie(key, value)
    assert replay.get("/logs/").status_code == 302  # the old token no longer matches


def test_password_change_signs_out_other_devices(client, factory, login, app, db):
    user = factory.user("resident")
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert other_device.get("/logs/").status_code == 200
    login(user)
    resp = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-brand-new-pass",
            "confirm": "a-brand-new-pass",
        },
    )
    assert resp.status_code == 302
    assert client.get("/logs/").status_code == 200  # this device stays signed in
    assert other_device.get("/logs/").status_code == 302
    db.session.refresh(user)
    assert user.check_password("a-brand-new-pass")


def test_password_change_with_wrong_current_password_changes_nothing(client, factory, login, db):
    user = factory.user("resident")
    login(user)
    page = client.post(
        "/auth/password",
        data={
            "current_password": "wrong-wrong-wrong",
            "new_password": "a-brand-new-pass",
            "confirm": "a-brand-new-pass",
        },
    ).get_data(as_text=True)
    assert "The current password is not right." in page
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_admin_creates_a_coordinator_for_a_school(client, factory, login, db):
    school = factory.school(name="Kyzylorda School No. 7")
    login(factory.user("admin"))
    resp = client.post(
        "/auth/users/new",
        data={
            "email": "coord@example.org",
            "display_name": "New Coordinator",
            "role": "coordinator",
            "school_id": str(school.id),
            "password": "initial-password",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "coord@example.org"))
    assert user.role == "coordinator" and user.school_id == school.id
    assert "New Coordinator" in client.get(f"/schools/{school.id}").get_data(as_text=True)


def test_a_coordinator_needs_a_school(client, factory, login, db):
    login(factory.user("admin"))
    page = client.post(
        "/auth/users/new",
        data={
            "email": "c2@example.org",
            "display_name": "No School",
            "role": "coordinator",
            "school_id": "0",
            "password": "initial-password",
        },
    ).get_data(as_text=True)
    assert "A coordinator must belong to a school." in page
    assert db.session.scalar(select(User).where(User.email == "c2@example.org")) is None


def test_admin_cannot_demote_themself(client, factory, login, db):
    admin = factory.user("admin")
    login(admin)
    page = client.post(
        f"/auth/users/{admin.id}/edit",
        data={
            "display_name": admin.display_name,
            "role": "resident",
            "school_id": "0",
            "active": "y",
        },
    ).get_data(as_text=True)
    assert "You cannot change your own role" in page
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_role_change_by_admin_signs_the_user_out(client, factory, login, app, db):
    victim = factory.user("scientist")
    device = app.test_client()
    device.post("/auth/login", data={"email": victim.email, "password": PASSWORD})
    login(factory.user("admin"))
    client.post(
        f"/auth/users/{victim.id}/edit",
        data={
            "display_name": victim.display_name,
            "role": "resident",
            "school_id": "0",
            "active": "y",
        },
    )
    db.session.refresh(victim)
    assert victim.role == "resident"
    assert device.get("/schools/").status_code == 302
