"""With CSRF protection on (as in production), a POST without a token is refused."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from greenapp.models.log import EcoLog
from tests.helpers import PASSWORD


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def test_post_without_token_is_rejected_and_changes_nothing(csrf_client, factory, db):
    coordinator = factory.user("coordinator")
    # Signing in itself needs a token: without one the login form is refused.
    refused = csrf_client.post(
        "/auth/login", data={"email": coordinator.email, "password": PASSWORD}
    )
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)


def test_log_post_without_token_is_rejected_even_when_signed_in(csrf_client, factory, db):
    coordinator = factory.user("coordinator")
    page = csrf_client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = csrf_client.post(
        "/auth/login", data={"email": coordinator.email, "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302
    resp = csrf_client.post(
        "/logs/new",
        data={
            "category": "water",
            "quantity": "5",
            "unit": "L",
            "evidence": "self",
            "action_date": (date.today() - timedelta(days=1)).isoformat(),
        },
    )
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(EcoLog)) == 0
    assert csrf_client.post("/auth/logout").status_code == 400
