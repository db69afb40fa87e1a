"""E-mail for real: a real SMTP server runs in the test process and the tests read what it got.

Password reset (single-use, expiring, bound to the password), confirmation at registration,
registration and reset that reveal nothing, notification mails with an opt-out, the weekly
digest in each recipient's language, and mail failures that never lose the user's action.
"""

from __future__ import annotations

import logging
import re

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from greenapp.models.community import Notification
from greenapp.models.user import User
from greenapp.services import notifications
from greenapp.services import users as user_service
from tests.conftest import PASSWORD
from tests.smtp_helpers import html_of, link_in, run_smtp, text_of

NEW_PASSWORD = "a-brand-new-password"  # noqa: S105


@pytest.fixture
def smtp(app):
    """A real SMTP server in this process; the app sends to it."""
    yield from run_smtp(app)


def _sign_in(client, email, password):
    return client.post("/auth/login", data={"email": email, "password": password})


# --- password reset ----------------------------------------------------------------------


def test_a_reset_mail_arrives_and_its_link_works_once(client, factory, smtp):
    user = factory.user("resident", locale="ru")
    resp = client.post("/auth/reset", data={"email": user.email.upper()}, follow_redirects=True)
    assert resp.status_code == 200
    (msg,) = smtp.wait(1)
    assert msg["X-Envelope-To"] == user.email
    assert msg["Subject"] == "Выберите новый пароль greenapp"  # the recipient's language
    link = link_in(msg, "/auth/reset/")
    assert "https://green.example.kz/auth/reset/" in text_of(msg)  # PUBLIC_BASE_URL, not Host
    assert link in html_of(msg)

    form = client.get(link)
    assert form.status_code == 200 and 'name="new_password"' in form.get_data(as_text=True)
    done = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302  # signed in with the new password
    client.post("/auth/logout")

    again = client.get(link, follow_redirects=True)
    assert "This link has expired or was already used." in again.get_data(as_text=True)
    reuse = client.post(
        link, data={"new_password": "yet-another-password", "confirm": "yet-another-password"}
    )
    assert reuse.status_code == 200
    assert "This link has expired or was already used." in reuse.get_data(as_text=True)
    assert _sign_in(client, user.email, PASSWORD).status_code == 200  # old one is gone
    assert _sign_in(client, user.email, NEW_PASSWORD).status_code == 302


def test_an_expired_reset_link_is_refused(client, factory, monkeypatch, app):
    user = factory.user("resident")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner,
        "get_timestamp",
        lambda self: real(self) - app.config["PASSWORD_RESET_MAX_AGE"] - 5,
    )
    token = user_service.reset_token(user)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    resp = client.get(f"/auth/reset/{token}", follow_redirects=True)
    assert "This link has expired or was already used." in resp.get_data(as_text=True)
    post = client.post(
        f"/auth/reset/{token}", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert "This link has expired or was already used." in post.get_data(as_text=True)
    assert _sign_in(client, user.email, NEW_PASSWORD).status_code == 200  # unchanged


def test_a_reset_link_issued_before_a_password_change_is_refused(client, factory, login):
    user = factory.user("resident")
    token = user_service.reset_token(user)
    login(user)
    client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    client.post("/auth/logout")
    resp = client.get(f"/auth/reset/{token}", follow_redirects=True)
    assert "This link has expired or was already used." in resp.get_data(as_text=True)


def test_a_forged_reset_link_is_refused(client, factory):
    factory.user("resident")
    resp = client.get("/auth/reset/eyJ1IjoxLCJwIjoiIn0.forged.sig", follow_redirects=True)
    assert "This link has expired or was already used." in resp.get_data(as_text=True)


def test_reset_says_the_same_for_known_and_unknown_addresses(client, factory, smtp):
    user = factory.user("resident")
    known = client.post("/auth/reset", data={"email": user.email}, follow_redirects=True)
    unknown = client.post(
        "/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    assert _without_tokens(known) == _without_tokens(unknown)
    assert "If an account uses this address" in known.get_data(as_text=True)
    smtp.wait(1)
    assert [m["X-Envelope-To"] for m in smtp.messages] == [user.email]  # only the real owner


def test_the_reset_link_also_confirms_the_address(client, factory, smtp, db):
    user = factory.user("resident")
    user.email_confirmed_at = None
    db.session.commit()
    client.post("/auth/reset", data={"email": user.email})
    link = link_in(smtp.wait(1)[0], "/auth/reset/")
    client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.refresh(user)
    assert user.email_confirmed_at is not None


# --- registration --------------------------------------------------------------------------


def _without_tokens(resp) -> str:
    """The page without its per-request CSRF token (the only part that may differ)."""
    return re.sub(r'(csrf[^>]*?(?:value|content)=")[^"]*', r"\1", resp.get_data(as_text=True))


def _register(client, email, name="Aliya"):
    resp = client.post(
        "/auth/register",
        data={
            "email": email,
            "display_name": name,
            "password": "long-enough-pass",
            "confirm": "long-enough-pass",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/auth/check-inbox"
    return client.get(resp.headers["Location"])


def test_registration_confirms_the_address_by_mail(client, smtp, db):
    with client.session_transaction() as sess:
        sess["locale"] = "kk"
    resp = _register(client, "new.resident@example.org")
    assert resp.status_code == 200 and "new.resident@example.org" in resp.get_data(as_text=True)
    (msg,) = smtp.wait(1)
    user = db.session.scalar(select(User).where(User.email == "new.resident@example.org"))
    assert user.locale == "kk" and user.email_confirmed_at is None
    assert msg["Subject"] == "greenapp үшін электрондық поштаңызды растаңыз"
    assert _sign_in(client, user.email, "long-enough-pass").status_code == 200  # not yet
    confirmed = client.get(link_in(msg, "/auth/confirm/"), follow_redirects=True)
    assert confirmed.status_code == 200
    db.session.refresh(user)
    assert user.email_confirmed_at is not None
    assert _sign_in(client, user.email, "long-enough-pass").status_code == 302


def test_registration_reveals_nothing_about_existing_addresses(client, factory, smtp, db):
    owner = factory.user("resident", email="taken@example.org", locale="be")
    taken = _register(client, "taken@example.org", name="Someone Else")
    fresh = _register(client, "fresh@example.org", name="Someone Else")
    assert taken.status_code == fresh.status_code == 200
    assert _without_tokens(taken).replace("taken@", "X@") == _without_tokens(fresh).replace(
        "fresh@", "X@"
    )
    smtp.wait(2)
    to_owner = smtp.to("taken@example.org")
    assert len(to_owner) == 1
    # the owner is told, in their language, and nothing about their account changed
    assert to_owner[0]["Subject"] == "Хтосьці спрабаваў зарэгістравацца з вашым адрасам"
    db.session.refresh(owner)
    assert owner.display_name != "Someone Else" and owner.check_password(PASSWORD)
    assert db.session.scalar(select(User).where(User.email == "fresh@example.org"))


# --- notifications -------------------------------------------------------------------------


def test_a_notification_is_mailed_in_the_readers_language_with_user_text_escaped(factory, smtp, db):
    user = factory.user("resident", locale="ru")
    notifications.notify(
        user.id,
        notifications.LOG_REJECTED,
        "/logs/7",
        day="2026-11-01",
        reason='<a href="https://evil.example">x</a>',
    )
    assert smtp.messages == []  # nothing before the commit
    db.session.commit()
    (msg,) = smtp.wait(1)
    assert msg["Subject"] == "Новости greenapp"
    assert "Учёный отклонил вашу запись" in text_of(msg)
    assert '<a href="https://evil.example">' not in html_of(msg)
    assert "&lt;a href=" in html_of(msg)
    assert "https://green.example.kz/logs/7" in text_of(msg)
    assert "https://green.example.kz/auth/settings" in text_of(msg)  # how to opt out


def test_no_mail_for_a_rolled_back_change_or_an_opted_out_user(factory, smtp, db):
    quiet = factory.user("resident", notify_by_email=False)
    loud = factory.user("resident")
    notifications.notify(loud.id, notifications.LOG_VERIFIED, "/logs/1", day="2026-11-01")
    db.session.rollback()
    notifications.notify(quiet.id, notifications.LOG_VERIFIED, "/logs/1", day="2026-11-01")
    db.session.commit()
    smtp.wait(1, timeout=0.5)
    assert smtp.messages == []
    # the bell still rings for the opted-out user
    assert notifications.unread_count(quiet.id) == 1


def test_the_opt_outs_are_on_the_settings_page(client, factory, login, db):
    user = factory.user("resident")
    login(user)
    page = client.get("/auth/settings").get_data(as_text=True)
    assert 'name="notify_by_email"' in page and 'name="digest_by_email"' in page
    client.post("/auth/settings", data={"digest_by_email": "y"})
    db.session.refresh(user)
    assert user.notify_by_email is False and user.digest_by_email is True


def test_a_mail_failure_never_loses_the_action(app, factory, db, caplog):
    user = factory.user("resident")
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=9,
        MAIL_TIMEOUT=2,
        MAIL_USERNAME="mailer",
        MAIL_PASSWORD="s3cret-pass",
    )
    with caplog.at_level(logging.WARNING, logger="greenapp.mail"), app.test_request_context():
        from flask import get_flashed_messages

        notifications.notify(user.id, notifications.LOG_VERIFIED, "/logs/1", day="2026-11-01")
        db.session.commit()
        flashed = get_flashed_messages()
    assert db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert any("could not send the e-mail" in m for m in flashed)
    assert "not sent" in caplog.text
    assert "s3cret-pass" not in caplog.text and user.email not in caplog.text


def test_reset_with_a_dead_mail_server_still_answers_kindly(client, app, factory):
    user = factory.user("resident")
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=2)
    resp = client.post("/auth/reset", data={"email": user.email}, follow_redirects=True)
    assert resp.status_code == 200
    assert "If an account uses this address" in resp.get_data(as_text=True)


# --- weekly digest -------------------------------------------------------------------------


def test_the_digest_command_sends_one_mail_per_user_in_their_language(app, factory, smtp, db):
    readers = {
        lang: factory.user("resident", locale=lang, notify_by_email=False)
        for lang in ("kk", "ru", "be", "en")
    }
    opted_out = factory.user("resident", locale="ru", digest_by_email=False, notify_by_email=False)
    factory.user("resident", locale="ru", notify_by_email=False)  # nothing new: no mail
    for user in [*readers.values(), opted_out]:
        for day in ("2026-11-01", "2026-11-02"):
            notifications.notify(user.id, notifications.LOG_VERIFIED, "/logs/1", day=day)
    db.session.commit()
    assert smtp.messages == []  # those users opted out of one mail per event

    result = app.test_cli_runner().invoke(args=["send-digest"])
    assert result.exit_code == 0, result.output
    assert "4 mails sent, 0 failed" in result.output
    smtp.wait(4)
    subjects = {m["X-Envelope-To"]: m["Subject"] for m in smtp.messages}
    assert subjects == {
        readers["kk"].email: "Сіздің greenapp-тағы аптаңыз",
        readers["ru"].email: "Ваша неделя в greenapp",
        readers["be"].email: "Ваш тыдзень у greenapp",
        readers["en"].email: "Your week on greenapp",
    }
    ru = smtp.to(readers["ru"].email)[0]
    assert "2 уведомления за эту неделю" in text_of(ru)
    assert text_of(ru).count("подтверждена учёным") == 2
