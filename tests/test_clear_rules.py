"""Issue 8, item 5 (part): a legal basis cites a norm, residents log from when they
joined, Join only where joining is possible."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from greenapp.models.experts import Proposal
from greenapp.models.log import EcoLog
from greenapp.services import proposals as proposal_service
from greenapp.services.proposals import cites_a_norm
from tests.helpers import make_challenge, signed_in_client


@pytest.mark.parametrize(
    "text",
    [
        "Law on Local Government, art. 27",
        "Water Code of the Republic of Kazakhstan, Article 72",
        "Экологический кодекс Республики Казахстан, ст. 321",
        "Қазақстан Республикасының Су кодексі, 72-бап",
        "Закон Рэспублікі Беларусь «Аб ахове навакольнага асяроддзя», артыкул 5",
        "Решение маслихата г. Кызылорды № 12, п. 3",
    ],
)
def test_a_citation_of_an_act_and_article_is_accepted(text):
    assert cites_a_norm(text)


@pytest.mark.parametrize(
    "text",
    [
        ".",
        "x",
        "ok",
        "art. 5",
        "the law",
        "see the code",
        "1234567890",
        "Lorem ipsum dolor sit amet",
    ],
)
def test_anything_that_is_not_a_citation_is_refused(text):
    assert not cites_a_norm(text)


def test_a_dot_as_legal_basis_is_refused_next_to_the_field(app, factory, db):
    author = factory.user("resident")
    proposal = proposal_service.submit(
        author,
        proposal_service.ProposalInput(
            kind="proposal",
            title="Bins",
            text="Put sorting bins at every school gate.",
            category="waste",
            district="Central",
        ),
    )
    db.session.commit()
    lawyer = signed_in_client(app, factory.user("lawyer"))
    lawyer.post(f"/experts/proposals/{proposal.id}/review", data={"status": "under_review"})
    resp = lawyer.post(
        f"/experts/proposals/{proposal.id}/review",
        data={"status": "accepted", "legal_basis": ".", "decision_text": "Accepted."},
    )
    assert resp.status_code == 400
    assert "Cite the norm" in resp.get_data(as_text=True)
    db.session.refresh(proposal)
    assert db.session.get(Proposal, proposal.id).status == "under_review"


def _new_resident(factory):
    return factory.user("resident", created_at=datetime.now(UTC))


def _log_form(day: date) -> dict:
    return {
        "category": "water",
        "quantity": "5",
        "unit": "L",
        "evidence": "self",
        "action_date": day.isoformat(),
        "fraction": "",
        "note": "",
    }


@pytest.mark.parametrize("day", [date(2001, 5, 1), date.today() - timedelta(days=30)])
def test_a_resident_cannot_log_before_joining(app, factory, db, day):
    client = signed_in_client(app, _new_resident(factory))
    resp = client.post("/logs/new", data=_log_form(day))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "before you joined the Green Community" in page
    assert db.session.scalar(select(func.count()).select_from(EcoLog)) == 0


def test_a_resident_can_log_the_week_before_joining(app, factory, db):
    client = signed_in_client(app, _new_resident(factory))
    client.post("/logs/new", data=_log_form(date.today() - timedelta(days=3)))
    assert db.session.scalar(select(func.count()).select_from(EcoLog)) == 1


@pytest.mark.parametrize(
    ("audience", "role", "button"),
    [
        ("residents", "coordinator", False),
        ("schools", "resident", False),
        ("residents", "resident", True),
        ("schools", "coordinator", True),
        ("both", "coordinator", True),
    ],
)
def test_the_join_button_shows_only_where_joining_is_possible(
    app, factory, db, audience, role, button
):
    challenge = make_challenge(db, factory.user("admin"), audience=audience)
    client = signed_in_client(app, factory.user(role))
    page = client.get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert (f"/community/challenges/{challenge.id}/join" in page) is button
    if not button:
        assert "only" in page


def test_no_join_invitation_for_visitors_on_a_schools_only_challenge(app, factory, db):
    challenge = make_challenge(db, factory.user("admin"), audience="schools")
    page = app.test_client().get(f"/community/challenges/{challenge.id}").get_data(as_text=True)
    assert "/auth/register" not in page.split('class="join-box"')[1].split("</div>")[0]
