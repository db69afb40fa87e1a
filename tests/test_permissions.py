"""permissions.py is the one source: object checks per kind, abilities, navigation, and
templates that ask can(...) instead of comparing role strings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin

from greenapp import permissions
from greenapp.models.community import Challenge
from greenapp.models.evidence import EvidenceFile
from greenapp.models.experts import (
    ACCEPTED,
    SUBMITTED,
    UNDER_REVIEW,
    Guide,
    Proposal,
)
from greenapp.models.imports import ImportBatch
from greenapp.models.log import EcoLog
from greenapp.models.meters import Meter
from greenapp.models.school import School
from greenapp.models.user import ROLES, User
from greenapp.permissions import ABILITIES, can, can_edit, can_view

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ROLE_NAMES = "|".join(ROLES)
# What a role-string comparison looks like in Jinja: `current_user.role == "admin"`,
# `.role in (...)`, `"admin" == user.role`, `role not in`, an `is_admin` flag.
ROLE_COMPARISON = re.compile(
    r"\.role\s*(==|!=|\bin\b|\bnot\s+in\b)"
    rf"|[\"']({ROLE_NAMES})[\"']\s*(==|!=|\bin\b)"
    r"|\bis_admin\b|\bis_staff\b|\bhas_role\(",
)
ANON = AnonymousUserMixin()


def _user(role: str, uid: int = 1, school_id: int | None = None) -> User:
    return User(
        id=uid,
        role=role,
        school_id=school_id,
        email=f"{role}{uid}@x.org",
        display_name=role,
        active=True,
    )


ADMIN, SCIENTIST, ECONOMIST, LAWYER = (
    _user(r, i) for i, r in enumerate(("admin", "scientist", "economist", "lawyer"), start=10)
)
COORD = _user("coordinator", 20, school_id=1)
OTHER_COORD = _user("coordinator", 21, school_id=2)
RESIDENT = _user("resident", 30)
OTHER_RESIDENT = _user("resident", 31)
EVERYBODY = {
    "anonymous": ANON,
    "admin": ADMIN,
    "scientist": SCIENTIST,
    "economist": ECONOMIST,
    "lawyer": LAWYER,
    "coordinator": COORD,
    "other_coordinator": OTHER_COORD,
    "resident": RESIDENT,
    "other_resident": OTHER_RESIDENT,
}


def _who(check, obj) -> set[str]:
    return {name for name, user in EVERYBODY.items() if check(obj, user)}


# --- templates never compare role strings -----------------------------------------------


def _template_offences() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_COMPARISON.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    return found


def test_no_template_compares_role_strings():
    assert _template_offences() == [], (
        "ask can('ability') or can('view'/'edit', obj) from greenapp/permissions.py"
    )


@pytest.mark.parametrize(
    "line",
    [
        '{% if current_user.role == "admin" %}',
        "{% if current_user.role in ('admin', 'scientist') %}",
        '{% if current_user.role not in ("coordinator", "resident") %}',
        "{% if user.role != 'lawyer' %}",
        '{% if "resident" == current_user.role %}',
        "{% if is_admin %}",
    ],
)
def test_the_template_check_catches_each_way_of_comparing_roles(line):
    assert ROLE_COMPARISON.search(line)


@pytest.mark.parametrize(
    "line",
    [
        '<div class="table-wrap" role="region">',
        "{{ ROLE_LABELS[current_user.role] }}",
        '{% if can("manage_schools") %}',
    ],
)
def test_the_template_check_lets_ordinary_markup_pass(line):
    assert not ROLE_COMPARISON.search(line)


def test_every_ability_a_template_asks_for_exists():
    asked = set()
    for path in TEMPLATES.rglob("*.html"):
        asked |= set(re.findall(r"\bcan\(\s*[\"']([a-z_]+)[\"']", path.read_text(encoding="utf-8")))
    assert asked, "templates ask can(...)"
    assert asked - {"view", "edit"} <= set(ABILITIES), asked - set(ABILITIES)


def test_an_unknown_ability_fails_loudly():
    with pytest.raises(ValueError, match="unknown ability"):
        can("manage_everything", user=ADMIN)


def test_abilities_follow_the_role_groups():
    assert can("write_guides", user=SCIENTIST) and can("write_guides", user=ADMIN)
    assert not can("write_guides", user=LAWYER)
    assert can("review_proposals", user=LAWYER) and not can("review_proposals", user=ADMIN)
    assert can("import_for_any_school", user=ADMIN)
    assert not can("import_for_any_school", user=COORD)
    assert not any(can(name, user=ANON) for name in ABILITIES)


# --- object checks, one kind at a time ---------------------------------------------------

STAFF_NAMES = {"admin", "scientist", "economist", "lawyer"}


def test_eco_log_school_entry():
    log = EcoLog(school_id=1, resident_id=None)
    assert _who(can_view, log) == STAFF_NAMES | {"coordinator"}
    assert _who(can_edit, log) == {"coordinator"}


def test_eco_log_resident_entry():
    log = EcoLog(school_id=None, resident_id=RESIDENT.id)
    assert _who(can_view, log) == STAFF_NAMES | {"resident"}
    assert _who(can_edit, log) == {"resident"}


def test_proposal_is_read_by_everyone_signed_in_and_edited_by_its_author_while_submitted():
    proposal = Proposal(author_id=RESIDENT.id, status=SUBMITTED)
    assert _who(can_view, proposal) == set(EVERYBODY) - {"anonymous"}
    assert _who(can_edit, proposal) == {"resident"}
    for status in (UNDER_REVIEW, ACCEPTED):
        assert _who(can_edit, Proposal(author_id=RESIDENT.id, status=status)) == set()


def test_guide_published_is_public_and_a_draft_only_for_its_authors_roles():
    assert _who(can_view, Guide(languages="kk,ru")) == set(EVERYBODY)
    assert _who(can_view, Guide(languages="")) == {"scientist", "admin"}
    assert _who(can_edit, Guide(languages="kk")) == {"scientist", "admin"}


def test_import_batch_belongs_to_its_school_and_admins():
    batch = ImportBatch(school_id=1)
    assert _who(can_view, batch) == {"admin", "coordinator"}
    assert _who(can_edit, batch) == {"admin", "coordinator"}


def test_school_is_seen_by_staff_and_its_coordinator_and_changed_by_admins():
    school = School(id=1, name="Own")
    assert _who(can_view, school) == STAFF_NAMES | {"coordinator"}
    assert _who(can_edit, school) == {"admin"}


def test_challenge_is_public_and_changed_by_its_creators():
    challenge = Challenge(title="Less water")
    assert _who(can_view, challenge) == set(EVERYBODY)
    assert _who(can_edit, challenge) == {"admin", "scientist"}


def test_meter_is_seen_by_staff_and_its_school_and_changed_by_its_coordinator():
    meter = Meter(school_id=1, kind="water", unit="m3", name="Main")
    assert _who(can_view, meter) == STAFF_NAMES | {"coordinator"}
    assert _who(can_edit, meter) == {"coordinator"}


def test_evidence_follows_its_entry(factory, db):
    coordinator = factory.user("coordinator")
    outsider = factory.user("coordinator")
    lawyer = factory.user("lawyer")
    log = factory.log(coordinator)
    f = EvidenceFile(
        sha256="0" * 64,
        file_type="jpg",
        content_type="image/jpeg",
        size=1,
        log_id=log.id,
        school_id=coordinator.school_id,
        created_by_id=coordinator.id,
    )
    db.session.add(f)
    db.session.commit()
    assert can_view(f, coordinator) and can_edit(f, coordinator)
    assert can_view(f, lawyer) and not can_edit(f, lawyer)
    assert not can_view(f, outsider) and not can_edit(f, outsider)
    assert not can_view(f, ANON) and not can_edit(f, ANON)


def test_an_unknown_kind_is_refused():
    assert not can_view(object(), ADMIN) and not can_edit("text", ADMIN)
    assert not can("view", None, ADMIN)


def test_services_ask_the_same_rules():
    from greenapp.services import guides, imports, log_rules, proposals

    log = EcoLog(school_id=1, resident_id=None)
    assert log_rules.can_view(LAWYER, log) and not log_rules.can_edit(LAWYER, log)
    assert log_rules.can_edit(COORD, log) and not log_rules.can_edit(OTHER_COORD, log)
    assert proposals.can_edit(RESIDENT, Proposal(author_id=RESIDENT.id, status=SUBMITTED))
    assert not guides.is_visible(Guide(languages=""), None)
    assert imports.can_manage(COORD, ImportBatch(school_id=1))
    assert not imports.can_manage(OTHER_COORD, ImportBatch(school_id=1))


# --- navigation ----------------------------------------------------------------------------


def _labels(app, role, school_id=None):
    with app.test_request_context():
        return [label for _href, label in permissions.links_for(role, school_id)]


def test_navigation_comes_from_the_one_table(app):
    assert "Workspace" in _labels(app, "lawyer") and "Import" not in _labels(app, "lawyer")
    assert "Import" in _labels(app, "admin") and "Accounts" in _labels(app, "admin")
    coordinator = _labels(app, "coordinator", 1)
    assert "My school" in coordinator and "Workspace" not in coordinator
    assert "My school" not in _labels(app, "coordinator", None)
    assert _labels(app, None) == ["Results", "Challenges", "Decisions", "Glossary"]
    with app.test_request_context():
        hrefs = [href for href, _l in permissions.links_for("resident", None)]
    assert "/experts/proposals" in hrefs
