"""Helpers shared by the community and experts tests."""

from __future__ import annotations

from datetime import date, timedelta

from greenapp.services import challenges as svc


def make_challenge(db, creator, **kw):
    """A running water challenge (yesterday .. +10 days) unless told otherwise."""
    data = svc.ChallengeInput(
        title=kw.get("title", "Save water in November"),
        description=kw.get("description", "Turn off the tap."),
        category=kw.get("category", "water"),
        target=str(kw.get("target", "300")),
        start_date=kw.get("start_date", date.today() - timedelta(days=5)),
        end_date=kw.get("end_date", date.today() + timedelta(days=10)),
        audience=kw.get("audience", "both"),
        evidence_required=kw.get("evidence_required", False),
        fraction=kw.get("fraction", ""),
    )
    challenge = svc.create_challenge(creator, data)
    db.session.commit()
    return challenge
