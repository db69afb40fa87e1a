"""The flask commands a newcomer and an operator use."""

from sqlalchemy import func, select

from greenapp.models.log import EcoLog
from greenapp.models.school import School
from greenapp.models.user import User
from greenapp.services import guides, summary


def test_seed_demo_is_idempotent_and_consistent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = [
        db.session.scalar(select(func.count()).select_from(m)) for m in (School, User, EcoLog)
    ]
    assert counts[0] >= 7 and counts[1] >= 7 and counts[2] > 1000
    cities = set(db.session.scalars(select(School.city)))
    assert {"Kyzylorda", "Minsk"} <= cities
    assert {u.role for u in db.session.scalars(select(User))} >= {
        "admin",
        "coordinator",
        "resident",
        "scientist",
        "economist",
        "lawyer",
    }
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    again = [db.session.scalar(select(func.count()).select_from(m)) for m in (School, User, EcoLog)]
    assert again == counts
    assert summary.stored_rows() == summary.recompute_rows()
    # Every interface language has demo advice of its own, Belarusian included.
    for lang, title in (
        ("kk", "Су есептегішін"),
        ("ru", "Снимайте показания"),
        ("be", "Здымайце паказанні"),
    ):
        with app.test_request_context():
            tips = guides.tips_for(["water"], lang)
        assert tips and tips[0].title.startswith(title), (lang, [t.title for t in tips])


def test_create_admin_and_create_user(app, db):
    runner = app.test_cli_runner()
    out = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Boss@Example.org",
            "--name",
            "Boss",
            "--password",
            "a-strong-password",
        ]
    )
    assert out.exit_code == 0, out.output
    admin = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert admin.role == "admin" and admin.check_password("a-strong-password")
    bad = runner.invoke(
        args=[
            "create-user",
            "--email",
            "c@example.org",
            "--name",
            "C",
            "--role",
            "coordinator",
            "--password",
            "a-strong-password",
        ]
    )
    assert bad.exit_code != 0 and "must belong to a school" in bad.output


def test_production_refuses_a_weak_secret(monkeypatch):
    import pytest

    from greenapp import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": "short"})
    app = create_app("production", {"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
