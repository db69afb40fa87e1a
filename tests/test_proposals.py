"""Proposals: submit, support once, legal review with history, author-only edits."""

import pytest
from sqlalchemy import func, select

from greenapp.models.audit import AuditRecord
from greenapp.models.community import Notification
from greenapp.models.experts import Proposal, ProposalEvent, ProposalSupport

FORM = {
    "kind": "proposal",
    "title": "More recycling bins on Abai Avenue",
    "text": "Our block sorts 40 kg of plastic a month but the bins are always full.",
    "category": "waste",
    "district": "Central",
    "challenge_id": "",
    "evidence_path": "",
}


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _submit(client, **kw):
    return client.post("/experts/proposals/new", data={**FORM, **kw}, follow_redirects=True)


def test_resident_submits_lawyer_forwards_author_is_notified(client, factory, login, db):
    author = factory.user("resident")
    login(author)
    page = _submit(client).get_data(as_text=True)
    assert "Your proposal was submitted" in page and "submitted" in page
    proposal = db.session.scalar(select(Proposal))
    client.post("/auth/logout")
    lawyer = factory.user("lawyer")
    login(lawyer)
    client.post(f"/experts/proposals/{proposal.id}/review", data={"status": "under_review"})
    resp = client.post(
        f"/experts/proposals/{proposal.id}/review",
        data={
            "status": "forwarded",
            "legal_basis": "Law on Local Government, art. 27",
            "decision_text": "Forwarded to the akimat's housing department.",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == "forwarded" and proposal.legal_basis.startswith("Law on")
    events = db.session.scalars(select(ProposalEvent).order_by(ProposalEvent.id)).all()
    assert [e.to_status for e in events] == ["submitted", "under_review", "forwarded"]
    client.post("/auth/logout")
    login(author)
    page = client.get("/experts/proposals").get_data(as_text=True)
    assert 'bell-count">2<' in page
    page = client.get("/community/notifications").get_data(as_text=True)
    assert "forwarded to the city administration" in page
    client.post("/auth/logout")
    page = client.get("/experts/decisions").get_data(as_text=True)
    assert "More recycling bins" in page and "art. 27" in page


def test_decision_without_legal_basis_is_refused(client, factory, login, db):
    login(factory.user("resident"))
    _submit(client)
    proposal = db.session.scalar(select(Proposal))
    client.post("/auth/logout")
    login(factory.user("lawyer"))
    client.post(f"/experts/proposals/{proposal.id}/review", data={"status": "under_review"})
    resp = client.post(
        f"/experts/proposals/{proposal.id}/review",
        data={"status": "accepted", "legal_basis": "  ", "decision_text": "Fine."},
    )
    assert resp.status_code == 400
    assert "Name the legal basis" in resp.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status == "under_review"
    assert _count(db, ProposalEvent) == 2


def test_skipping_the_review_step_is_refused(client, factory, login, db):
    login(factory.user("resident"))
    _submit(client)
    proposal = db.session.scalar(select(Proposal))
    client.post("/auth/logout")
    login(factory.user("lawyer"))
    resp = client.post(
        f"/experts/proposals/{proposal.id}/review",
        data={"status": "accepted", "legal_basis": "x", "decision_text": "y"},
    )
    assert resp.status_code == 400
    db.session.refresh(proposal)
    assert proposal.status == "submitted"


def test_only_the_author_edits_and_only_while_submitted(client, factory, login, db):
    author = factory.user("resident")
    login(author)
    _submit(client)
    proposal = db.session.scalar(select(Proposal))
    client.post(f"/experts/proposals/{proposal.id}/edit", data={**FORM, "title": "Bins!"})
    db.session.refresh(proposal)
    assert proposal.title == "Bins!"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity_type == "proposal", AuditRecord.action == "update")
        )
        == 1
    )
    client.post("/auth/logout")
    login(factory.user("resident"))
    assert client.get(f"/experts/proposals/{proposal.id}/edit").status_code == 403
    assert (
        client.post(
            f"/experts/proposals/{proposal.id}/edit", data={**FORM, "title": "Hijacked"}
        ).status_code
        == 403
    )
    client.post("/auth/logout")
    login(factory.user("lawyer"))
    client.post(f"/experts/proposals/{proposal.id}/review", data={"status": "under_review"})
    client.post("/auth/logout")
    login(author)
    assert client.get(f"/experts/proposals/{proposal.id}/edit").status_code == 403
    db.session.refresh(proposal)
    assert proposal.title == "Bins!"


def test_support_once(client, factory, login, db):
    login(factory.user("resident"))
    _submit(client)
    proposal = db.session.scalar(select(Proposal))
    client.post("/auth/logout")
    login(factory.user("economist"))
    client.post(f"/experts/proposals/{proposal.id}/support")
    page = client.post(f"/experts/proposals/{proposal.id}/support", follow_redirects=True).get_data(
        as_text=True
    )
    assert "You already support this proposal." in page
    db.session.refresh(proposal)
    assert proposal.support_count == 1 and _count(db, ProposalSupport) == 1


def test_outside_links_are_refused_and_input_kept(client, factory, login, db):
    login(factory.user("coordinator"))
    for bad in (
        "https://evil.example/x",
        "//evil.example",
        "javascript:alert(1)",
        "/auth/logout",
        "/\\evil.example",
    ):
        page = _submit(client, evidence_path=bad).get_data(as_text=True)
        assert "outside addresses are not accepted" in page, bad
    assert "More recycling bins" in page
    assert _count(db, Proposal) == 0
    page = _submit(client, evidence_path="/dashboards/programme").get_data(as_text=True)
    assert 'href="/dashboards/programme"' in page


def test_script_in_a_proposal_is_inert(client, factory, login, db):
    login(factory.user("resident"))
    _submit(
        client,
        title="<script>alert(1)</script>",
        text='<img src=x onerror="alert(1)"> please fix the lights',
    )
    proposal = db.session.scalar(select(Proposal))
    page = client.get(f"/experts/proposals/{proposal.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_short_text_and_missing_district_are_refused(client, factory, login, db):
    login(factory.user("resident"))
    page = _submit(client, text="too short").get_data(as_text=True)
    assert "at least 20 characters" in page
    page = _submit(client, district="").get_data(as_text=True)
    assert "Name the city district." in page
    assert _count(db, Proposal) == 0
    assert _count(db, Notification) == 0


def test_a_step_taken_from_an_older_page_sees_the_state_another_person_left(factory, db):
    """The author's page (or a second lawyer's) may be older than a lawyer's step: the
    edit or review re-reads the proposal under a lock before it checks the status, so
    an author cannot change a text the lawyers have started on, and a step from a state
    the proposal has already left is refused instead of applied."""
    import sqlalchemy as sa

    from greenapp.services import proposals as proposal_service
    from greenapp.services.errors import PermissionDenied, ValidationFailed

    author = factory.user("resident")
    lawyer = factory.user("lawyer")
    typed = proposal_service.ProposalInput(
        kind="proposal",
        title="Bins for Shugyla district",
        text="Put sorting bins at every school gate, please.",
        category="waste",
        district="Shugyla",
    )
    proposal = proposal_service.submit(author, typed)
    db.session.commit()
    assert proposal.status == proposal_service.SUBMITTED  # what the author's page shows
    with db.engine.begin() as other:  # meanwhile a lawyer starts the review
        other.execute(
            sa.text("UPDATE proposals SET status = :s WHERE id = :id"),
            {"s": proposal_service.UNDER_REVIEW, "id": proposal.id},
        )
    with pytest.raises(PermissionDenied):
        proposal_service.edit(author, proposal, typed)
    db.session.rollback()
    with pytest.raises(ValidationFailed):  # "start the review" again, from the old page
        proposal_service.review(lawyer, proposal, proposal_service.UNDER_REVIEW, "", "")
    db.session.rollback()
    assert db.session.get(type(proposal), proposal.id).status == proposal_service.UNDER_REVIEW
