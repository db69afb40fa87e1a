"""Residents' proposals and demands, reviewed by lawyers within the law.

Life of a proposal: submitted -> under_review -> accepted | rejected | forwarded (to
the city administration). Every change is kept as a ProposalEvent; decisions need the
legal basis (the norm relied on) and a decision text; the author is notified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.community import Challenge
from greenapp.models.experts import (
    ACCEPTED,
    DECIDED_STATES,
    DECISION_TEXT_MAX,
    DISTRICT_MAX,
    EVIDENCE_PATH_MAX,
    FORWARDED,
    LEGAL_BASIS_MAX,
    PROPOSAL_KINDS,
    PROPOSAL_TEXT_MAX,
    PROPOSAL_TEXT_MIN,
    PROPOSAL_TITLE_MAX,
    REJECTED,
    SUBMITTED,
    UNDER_REVIEW,
    Proposal,
    ProposalEvent,
    ProposalSupport,
)
from greenapp.models.user import User
from greenapp.permissions import PROPOSAL_AUTHORS, PROPOSAL_REVIEWERS
from greenapp.services import audit, locking, notifications
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.units import CATEGORIES

AUTHORS = PROPOSAL_AUTHORS  # kept for callers; defined in permissions.py
REVIEWERS = PROPOSAL_REVIEWERS
TRANSITIONS = {SUBMITTED: (UNDER_REVIEW,), UNDER_REVIEW: DECIDED_STATES}
# On-site pages a proposal may point to as its supporting data.
EVIDENCE_PREFIXES = ("/dashboards", "/community/challenges/", "/schools/", "/impact")
AUDITED = ("kind", "title", "text", "category", "district", "challenge_id", "evidence_path")


def status_labels() -> dict:
    """Translated names of the proposal states."""
    return {
        SUBMITTED: _l("submitted"),
        UNDER_REVIEW: _l("under legal review"),
        ACCEPTED: _l("accepted"),
        REJECTED: _l("rejected"),
        FORWARDED: _l("forwarded to the city administration"),
    }


def field_labels() -> dict:
    """Translated names of the fields an author can edit."""
    return {
        "kind": _l("Kind"),
        "title": _l("Title"),
        "text": _l("Text"),
        "category": _l("Category"),
        "district": _l("City district"),
        "challenge_id": _l("Supporting challenge"),
        "evidence_path": _l("Supporting data"),
    }


def kind_labels() -> dict:
    """Translated names of the proposal kinds."""
    return {"proposal": _l("Proposal"), "demand": _l("Demand")}


@dataclass
class ProposalInput:
    """What an author typed."""

    kind: str
    title: str
    text: str
    category: str
    district: str
    challenge_id: int | None = None
    evidence_path: str = ""


def clean_evidence_path(value: str) -> str:
    """Accept only a path on this site (e.g. /dashboards/...), never an outside URL."""
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or len(value) > EVIDENCE_PATH_MAX
        or not parts.path.startswith(EVIDENCE_PREFIXES)
    ):
        raise ValidationFailed(
            _l(
                "Give a link to a page of this site, for example /dashboards/… or "
                "/community/challenges/…; outside addresses are not accepted."
            ),
            "evidence_path",
        )
    return value


def _validate(data: ProposalInput) -> dict:
    if data.kind not in PROPOSAL_KINDS:
        raise ValidationFailed(_l("Choose proposal or demand."), "kind")
    title = (data.title or "").strip()
    if not title:
        raise ValidationFailed(_l("Give it a title."), "title")
    if len(title) > PROPOSAL_TITLE_MAX:
        raise ValidationFailed(_l("The title is too long (160 characters at most)."), "title")
    text = (data.text or "").strip()
    if len(text) < PROPOSAL_TEXT_MIN:
        raise ValidationFailed(_l("Describe it in at least 20 characters."), "text")
    if len(text) > PROPOSAL_TEXT_MAX:
        raise ValidationFailed(_l("The text is too long."), "text")
    if data.category not in CATEGORIES:
        raise ValidationFailed(_l("Choose a category."), "category")
    district = (data.district or "").strip()
    if not district:
        raise ValidationFailed(_l("Name the city district."), "district")
    if len(district) > DISTRICT_MAX:
        raise ValidationFailed(_l("The district name is too long."), "district")
    if data.challenge_id and db.session.get(Challenge, data.challenge_id) is None:
        raise ValidationFailed(_l("Choose a challenge from the list."), "challenge_id")
    return {
        "kind": data.kind,
        "title": title,
        "text": text,
        "category": data.category,
        "district": district,
        "challenge_id": data.challenge_id or None,
        "evidence_path": clean_evidence_path(data.evidence_path),
    }


def submit(actor: User, data: ProposalInput) -> Proposal:
    """A resident or coordinator submits a proposal."""
    if actor.role not in AUTHORS:
        raise PermissionDenied(_l("Only residents and school coordinators submit proposals."))
    proposal = Proposal(author_id=actor.id, status=SUBMITTED, **_validate(data))
    db.session.add(proposal)
    db.session.flush()
    db.session.add(
        ProposalEvent(
            proposal_id=proposal.id, from_status="", to_status=SUBMITTED, actor_id=actor.id
        )
    )
    audit.record(
        "proposal", proposal.id, "create", actor, audit.diff({}, audit.snapshot(proposal, AUDITED))
    )
    return proposal


def can_edit(user: User, proposal: Proposal) -> bool:
    """Only the author, and only while the proposal is still submitted (permissions.py)."""
    from greenapp.permissions import can_edit as may_edit

    return may_edit(proposal, user)


def edit(actor: User, proposal: Proposal, data: ProposalInput) -> Proposal:
    """The author changes a submitted proposal (audited)."""
    if actor.id != proposal.author_id:
        raise PermissionDenied(_l("Only the author may edit a proposal."))
    locking.lock(proposal)  # a step from an older page sees the state now
    if proposal.status != SUBMITTED:
        raise PermissionDenied(_l("Lawyers have started reviewing it; it can no longer be edited."))
    before = audit.snapshot(proposal, AUDITED)
    for name, value in _validate(data).items():
        setattr(proposal, name, value)
    changes = audit.diff(before, audit.snapshot(proposal, AUDITED))
    if changes:
        audit.record("proposal", proposal.id, "update", actor, changes)
    return proposal


def has_supported(user: User, proposal: Proposal) -> bool:
    """True if this user already supports the proposal."""
    return (
        db.session.scalar(
            select(ProposalSupport.id).where(
                ProposalSupport.proposal_id == proposal.id, ProposalSupport.user_id == user.id
            )
        )
        is not None
    )


def support(actor: User, proposal: Proposal) -> None:
    """Support a proposal once; a second time is refused."""
    if has_supported(actor, proposal):
        raise Conflict(_l("You already support this proposal."))
    try:
        with db.session.begin_nested():
            db.session.add(ProposalSupport(proposal_id=proposal.id, user_id=actor.id))
    except IntegrityError:
        raise Conflict(_l("You already support this proposal.")) from None
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count + 1)
    )
    db.session.refresh(proposal)


# The kinds of act a decision may rely on (stems, in en, ru, kk and be).
_ACT_STEMS = (
    "law",
    "code",
    "decree",
    "order",
    "resolution",
    "constitution",
    "regulation",
    "rules",
    "закон",
    "кодекс",
    "кодэкс",
    "указ",
    "постановлен",
    "пастанов",
    "приказ",
    "загад",
    "правил",
    "правіл",
    "конституц",
    "канстытуц",
    "решени",
    "рашэнн",
    "заң",
    "жарлы",
    "қаулы",
    "бұйрық",
    "ереже",
    "положени",
    "палажэнн",
    "договор",
    "дагавор",
    "конвенц",
    "канвенц",
    "шарт",
)
# An article (or paragraph/section) with its number, written the ways the four
# languages write it: "art. 27", "Article 5", "ст. 27", "статья 27", "арт. 3",
# "артыкул 3", "27-бап", "п. 3", "§ 4".
_ARTICLE = re.compile(
    r"(?:\b(?:art|arts|article|articles|section|ст|статья|статьи|статье|статьёй|арт"
    r"|артыкул|артыкула|артыкулам|бап|бабы|баптың|тармақ|тармағы|пункт|пункта|п|ч|част"
    r"|часть|частка|частка)\.?\s*№?\s*\d+)|(?:\d+\s*-?\s*(?:бап|бабы|баптың|тармақ|тармағы)"
    r"\b)|(?:§\s*\d+)",
    re.IGNORECASE,
)


def cites_a_norm(text: str) -> bool:
    """True if text names an act (law, code, decree ...) and an article with its number."""
    lowered = text.lower()
    words = re.findall(r"[^\W\d_]+", lowered)
    names_act = any(w.startswith(_ACT_STEMS) or w in ("act", "acts") for w in words)
    return names_act and _ARTICLE.search(text) is not None


def review(
    actor: User, proposal: Proposal, to_status: str, legal_basis: str, decision_text: str
) -> Proposal:
    """A lawyer moves the proposal on; decisions need a legal basis and a text."""
    if actor.role not in REVIEWERS:
        raise PermissionDenied(_l("Only lawyers review proposals."))
    locking.lock(proposal)  # a step from an older page sees the state now
    if to_status not in TRANSITIONS.get(proposal.status, ()):
        raise ValidationFailed(_l("This step is not possible from the current state."), "status")
    legal_basis = (legal_basis or "").strip()
    decision_text = (decision_text or "").strip()
    if to_status in DECIDED_STATES:
        if not legal_basis:
            raise ValidationFailed(
                _l("Name the legal basis: the norm the decision relies on."), "legal_basis"
            )
        if not cites_a_norm(legal_basis):
            raise ValidationFailed(
                _l(
                    "Cite the norm: the act and its article, for example “Water Code of the "
                    "Republic of Kazakhstan, art. 72” or “Кодекс, ст. 72”."
                ),
                "legal_basis",
            )
        if not decision_text:
            raise ValidationFailed(_l("Write the decision text."), "decision_text")
    if len(legal_basis) > LEGAL_BASIS_MAX or len(decision_text) > DECISION_TEXT_MAX:
        raise ValidationFailed(_l("The text is too long."), "decision_text")
    before = {"status": proposal.status}
    db.session.add(
        ProposalEvent(
            proposal_id=proposal.id,
            from_status=proposal.status,
            to_status=to_status,
            legal_basis=legal_basis,
            note=decision_text,
            actor_id=actor.id,
        )
    )
    proposal.status = to_status
    proposal.reviewer_id = actor.id
    if to_status in DECIDED_STATES:
        proposal.legal_basis = legal_basis
        proposal.decision_text = decision_text
        proposal.decided_at = utcnow()
    audit.record(
        "proposal", proposal.id, "review", actor, audit.diff(before, {"status": to_status})
    )
    notifications.notify(
        proposal.author_id,
        notifications.PROPOSAL_STATUS,
        f"/experts/proposals/{proposal.id}",
        title=proposal.title,
        status=to_status,
    )
    return proposal


def listing(status: str | None = None) -> Select:
    """Proposals, newest first, optionally of one state."""
    stmt = select(Proposal)
    if status:
        stmt = stmt.where(Proposal.status == status)
    return stmt.order_by(Proposal.created_at.desc(), Proposal.id.desc())


def decided() -> Select:
    """Accepted, rejected and forwarded proposals: the public list of decisions."""
    return (
        select(Proposal)
        .where(Proposal.status.in_(DECIDED_STATES))
        .order_by(Proposal.decided_at.desc(), Proposal.id.desc())
    )
