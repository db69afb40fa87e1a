"""Features in their own rooms: the expert tools' blueprints, one limit per field, and
domain errors met in one place (a form with the message, or the 403/404/409 page)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from wtforms.validators import Length

from greenapp.community.forms import ChallengeForm
from greenapp.guides.forms import GuideForm
from greenapp.models import community as c
from greenapp.models import experts as m
from greenapp.models.community import Challenge
from greenapp.models.experts import Guide, Proposal
from greenapp.proposals.forms import ProposalForm, ProposalReviewForm

BLUEPRINT_OF = {
    "/experts/": "experts",
    "/experts/guides": "guides",
    "/experts/guides/new": "guides",
    "/experts/quality": "quality",
    "/experts/proposals": "proposals",
    "/experts/proposals/new": "proposals",
    "/experts/decisions": "proposals",
    "/experts/savings": "savings",
    "/experts/savings.csv": "savings",
    "/experts/what-if": "savings",
}


def test_expert_urls_stay_and_each_belongs_to_its_feature(app):
    served = {r.rule: r.endpoint.split(".")[0] for r in app.url_map.iter_rules()}
    for url, blueprint in BLUEPRINT_OF.items():
        assert served.get(url) == blueprint, url


def _max_length(form_cls, name: str, app) -> int:
    with app.test_request_context():
        field = getattr(form_cls(meta={"csrf": False}), name)
    return next(v.max for v in field.validators if isinstance(v, Length))


@pytest.mark.parametrize(
    ("form_cls", "field", "column", "limit"),
    [
        (GuideForm, "title", Guide.__table__.c.title, m.GUIDE_TITLE_MAX),
        (GuideForm, "body", None, m.GUIDE_BODY_MAX),
        (ProposalForm, "title", Proposal.__table__.c.title, m.PROPOSAL_TITLE_MAX),
        (ProposalForm, "text", None, m.PROPOSAL_TEXT_MAX),
        (ProposalForm, "district", Proposal.__table__.c.district, m.DISTRICT_MAX),
        (ProposalForm, "evidence_path", Proposal.__table__.c.evidence_path, m.EVIDENCE_PATH_MAX),
        (ProposalReviewForm, "legal_basis", None, m.LEGAL_BASIS_MAX),
        (ProposalReviewForm, "decision_text", None, m.DECISION_TEXT_MAX),
        (ChallengeForm, "title", Challenge.__table__.c.title, c.CHALLENGE_TITLE_MAX),
        (ChallengeForm, "description", None, c.CHALLENGE_DESCRIPTION_MAX),
    ],
)
def test_column_form_and_service_share_one_limit(app, form_cls, field, column, limit):
    assert _max_length(form_cls, field, app) == limit
    if column is not None:
        assert column.type.length == limit


def test_the_service_refuses_past_the_same_limit(factory, db):
    from greenapp.services import proposals
    from greenapp.services.errors import ValidationFailed

    resident = factory.user("resident")
    data = proposals.ProposalInput(
        kind="proposal",
        title="x" * (m.PROPOSAL_TITLE_MAX + 1),
        text="Put sorting bins at every school gate.",
        category="waste",
        district="Shugyla",
    )
    with pytest.raises(ValidationFailed) as exc:
        proposals.submit(resident, data)
    assert exc.value.field == "title"
    data.title = "x" * m.PROPOSAL_TITLE_MAX
    assert proposals.submit(resident, data).title == data.title


def test_a_service_refusal_re_renders_the_form_with_the_typed_values(client, factory, login, db):
    login(factory.user("resident"))
    resp = client.post(
        "/experts/proposals/new",
        data={
            "kind": "proposal",
            "title": "Bins at the gate",
            "category": "waste",
            "text": "Put sorting bins at every school gate, please.",
            "district": "Shugyla",
            "evidence_path": "https://evil.example.org/x",
        },
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "outside addresses are not accepted" in page
    assert 'value="https://evil.example.org/x"' in page and 'value="Bins at the gate"' in page
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


@pytest.mark.parametrize(
    ("error", "status"),
    [("PermissionDenied", 403), ("NotFound", 404), ("Conflict", 409), ("ValidationFailed", 400)],
)
def test_domain_errors_no_route_caught_get_their_page_and_a_rollback(
    app, factory, db, error, status
):
    """The registered handler: a service's refusal anywhere is a page, never a 500."""
    from greenapp.services import errors

    resident = factory.user("resident")
    resident.display_name = "NOT SAVED"  # a change in the transaction when the error comes
    db.session.flush()
    with app.test_request_context("/"):
        resp = app.make_response(app.handle_user_exception(getattr(errors, error)("refused")))
    assert resp.status_code == status
    assert "<html" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert resident.display_name != "NOT SAVED"
