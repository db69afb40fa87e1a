"""Who may do what in the Green Community: every cell of the README table, enforced.

The table is read from README.md (section "Green Community"), so the documentation and
the behaviour cannot drift apart. 'yes' and 'own' mean the request is let in (not a
403, not a redirect to sign in) for a user acting on their own objects; '–' means
refused: anonymous visitors are sent to sign in, signed-in users get 403.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from greenapp.models.experts import Guide
from greenapp.models.user import ROLES, User
from greenapp.services import proposals as proposal_service
from tests.helpers import FAST_HASH, REGISTERED, make_challenge, signed_in_client

README = Path(__file__).resolve().parent.parent / "README.md"


def _table() -> tuple[list[str], dict[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Green Community", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    table = {}
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = cells[1:]
    return header[1:], table


COLUMNS, TABLE = _table()


class World:
    """One user per role, a challenge, a guide, a flagged entry, proposals by authors."""

    def __init__(self, factory, db) -> None:
        school = factory.school(name="Access School")
        self.users: dict[str, User] = {}
        for role in ROLES:
            user = User(
                email=f"{role}@access.example.org",
                display_name=role,
                role=role,
                school=school if role == "coordinator" else None,
                password_hash=FAST_HASH,
                created_at=REGISTERED,
            )
            db.session.add(user)
            self.users[role] = user
        db.session.commit()
        self.challenge = make_challenge(db, self.users["scientist"])
        self.guide = Guide(
            kind="tip",
            category="water",
            title="Fix the tap",
            body="Do it.",
            languages="en",
            author_id=self.users["scientist"].id,
        )
        db.session.add(self.guide)
        resident = self.users["resident"]
        for i in range(5):
            factory.log(resident, quantity="10", action_date=date.today() - timedelta(days=10 - i))
        self.flagged = factory.log(resident, quantity="900")
        self.proposals = {}
        for role in ("resident", "coordinator"):
            self.proposals[role] = proposal_service.submit(
                self.users[role],
                proposal_service.ProposalInput(
                    kind="proposal",
                    title=f"By {role}",
                    text="A long enough proposal text.",
                    category="water",
                    district="Central",
                ),
            )
        db.session.commit()
        self.proposal = self.proposals["resident"]

    def own_proposal(self, role: str) -> int:
        return self.proposals.get(role, self.proposal).id


CHALLENGE_FORM = {
    "title": "T",
    "category": "water",
    "target": "5",
    "start_date": date.today().isoformat(),
    "end_date": (date.today() + timedelta(days=3)).isoformat(),
    "audience": "both",
}

# action -> requests: (method, path(world, role), form data)
REQUESTS = {
    "see challenges, leaderboards, published guides and decisions": [
        ("GET", lambda w, r: "/community/challenges", None),
        ("GET", lambda w, r: f"/community/challenges/{w.challenge.id}", None),
        ("GET", lambda w, r: "/experts/guides", None),
        ("GET", lambda w, r: f"/experts/guides/{w.guide.id}", None),
        ("GET", lambda w, r: "/experts/decisions", None),
    ],
    "create / edit a challenge": [
        ("GET", lambda w, r: "/community/challenges/new", None),
        ("POST", lambda w, r: "/community/challenges/new", CHALLENGE_FORM),
        ("GET", lambda w, r: f"/community/challenges/{w.challenge.id}/edit", None),
    ],
    "join / leave a challenge": [
        ("POST", lambda w, r: f"/community/challenges/{w.challenge.id}/join", {}),
        ("POST", lambda w, r: f"/community/challenges/{w.challenge.id}/leave", {}),
    ],
    "community home (impact, challenges, badges, tips)": [
        ("GET", lambda w, r: "/community/", None),
    ],
    "hide / show my name on leaderboards": [
        ("POST", lambda w, r: "/community/listing", {"public": "0"}),
    ],
    "read notifications, mark them read": [
        ("GET", lambda w, r: "/community/notifications", None),
        ("POST", lambda w, r: "/community/notifications/read", {}),
    ],
    "write / edit guides and tips": [
        ("GET", lambda w, r: "/experts/guides/new", None),
        ("GET", lambda w, r: f"/experts/guides/{w.guide.id}/edit", None),
    ],
    "see the data-quality queue": [("GET", lambda w, r: "/experts/quality", None)],
    "verify / reject an entry": [
        ("POST", lambda w, r: f"/experts/quality/{w.flagged.id}", {"decision": "verified"}),
    ],
    "experts' workspace page": [("GET", lambda w, r: "/experts/", None)],
    "savings report, CSV, what-if calculator": [
        ("GET", lambda w, r: "/experts/savings", None),
        ("GET", lambda w, r: "/experts/savings.csv", None),
        ("GET", lambda w, r: "/experts/what-if", None),
    ],
    "list and read proposals": [
        ("GET", lambda w, r: "/experts/proposals", None),
        ("GET", lambda w, r: f"/experts/proposals/{w.proposal.id}", None),
    ],
    "submit a proposal": [("GET", lambda w, r: "/experts/proposals/new", None)],
    "edit a proposal (only while submitted, audited)": [
        ("GET", lambda w, r: f"/experts/proposals/{w.own_proposal(r)}/edit", None),
    ],
    "support a proposal (once)": [
        ("POST", lambda w, r: f"/experts/proposals/{w.proposal.id}/support", {}),
    ],
    "review a proposal (start review, decide)": [
        (
            "POST",
            lambda w, r: f"/experts/proposals/{w.proposal.id}/review",
            {"status": "under_review"},
        ),
    ],
}


def test_every_row_of_the_table_is_checked():
    assert set(TABLE) == set(REQUESTS)
    assert COLUMNS == ["anonymous", *[c for c in COLUMNS if c != "anonymous"]]
    assert set(COLUMNS) == {"anonymous", *ROLES}


def _outcome(resp) -> str:
    """'in' only for a page shown (200) or an action done and redirected (302);
    a 400 or 404 is neither let in nor properly refused, and is reported as such."""
    if resp.status_code == 302 and "/auth/login" in resp.headers.get("Location", ""):
        return "login"
    if resp.status_code in (401, 403):
        return "403"
    if resp.status_code in (200, 302):
        return "in"
    return str(resp.status_code)


@pytest.mark.parametrize("action", sorted(REQUESTS))
def test_cell(app, factory, db, action):
    world = World(factory, db)
    wrong = {}
    for column, cell in zip(COLUMNS, TABLE[action], strict=True):
        client = signed_in_client(app, None if column == "anonymous" else world.users[column])
        want = (
            "in"
            if cell in ("yes", "own", "own school")
            else ("login" if column == "anonymous" else "403")
        )
        for method, path, data in REQUESTS[action]:
            url = path(world, column)
            got = _outcome(client.open(url, method=method, data=data))
            if got != want:
                wrong[f"{column} {method} {url}"] = f"got {got}, README says {cell!r}"
    assert not wrong, wrong
