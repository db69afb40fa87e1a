"""Deny by default, proven on the live URL map: EVERY route x every role and anonymous.

Each route (from app.url_map, so a route added tomorrow is checked tomorrow) must
declare an access rule; the expected outcome for each role is derived from that rule:

- public: nobody gets 401/403;
- signed_in: anonymous is sent to the login page, signed-in users are let in;
- a tuple of roles: anonymous is sent to the login page, other roles get 403, the
  roles named are let in (not 401/403).

URL parameters are filled with ids of real objects that the role may use (its own
school, its own log...), so "let in" really means the route's own code answered.
No route may answer 5xx to anyone. Object-level checks follow at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from greenapp import create_app
from greenapp.extensions import db as _db
from greenapp.models.log import EcoLog
from greenapp.models.school import School
from greenapp.models.user import ROLES, User
from greenapp.permissions import PUBLIC, SIGNED_IN, access_rule
from tests.helpers import (
    FAST_HASH,
    REGISTERED,
    api_token,
    bearer,
    built_once,
    signed_in_client,
)

ANONYMOUS = "anonymous"
ALL = (ANONYMOUS, *ROLES)
SKIP_METHODS = {"HEAD", "OPTIONS"}


def _routes() -> list[tuple[str, str, str]]:
    app = create_app("testing")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted((rule.methods or set()) - SKIP_METHODS):
            found.append((rule.rule, rule.endpoint, method))
    return sorted(found)


ROUTES = _routes()


class _Rows(Mapping[str, Any]):
    """role -> row, read from the session on each lookup (by id)."""

    def __init__(self, db, model, ids: dict[str, int]) -> None:
        self._db, self._model, self._ids = db, model, ids

    def __getitem__(self, key: str) -> Any:
        return self._db.session.get(self._model, self._ids[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class World:
    """Two schools, one account per role plus an outsider coordinator and resident, logs.

    Built through the factories and services on an empty database, once per test
    process on SQLite: later worlds are copied back from it (tests.helpers.built_once;
    the same rows, ids and files, in milliseconds instead of the build's tens of
    milliseconds, for the hundreds of tests that use it). The world keeps ids; its rows
    are read from the session when a test asks for them (most route tests need one or
    two of the fifteen).
    """

    def __init__(self, factory, db) -> None:
        self.db = db
        self._ids = built_once("access world", lambda: self._build(factory, db), factory)
        self.user_ids: dict[str, int] = dict(self._ids["users"])
        self.users = _Rows(db, User, self.user_ids)
        self.extra = {k: dict(v) for k, v in self._ids["extra"].items()}

    def _get(self, model, key: str, index: int):
        return self.db.session.get(model, self._ids[key][index])

    school = property(lambda self: self._get(School, "schools", 0))
    other_school = property(lambda self: self._get(School, "schools", 1))
    other_coordinator = property(lambda self: self._get(User, "outsiders", 0))
    other_resident = property(lambda self: self._get(User, "outsiders", 1))
    school_log = property(lambda self: self._get(EcoLog, "logs", 0))
    resident_log = property(lambda self: self._get(EcoLog, "logs", 1))
    other_school_log = property(lambda self: self._get(EcoLog, "logs", 2))
    other_resident_log = property(lambda self: self._get(EcoLog, "logs", 3))

    def _build(self, factory, db) -> dict:
        school = factory.school(name="Own School")
        other_school = factory.school(name="Other School")
        users: dict[str, User] = {}
        for role in ROLES:
            users[role] = self._user(role, school if role == "coordinator" else None)
        other_coordinator = self._user("coordinator", other_school, "outsider-c")
        other_resident = self._user("resident", None, "outsider-r")
        logs = (
            factory.log(users["coordinator"], note="own school log"),
            factory.log(users["resident"], note="own resident log"),
            factory.log(other_coordinator, note="OTHER-SCHOOL-LOG"),
            factory.log(other_resident, note="OTHER-RESIDENT-LOG"),
        )
        extra: dict[str, dict[str, int]] = {}
        from greenapp.services import imports as import_service

        day = logs[0].action_date  # a checked file of the own school (API and pages)
        extra["import_batch_id"] = {
            "*": import_service.preview(
                users["coordinator"],
                school,
                "matrix.csv",
                f"date,category,quantity,unit\n{day},water,1,L\n".encode(),
            ).id
        }
        db.session.commit()
        try:  # other features' objects, when those features are present
            from tests.helpers import make_challenge

            challenge = make_challenge(db, users["admin"])
            extra["challenge_id"] = {"*": challenge.id}
            extra["proposal_id"] = {
                role: _proposal(users[role], f"Proposal by {role}").id
                for role in ("resident", "coordinator")
            }
            extra["proposal_id"]["*"] = extra["proposal_id"]["resident"]
        except ImportError:
            pass
        return {
            "schools": (school.id, other_school.id),
            "users": {role: u.id for role, u in users.items()},
            "outsiders": (other_coordinator.id, other_resident.id),
            "logs": tuple(log.id for log in logs),
            "extra": extra,
        }

    def _user(self, role: str, school, tag: str = "") -> User:
        user = User(
            email=f"{tag or role}@matrix.example.org",
            display_name=f"{role} {tag}",
            role=role,
            school=school,
            password_hash=FAST_HASH,
            created_at=REGISTERED,
        )
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def param(self, name: str, role: str) -> object:
        """A real id for a URL parameter, owned by (or visible to) the role where it matters."""
        if name == "log_id":
            return self._ids["logs"][1 if role == "resident" else 0]
        if name == "school_id":
            return self._ids["schools"][0]
        if name == "user_id":
            return self._ids["outsiders"][1]
        if name in self.extra:
            return self.extra[name].get(role, self.extra[name]["*"])
        return _any_row_id(name)


def _any_row_id(name: str) -> object:
    """For parameters of other features: the first row of the table the name points at."""
    stem = name.removesuffix("_id")
    for table in _db.metadata.sorted_tables:
        if table.name in (stem, stem + "s", stem + "es") and "id" in table.c:
            found = _db.session.scalar(sa.select(sa.func.min(table.c.id)))
            if found is not None:
                return found
    return 1


# Text parameters get values the route really serves, so an allowed role gets the CSV or
# page itself (200), not a 404 that would also count as "let in".
TEXT_PARAMS = {
    ("dashboards.school_csv", "chart_id"): "targets",
    ("dashboards.programme_csv", "chart_id"): "ranking",
    ("dashboards.public_csv", "chart_id"): "public-co2e",
    ("glossary.alphabet", "lang"): "kk",
    ("glossary.print_list", "pair"): "kk-be",
    ("glossary.export", "fmt"): "csv",
    ("auth.confirm", "token"): "a-link-that-is-not-valid",
    ("auth.reset_password", "token"): "a-link-that-is-not-valid",
}


def _fill(rule: str, world: World, role: str) -> str:
    app_rule = next(r for r in _APP.url_map.iter_rules() if r.rule == rule)
    values = {}
    for arg in app_rule.arguments:
        conv = app_rule._converters[arg]
        values[arg] = (
            world.param(arg, role)
            if isinstance(conv, IntegerConverter)
            else TEXT_PARAMS[(app_rule.endpoint, arg)]
        )
    with _APP.test_request_context():
        return _APP.url_for(app_rule.endpoint, **values)


_APP = create_app("testing")
TEXT_ROUTES = {endpoint for endpoint, _arg in TEXT_PARAMS}


def _client_for(app, world: World, role: str):
    # signed_in_client re-reads the user: a POST /auth/logout rotates the token.
    return signed_in_client(app, None if role == ANONYMOUS else world.user_ids[role])


def _is_api(endpoint: str) -> bool:
    return endpoint.startswith("api_v1.")


def _api_call(
    app,
    world: World,
    role: str,
    method: str,
    path: str,
    scopes: tuple[str, ...] = ("read", "write", "import"),
):
    headers = {} if role == ANONYMOUS else bearer(api_token(world.users[role], scopes))
    body = {} if method in ("POST", "PATCH", "PUT") else None
    return app.test_client().open(path, method=method, json=body, headers=headers)


def _expected(rule, role: str) -> str:
    if rule == PUBLIC:
        return "in"
    if role == ANONYMOUS:
        return "login"
    if rule == SIGNED_IN or role in rule:
        return "in"
    return "403"


def _outcome(resp) -> str:
    if resp.status_code >= 500:
        return f"{resp.status_code} (server error)"
    if (
        resp.status_code == 302
        and "/auth/login" in resp.headers.get("Location", "")
        and "/auth/login" not in resp.request.path
    ):
        return "login"
    if resp.status_code in (401, 403):
        return str(resp.status_code)
    return "in"


@pytest.mark.parametrize(
    ("rule", "endpoint", "method"), ROUTES, ids=[f"{m} {r}" for r, _e, m in ROUTES]
)
def test_route_answers_every_role_as_its_declared_rule_says(
    app, factory, db, rule, endpoint, method
):
    view = app.view_functions[endpoint]
    declared = access_rule(view)
    assert declared is not None, (
        f"{endpoint} ({rule}) declares no access rule: add @public, @signed_in or "
        "@role_required(...) - it answers 403 to everybody until then"
    )
    world = World(factory, db)
    wrong = {}
    for role in ALL:
        path = _fill(rule, world, role)
        if _is_api(endpoint):  # the API takes a token with every scope, never a cookie
            resp = _api_call(app, world, role, method, path)
        else:
            resp = _client_for(app, world, role).open(path, method=method, data={})
        got, want = _outcome(resp), _expected(declared, role)
        if _is_api(endpoint) and want == "login":
            want = "401"  # a script is told, not sent to a sign-in page
        if got != want:
            wrong[role] = f"got {got} ({resp.status_code}), expected {want}"
        elif want == "in" and endpoint in TEXT_ROUTES and resp.status_code != 200:
            wrong[role] = f"let in but answered {resp.status_code}, expected 200"
    assert not wrong, f"{method} {rule} [{declared}]: {wrong}"


def test_the_matrix_covers_every_route(app):
    """The parametrisation above is built from the same URL map the app serves."""
    live = {
        (r.rule, m)
        for r in app.url_map.iter_rules()
        if r.endpoint != "static" and not r.endpoint.endswith(".static")
        for m in (r.methods or set()) - SKIP_METHODS
    }
    assert live == {(r, m) for r, _e, m in ROUTES}
    assert len(ROUTES) >= 20


API_ROUTES = [r for r in ROUTES if _is_api(r[1]) and r[1] != "api_v1.static"]


@pytest.mark.parametrize(
    ("rule", "endpoint", "method"), API_ROUTES, ids=[f"{m} {r}" for r, _e, m in API_ROUTES]
)
def test_an_api_route_refuses_a_token_without_its_scope(app, factory, db, rule, endpoint, method):
    """Every API route x every role it lets in: the same token minus the route's scope
    gets 403, whatever the role (a read token cannot write, a write token cannot read)."""
    view = app.view_functions[endpoint]
    needed = getattr(view, "_scopes", ())  # any one of them lets the token in
    assert needed and set(needed) <= {"read", "write", "import"}, (
        f"{endpoint} declares no token scope"
    )
    world = World(factory, db)
    others = tuple(s for s in ("read", "write", "import") if s not in needed)
    for role in ROLES:
        resp = _api_call(app, world, role, method, _fill(rule, world, role), scopes=others)
        assert resp.status_code in (401, 403), (role, method, rule, resp.status_code)
        assert resp.content_type == "application/problem+json"


# --- object level: other schools' and other residents' data ----------------------------

OUTSIDERS_FOR_SCHOOL_LOG = ("other_coordinator", "resident")
OUTSIDERS_FOR_RESIDENT_LOG = ("other_coordinator", "coordinator", "other_resident")


def _as(app, world: World, who: str):
    user = getattr(world, who, None) if who.startswith("other_") else world.users[who]
    return signed_in_client(app, user)


def _edit_form(**kw) -> dict:
    data = {
        "category": "water",
        "quantity": "999",
        "unit": "L",
        "evidence": "self",
        "action_date": (date.today() - timedelta(days=1)).isoformat(),
        "fraction": "",
        "note": "HIJACKED",
        "version": "1",
    }
    data.update(kw)
    return data


@pytest.mark.parametrize(
    ("target", "outsiders"),
    [
        ("school_log", OUTSIDERS_FOR_SCHOOL_LOG),
        ("resident_log", OUTSIDERS_FOR_RESIDENT_LOG),
    ],
)
def test_someone_elses_log_is_hidden_and_untouchable(app, factory, db, target, outsiders):
    world = World(factory, db)
    log: EcoLog = getattr(world, target)
    before = (log.quantity, log.note, log.version, log.deleted_at)
    checked = 0
    for who in outsiders:
        client = _as(app, world, who)
        for method, path, data in [
            ("GET", f"/logs/{log.id}", None),
            ("GET", f"/logs/{log.id}/edit", None),
            ("POST", f"/logs/{log.id}/edit", _edit_form()),
            ("POST", f"/logs/{log.id}/delete", {"version": "1"}),
        ]:
            resp = client.open(path, method=method, data=data)
            assert resp.status_code in (403, 404), f"{who} {method} {path}: {resp.status_code}"
            checked += 1
        listing = client.get("/logs/").get_data(as_text=True)
        assert f'href="/logs/{log.id}"' not in listing, f"{who} sees {target} in the list"
    db.session.refresh(log)
    assert (log.quantity, log.note, log.version, log.deleted_at) == before
    assert checked == 4 * len(outsiders)


def test_staff_see_every_log_but_cannot_change_any(app, factory, db):
    world = World(factory, db)
    log = world.other_school_log
    for role in ("admin", "scientist", "economist", "lawyer"):
        client = _as(app, world, role)
        assert client.get(f"/logs/{log.id}").status_code == 200
        assert f'href="/logs/{log.id}"' in client.get("/logs/").get_data(as_text=True)
        assert client.post(f"/logs/{log.id}/edit", data=_edit_form()).status_code == 403
        assert client.post(f"/logs/{log.id}/delete", data={}).status_code == 403
    db.session.refresh(log)
    assert log.quantity == Decimal("100") and log.deleted_at is None and log.version == 1


def test_a_coordinator_cannot_open_or_log_for_another_school(app, factory, db):
    world = World(factory, db)
    client = _as(app, world, "coordinator")
    assert client.get(f"/schools/{world.other_school.id}").status_code == 403
    # a school_id smuggled into the form is ignored: the log lands on the own school
    client.post("/logs/new", data=_edit_form(school_id=str(world.other_school.id), note="SMUGGLED"))
    smuggled = db.session.scalar(sa.select(EcoLog).where(EcoLog.note == "SMUGGLED"))
    assert smuggled is None or smuggled.school_id == world.school.id


def _proposal(author, title="Bins for Shugyla district"):
    from greenapp.services import proposals as proposal_service

    proposal = proposal_service.submit(
        author,
        proposal_service.ProposalInput(
            kind="proposal",
            title=title,
            text="Put sorting bins at every school gate, please.",
            category="waste",
            district="Shugyla",
        ),
    )
    _db.session.commit()
    return proposal


def test_only_the_author_may_edit_a_proposal(app, factory, db):
    world = World(factory, db)
    proposal = _proposal(world.other_resident)
    form = {
        "kind": "proposal",
        "title": "HIJACKED",
        "category": "waste",
        "text": "Somebody else rewrote this proposal text.",
        "district": "X",
    }
    for who in (
        "resident",
        "coordinator",
        "other_coordinator",
        "admin",
        "lawyer",
        "scientist",
        "economist",
    ):
        client = _as(app, world, who)
        for method in ("GET", "POST"):
            resp = client.open(
                f"/experts/proposals/{proposal.id}/edit",
                method=method,
                data=form if method == "POST" else None,
            )
            assert resp.status_code in (403, 404), (who, method, resp.status_code)
    db.session.refresh(proposal)
    assert proposal.title == "Bins for Shugyla district"


def test_notifications_are_private_to_their_reader(app, factory, db):
    from greenapp.models.community import Notification
    from greenapp.services import notifications

    world = World(factory, db)
    note = notifications.notify(
        world.other_resident.id, notifications.LOG_VERIFIED, link="/logs/", day="2026-01-01"
    )
    db.session.commit()
    for who in ("resident", "coordinator", "admin", "lawyer", "scientist", "economist"):
        client = _as(app, world, who)
        page = client.get("/community/notifications").get_data(as_text=True)
        assert f'value="{note.id}"' not in page, who
        resp = client.post("/community/notifications/read", data={"notification_id": note.id})
        # the request itself went through (not refused by a 400 before it could try)
        assert resp.status_code == 302, (who, resp.status_code)
        assert resp.headers["Location"].endswith("/community/notifications"), who
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None
    # the same request from the reader does mark it read
    resp = _as(app, world, "other_resident").post(
        "/community/notifications/read", data={"notification_id": note.id}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None


def test_object_checks_agree_with_what_each_person_gets(app, factory, db):
    """permissions.can_view / can_edit answer exactly what the pages let each person do."""
    from greenapp import permissions

    world = World(factory, db)
    proposal = _proposal(world.users["resident"])
    people = {
        **world.users,
        "other_coordinator": world.other_coordinator,
        "other_resident": world.other_resident,
    }
    logs = (world.school_log, world.resident_log, world.other_school_log, world.other_resident_log)
    for name, user in people.items():
        client = signed_in_client(app, user)
        for log in logs:
            opened = client.get(f"/logs/{log.id}").status_code == 200
            assert opened == permissions.can_view(log, user), (name, log.note)
            editable = client.get(f"/logs/{log.id}/edit").status_code == 200
            assert editable == permissions.can_edit(log, user), (name, log.note)
        for school in (world.school, world.other_school):
            opened = client.get(f"/schools/{school.id}").status_code == 200
            assert opened == permissions.can_view(school, user), (name, school.name)
        opened = client.get(f"/experts/proposals/{proposal.id}").status_code == 200
        assert opened == permissions.can_view(proposal, user), name
        editable = client.get(f"/experts/proposals/{proposal.id}/edit").status_code == 200
        assert editable == permissions.can_edit(proposal, user), name
