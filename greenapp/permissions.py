"""Who may do what, in one place: role groups, route rules, object checks, navigation.

Deny by default. Every view declares its access rule with @public, @signed_in or
@role_required(...); a view without one is refused for everybody (see
`enforce_declared_access`), so a forgotten decorator fails closed. Templates never
compare role strings: they ask `can(...)`.

Public API (stable: feature packages, services and the JSON API rely on it)

Role groups -- tuples of role names, defined here and nowhere else:
    STAFF, LOGGERS, SCHOOL_VIEWERS, IMPORTERS, METER_IMPORTERS,
    ADMIN_IMPORTERS, EVIDENCE_VIEWERS, METER_VIEWERS,
    GUIDE_AUTHORS, QUALITY_VIEWERS, QUALITY_REVIEWERS, PROPOSAL_AUTHORS,
    PROPOSAL_REVIEWERS, SAVINGS_READERS, FACTOR_EDITORS, TARIFF_EDITORS,
    CHALLENGE_CREATORS, CHALLENGE_PARTICIPANTS, GLOSSARY_EDITORS, GLOSSARY_REVIEWERS.

Route rules:
    @public, @signed_in, @role_required(*roles), access_rule(view),
    enforce_declared_access() (a before_request hook).

Object checks (redash style; `user` defaults to the current user, anonymous allowed):
    can_view(obj, user=None) -> bool    may this user see obj?
    can_edit(obj, user=None) -> bool    may this user change obj?
    require_view(obj, user=None) -> obj / require_edit(obj, user=None) -> obj
        404 when obj is None, 403 when refused; return obj otherwise.
    Kinds: EcoLog, Proposal, Guide, ImportBatch, School, Challenge, Meter,
    EvidenceFile. Any other object: False (deny by default).

Abilities (role-level questions, for templates and routes):
    ABILITIES: {name: role group}
    can(name_or_action, obj=None, user=None) -> bool
        can("view", obj) and can("edit", obj) are the object checks above;
        can("write_guides") asks whether the user's role is in ABILITIES["write_guides"].
        An unknown name raises ValueError (a typo must not silently hide a link).
    has_role(user, *roles) -> bool      (False for anonymous users)

Navigation (the top bar, built from one table):
    NavLink, NAV_SIGNED_IN, NAV_ANONYMOUS, links_for(role, school_id), nav_links().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from greenapp.models.community import Challenge
from greenapp.models.evidence import EvidenceFile
from greenapp.models.experts import SUBMITTED, Guide, Proposal
from greenapp.models.imports import ImportBatch
from greenapp.models.log import EcoLog
from greenapp.models.meters import Meter
from greenapp.models.school import School
from greenapp.models.user import (
    ADMIN,
    COORDINATOR,
    ECONOMIST,
    LAWYER,
    RESIDENT,
    SCIENTIST,
    STAFF_ROLES,
)

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
SIGNED_IN = "signed_in"

# ---- role groups: the one definition ----------------------------------------------

STAFF: tuple[str, ...] = STAFF_ROLES  # university staff and the three expert roles
LOGGERS: tuple[str, ...] = (COORDINATOR, RESIDENT)  # log eco-actions, upload evidence
SCHOOL_VIEWERS: tuple[str, ...] = (*STAFF, COORDINATOR)  # (coordinators: their own)
IMPORTERS: tuple[str, ...] = (COORDINATOR, ADMIN)
METER_IMPORTERS: tuple[str, ...] = (COORDINATOR,)  # readings: the school's own coordinator
ADMIN_IMPORTERS: tuple[str, ...] = (ADMIN,)  # spreadsheets of schools and accounts
EVIDENCE_VIEWERS: tuple[str, ...] = (COORDINATOR, RESIDENT, *STAFF)
METER_VIEWERS: tuple[str, ...] = (COORDINATOR, *STAFF)
GUIDE_AUTHORS: tuple[str, ...] = (SCIENTIST, ADMIN)
QUALITY_VIEWERS: tuple[str, ...] = (SCIENTIST, ADMIN)
QUALITY_REVIEWERS: tuple[str, ...] = (SCIENTIST,)
PROPOSAL_AUTHORS: tuple[str, ...] = (RESIDENT, COORDINATOR)
PROPOSAL_REVIEWERS: tuple[str, ...] = (LAWYER,)
SAVINGS_READERS: tuple[str, ...] = (ECONOMIST, ADMIN)
FACTOR_EDITORS: tuple[str, ...] = (ADMIN, SCIENTIST)
TARIFF_EDITORS: tuple[str, ...] = (ADMIN, ECONOMIST)
CHALLENGE_CREATORS: tuple[str, ...] = (ADMIN, SCIENTIST)
CHALLENGE_PARTICIPANTS: tuple[str, ...] = (RESIDENT, COORDINATOR)
GLOSSARY_EDITORS: tuple[str, ...] = (SCIENTIST, ADMIN)
GLOSSARY_REVIEWERS: tuple[str, ...] = (SCIENTIST,)

ABILITIES: dict[str, tuple[str, ...]] = {
    "log_actions": LOGGERS,
    "log_for_school": (COORDINATOR,),
    "log_as_resident": (RESIDENT,),
    "see_all_logs": STAFF,
    "see_all_schools": STAFF,
    "see_change_history": STAFF,
    "manage_schools": (ADMIN,),
    "manage_cities": (ADMIN,),
    "manage_accounts": (ADMIN,),
    "import": IMPORTERS,
    "import_for_any_school": (ADMIN,),
    "import_meter_readings": METER_IMPORTERS,
    "import_schools_and_accounts": ADMIN_IMPORTERS,
    "upload_evidence": LOGGERS,
    "see_meters": METER_VIEWERS,
    "use_workspace": STAFF,
    "write_guides": GUIDE_AUTHORS,
    "see_quality_queue": QUALITY_VIEWERS,
    "review_quality": QUALITY_REVIEWERS,
    "submit_proposals": PROPOSAL_AUTHORS,
    "review_proposals": PROPOSAL_REVIEWERS,
    "read_savings": SAVINGS_READERS,
    "edit_factors": FACTOR_EDITORS,
    "edit_tariffs": TARIFF_EDITORS,
    "create_challenges": CHALLENGE_CREATORS,
    "join_challenges": CHALLENGE_PARTICIPANTS,
    "edit_glossary": GLOSSARY_EDITORS,
    "review_glossary": GLOSSARY_REVIEWERS,
    "manage_glossary_reviewers": (ADMIN,),
}


# ---- route rules -------------------------------------------------------------------


def access_rule(view: Callable[..., Any]) -> Any:
    """Return the declared access rule of a view function, or None."""
    return getattr(view, "_access", None)


def public(view: F) -> F:
    """Anyone may open this view, signed in or not."""
    view._access = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in(view: F) -> F:
    """Any signed-in user may open this view; anonymous users go to the login page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    wrapped._access = SIGNED_IN  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    """Only users with one of these roles; others get a 403 naming the roles needed."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles:
                request.required_roles = roles  # type: ignore[attr-defined]
                abort(403)
            return view(*args, **kwargs)

        wrapped._access = tuple(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def enforce_declared_access() -> None:
    """before_request hook: refuse any endpoint whose view declares no access rule."""
    if request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return
    if request.endpoint == "static" or request.endpoint.endswith(".static"):
        return
    if access_rule(view) is None:
        abort(403)


# ---- object checks -----------------------------------------------------------------


def _user(user: Any) -> Any:
    """The user asked about: the one given, else the current one (maybe anonymous)."""
    return current_user if user is None else user


def has_role(user: Any, *roles: str) -> bool:
    """True if a signed-in user has one of the roles (anonymous users have none)."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in roles


def _own_school(user: Any, school_id: int | None) -> bool:
    return has_role(user, COORDINATOR) and school_id is not None and user.school_id == school_id


def _edit_log(user: Any, log: EcoLog) -> bool:
    if has_role(user, COORDINATOR):
        return log.school_id is not None and log.school_id == user.school_id
    if has_role(user, RESIDENT):
        return log.resident_id == user.id
    return False


def _view_evidence(user: Any, f: EvidenceFile) -> bool:
    from greenapp.services import evidence

    return evidence.can_view(user, f)


def _edit_evidence(user: Any, f: EvidenceFile) -> bool:
    from greenapp.extensions import db
    from greenapp.models.meters import MeterReading

    if not getattr(user, "is_authenticated", False) or f.purged_at is not None:
        return False
    if f.log_id is not None:
        log = db.session.get(EcoLog, f.log_id)
        return log is not None and _edit_log(user, log)
    if f.reading_id is not None:
        reading = db.session.get(MeterReading, f.reading_id)
        return reading is not None and _own_school(user, reading.meter.school_id)
    return False


def _view_meter(user: Any, meter: Meter) -> bool:
    from greenapp.services.meters import can_view_school

    return bool(getattr(user, "is_authenticated", False)) and can_view_school(user, meter.school_id)


def _edit_meter(user: Any, meter: Meter) -> bool:
    from greenapp.services.meters import can_edit_school

    return bool(getattr(user, "is_authenticated", False)) and can_edit_school(user, meter.school_id)


# (kind, may view, may edit); the first matching kind decides.
_OBJECT_RULES: tuple[tuple[type, Callable[[Any, Any], bool], Callable[[Any, Any], bool]], ...] = (
    (
        EcoLog,  # owners see and edit; staff see every entry
        lambda u, o: has_role(u, *STAFF) or _edit_log(u, o),
        _edit_log,
    ),
    (
        Proposal,  # any signed-in user reads; the author edits while it is submitted
        lambda u, o: bool(getattr(u, "is_authenticated", False)),
        lambda u, o: (
            has_role(u, *PROPOSAL_AUTHORS) and u.id == o.author_id and o.status == SUBMITTED
        ),
    ),
    (
        Guide,  # published guides are public; drafts for their authors' roles
        lambda u, o: bool(o.languages) or has_role(u, *GUIDE_AUTHORS),
        lambda u, o: has_role(u, *GUIDE_AUTHORS),
    ),
    (
        ImportBatch,  # admins, and the coordinators of the batch's school
        lambda u, o: has_role(u, ADMIN) or _own_school(u, o.school_id),
        lambda u, o: has_role(u, ADMIN) or _own_school(u, o.school_id),
    ),
    (
        School,  # staff and the school's coordinator see it; admins change it
        lambda u, o: has_role(u, *STAFF) or _own_school(u, o.id),
        lambda u, o: has_role(u, ADMIN),
    ),
    (
        Challenge,  # public; admins and scientists change it
        lambda u, o: True,
        lambda u, o: has_role(u, *CHALLENGE_CREATORS),
    ),
    (Meter, _view_meter, _edit_meter),  # the school's coordinator; staff read
    (EvidenceFile, _view_evidence, _edit_evidence),  # follows its entry or reading
)


def _rule(obj: object) -> tuple[Callable[[Any, Any], bool], Callable[[Any, Any], bool]] | None:
    for kind, view, edit in _OBJECT_RULES:
        if isinstance(obj, kind):
            return view, edit
    return None


def can_view(obj: object, user: Any = None) -> bool:
    """May `user` (default: the current user) see `obj`? Unknown kinds: no."""
    rule = _rule(obj)
    return rule is not None and bool(rule[0](_user(user), obj))


def can_edit(obj: object, user: Any = None) -> bool:
    """May `user` (default: the current user) change `obj`? Unknown kinds: no."""
    rule = _rule(obj)
    return rule is not None and bool(rule[1](_user(user), obj))


def require_view(obj: Any, user: Any = None) -> Any:
    """obj if the user may see it; 404 if there is none, 403 if refused."""
    if obj is None:
        abort(404)
    if not can_view(obj, user):
        abort(403)
    return obj


def require_edit(obj: Any, user: Any = None) -> Any:
    """obj if the user may change it; 404 if there is none, 403 if refused."""
    if obj is None:
        abort(404)
    if not can_edit(obj, user):
        abort(403)
    return obj


def can(what: str, obj: object = None, user: Any = None) -> bool:
    """The one question templates ask: can("view", obj), can("edit", obj) or an ability.

    Abilities are the names in ABILITIES ("write_guides", "manage_schools" ...); an
    unknown name raises ValueError so a typo fails loudly in tests.
    """
    if what == "view":
        return can_view(obj, user)
    if what == "edit":
        return can_edit(obj, user)
    roles = ABILITIES.get(what)
    if roles is None:
        raise ValueError(f"unknown ability {what!r}; see greenapp/permissions.py")
    return has_role(_user(user), *roles)


# ---- navigation ---------------------------------------------------------------------
#
# Kept in Python (not as a chain of `{% if role %}` in base.html) so that the rule "who
# sees which link" lives in one table, and so that every page does not rebuild fourteen
# translated links: the list is cached per (role, school, language) for the process.

EVERYONE = None  # every signed-in role


@dataclass(frozen=True)
class NavLink:
    """One link of the top bar and the roles that see it."""

    endpoint: str
    label: object  # a lazy translated string
    roles: tuple[str, ...] | None = EVERYONE
    own_school: bool = False  # the link goes to the coordinator's own school


NAV_SIGNED_IN = (
    NavLink("logs.index", _l("My eco-actions"), LOGGERS),
    NavLink("schools.show", _l("My school"), (COORDINATOR,), own_school=True),
    NavLink("imports.index", _l("Import"), IMPORTERS),
    NavLink("dashboards.school", _l("Dashboard"), (COORDINATOR,), own_school=True),
    NavLink("meters.school", _l("Meters"), (COORDINATOR,), own_school=True),
    NavLink("meters.home", _l("Meters"), (RESIDENT,)),
    NavLink("schools.index", _l("Schools"), STAFF),
    NavLink("logs.index", _l("All eco-actions"), STAFF),
    NavLink("auth.users", _l("Accounts"), (ADMIN,)),
    NavLink("dashboards.programme", _l("Programme"), STAFF),
    NavLink("impact.factors", _l("Factors"), FACTOR_EDITORS),
    NavLink("impact.tariffs", _l("Tariffs"), TARIFF_EDITORS),
    NavLink("community.home", _l("Community"), CHALLENGE_PARTICIPANTS),
    NavLink("community.challenges", _l("Challenges")),
    NavLink("proposals.index", _l("Proposals")),
    NavLink("experts.index", _l("Workspace"), STAFF),
    NavLink("dashboards.public_summary", _l("Results")),
    NavLink("glossary.index", _l("Glossary")),
)
NAV_ANONYMOUS = (
    NavLink("dashboards.public_summary", _l("Results")),
    NavLink("community.challenges", _l("Challenges")),
    NavLink("proposals.decisions", _l("Decisions")),
    NavLink("glossary.index", _l("Glossary")),
)


def links_for(role: str | None, school_id: int | None) -> list[tuple[str, str]]:
    """(href, label) of the links a role sees; role None is an anonymous visitor."""
    table = NAV_ANONYMOUS if role is None else NAV_SIGNED_IN
    links = []
    for link in table:
        if role is not None and link.roles is not EVERYONE and role not in link.roles:
            continue
        if link.own_school:
            if school_id is None:
                continue
            links.append((url_for(link.endpoint, school_id=school_id), str(link.label)))
        else:
            links.append((url_for(link.endpoint), str(link.label)))
    return links


def nav_links() -> list[tuple[str, str]]:
    """The current visitor's links, cached per role, school and language for the process."""
    if current_user.is_authenticated:
        role, school_id = current_user.role, current_user.school_id
    else:
        role, school_id = None, None
    # The mount point too: behind a proxy that serves the app under a path, links
    # carry it (a page served at / and one under /green share this process).
    key = (role, school_id, str(get_locale() or "en"), request.script_root)
    from greenapp.services.cache import keep, local_memory

    memory = local_memory("nav")
    links = memory.get(key)
    if links is None:
        links = keep(memory, key, links_for(role, school_id))
    return links
