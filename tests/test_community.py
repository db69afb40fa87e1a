"""Challenges: create, join, leave, progress, leaderboard, badges, resident home, bell."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from greenapp.models.community import Badge, Challenge, ChallengeParticipant, Notification
from greenapp.services import challenges as svc
from greenapp.services.errors import Conflict
from tests.helpers import PASSWORD, local_today, make_challenge


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _form(**kw):
    data = {
        "title": "Water week",
        "description": "Less water",
        "category": "water",
        "fraction": "",
        "target": "500",
        "start_date": local_today().isoformat(),
        "end_date": (local_today() + timedelta(days=7)).isoformat(),
        "audience": "both",
    }
    data.update(kw)
    return data


def test_scientist_creates_a_challenge(client, factory, login, db):
    login(factory.user("scientist"))
    resp = client.post("/community/challenges/new", data=_form(), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Water week" in page and "7 days left" in page
    challenge = db.session.scalar(select(Challenge))
    assert challenge.target == Decimal("500")


def test_end_before_start_is_refused_and_keeps_input(client, factory, login, db):
    login(factory.user("admin"))
    bad = _form(title="Backwards", end_date=(date.today() - timedelta(days=1)).isoformat())
    page = client.post("/community/challenges/new", data=bad).get_data(as_text=True)
    assert "The end date cannot be before the start date." in page
    assert 'value="Backwards"' in page
    assert _count(db, Challenge) == 0


@pytest.mark.parametrize("target", ["-5", "abc", "0"])
def test_bad_target_is_refused(client, factory, login, db, target):
    login(factory.user("admin"))
    page = client.post("/community/challenges/new", data=_form(target=target)).get_data(
        as_text=True
    )
    assert 'class="error"' in page
    assert _count(db, Challenge) == 0


def test_resident_joins_logs_and_progress_moves(client, factory, login, db):
    challenge = make_challenge(db, factory.user("scientist"), target="300")
    resident = factory.user("resident", display_name="Aliya")
    login(resident)
    resp = client.post(f"/community/challenges/{challenge.id}/join", follow_redirects=True)
    assert "You joined the challenge" in resp.get_data(as_text=True)
    page = client.get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert 'value="0"' in page and "Aliya" in page
    factory.log(resident, quantity="60", unit="L")
    factory.log(resident, quantity="90", unit="L")
    page = client.get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert 'value="50"' in page and "150 / 300 L" in page
    home = client.get("/community/").get_data(as_text=True)
    assert "Water week" not in home and "Save water in November" in home
    assert "150 L" in home


def test_logs_outside_window_or_category_or_without_evidence_do_not_count(factory, db):
    challenge = make_challenge(
        db,
        factory.user("scientist"),
        evidence_required=True,
        start_date=date.today() - timedelta(days=3),
    )
    resident = factory.user("resident")
    svc.join(resident, challenge, date.today())
    db.session.commit()
    factory.log(resident, quantity="100", action_date=date.today() - timedelta(days=10))
    factory.log(resident, category="energy", quantity="5", unit="kWh")
    factory.log(resident, quantity="40", evidence="self")
    factory.log(resident, quantity="25", evidence="document")
    [standing] = svc.leaderboard(challenge)
    assert standing.total == Decimal("25")


def test_joining_twice_or_a_finished_challenge_changes_nothing(client, factory, login, db):
    running = make_challenge(db, factory.user("scientist"))
    finished = make_challenge(
        db,
        factory.user("admin"),
        title="Old",
        start_date=date.today() - timedelta(days=30),
        end_date=date.today() - timedelta(days=1),
    )
    login(factory.user("resident"))
    client.post(f"/community/challenges/{running.id}/join")
    page = client.post(f"/community/challenges/{running.id}/join", follow_redirects=True).get_data(
        as_text=True
    )
    assert "You are already taking part in this challenge." in page
    page = client.post(f"/community/challenges/{finished.id}/join", follow_redirects=True).get_data(
        as_text=True
    )
    assert "This challenge has finished" in page
    assert _count(db, ChallengeParticipant) == 1


def test_simultaneous_joins_make_one_membership(factory, db):
    challenge = make_challenge(db, factory.user("scientist"))
    resident = factory.user("resident")
    # The other request inserted its row between our check and our insert.
    db.session.add(
        ChallengeParticipant(
            challenge_id=challenge.id,
            owner_type="resident",
            owner_id=resident.id,
            joined_by_id=resident.id,
        )
    )
    db.session.commit()
    original = svc.membership
    svc.membership = lambda *a: None  # the check saw nothing yet
    try:
        with pytest.raises(Conflict):
            svc.join(resident, challenge, date.today())
    finally:
        svc.membership = original
    db.session.commit()
    assert _count(db, ChallengeParticipant) == 1


def test_audience_is_enforced(client, factory, login, db):
    challenge = make_challenge(db, factory.user("scientist"), audience="schools")
    login(factory.user("resident"))
    page = client.post(
        f"/community/challenges/{challenge.id}/join", follow_redirects=True
    ).get_data(as_text=True)
    assert "This challenge is for schools only." in page
    assert _count(db, ChallengeParticipant) == 0


def test_leave(client, factory, login, db):
    challenge = make_challenge(db, factory.user("scientist"))
    login(factory.user("resident"))
    client.post(f"/community/challenges/{challenge.id}/join")
    page = client.post(
        f"/community/challenges/{challenge.id}/leave", follow_redirects=True
    ).get_data(as_text=True)
    assert "You left the challenge." in page
    assert _count(db, ChallengeParticipant) == 0


def test_schools_are_ranked_per_pupil(factory, db):
    challenge = make_challenge(db, factory.user("scientist"), target="1", audience="schools")
    big = factory.user("coordinator", school=factory.school(name="Big", pupils=1000))
    small = factory.user("coordinator", school=factory.school(name="Small", pupils=100))
    for coordinator in (big, small):
        svc.join(coordinator, challenge, date.today())
    db.session.commit()
    factory.log(big, quantity="500")  # 0.5 L per pupil
    factory.log(small, quantity="200")  # 2 L per pupil: wins and completes
    board = svc.leaderboard(challenge)
    assert [s.name for s in board] == ["Small", "Big"]
    assert board[0].per_pupil == Decimal("2") and board[0].completed
    assert not board[1].completed
    assert _count(db, Badge) == 1


def test_opted_out_resident_is_anonymous_on_the_leaderboard(client, factory, db):
    challenge = make_challenge(db, factory.user("scientist"))
    shy = factory.user("resident", display_name="Shy Samat", public_listing=False)
    svc.join(shy, challenge, date.today())
    db.session.commit()
    page = client.get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert "Shy Samat" not in page and "Anonymous resident" in page


def test_resident_can_opt_out_from_the_home_page(client, factory, login, db):
    resident = factory.user("resident")
    login(resident)
    client.post("/community/listing", data={"public": "0"})
    db.session.refresh(resident)
    assert resident.public_listing is False


def test_completing_awards_a_badge_once_and_rings_the_bell(client, factory, login, db):
    challenge = make_challenge(db, factory.user("scientist"), target="100")
    resident = factory.user("resident")
    login(resident)
    client.post(f"/community/challenges/{challenge.id}/join")
    assert "bell-count" not in client.get("/community/").get_data(as_text=True)
    factory.log(resident, quantity="120")
    factory.log(resident, quantity="10")
    assert _count(db, Badge) == 1
    home = client.get("/community/").get_data(as_text=True)
    assert "My badges" in home and 'class="badge badge-bad bell-count">1<' in home
    page = client.get("/community/notifications").get_data(as_text=True)
    assert "Challenge completed" in page
    note = db.session.scalar(select(Notification))
    resp = client.post("/community/notifications/read", data={"notification_id": note.id})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/community/notifications")
    assert "bell-count" not in client.get("/community/").get_data(as_text=True)


def test_a_user_cannot_mark_someone_elses_notification(client, factory, login, db):
    owner = factory.user("resident")
    db.session.add(
        Notification(user_id=owner.id, kind="challenge_completed", params={"title": "x"})
    )
    db.session.commit()
    login(factory.user("resident"))
    note = db.session.scalar(select(Notification))
    resp = client.post("/community/notifications/read", data={"notification_id": note.id})
    # the request went through (a 400 would leave read_at unset without trying)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/community/notifications")
    db.session.refresh(note)
    assert note.read_at is None
    # the owner's own request does mark it read: the check above can fail
    owner_client = client.application.test_client()
    resp = owner_client.post("/auth/login", data={"email": owner.email, "password": PASSWORD})
    assert resp.status_code == 302
    assert (
        owner_client.post(
            "/community/notifications/read", data={"notification_id": note.id}
        ).status_code
        == 302
    )
    db.session.refresh(note)
    assert note.read_at is not None


def test_coordinator_enters_the_school(client, factory, login, db):
    challenge = make_challenge(db, factory.user("scientist"))
    coordinator = factory.user("coordinator")
    login(coordinator)
    page = client.get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert "Enter my school" in page
    client.post(f"/community/challenges/{challenge.id}/join")
    row = db.session.scalar(select(ChallengeParticipant))
    assert (row.owner_type, row.owner_id) == ("school", coordinator.school_id)


def test_challenge_script_in_title_is_escaped(client, factory, db):
    challenge = make_challenge(db, factory.user("scientist"), title="<script>alert(1)</script>")
    page = client.get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
