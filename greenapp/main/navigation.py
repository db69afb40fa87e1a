"""The top navigation: which links each role sees, built once per role, school and language.

Kept in Python (not as a chain of `{% if role %}` in base.html) so that the rule "who sees
which link" lives in one table, and so that every page does not rebuild fourteen
translated links: the list is cached per (role, school, language) for the process.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from greenapp.models.user import ADMIN, COORDINATOR, ECONOMIST, RESIDENT, SCIENTIST, STAFF_ROLES

EVERYONE = None  # every signed-in role


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: object  # a lazy translated string
    roles: tuple[str, ...] | None = EVERYONE
    own_school: bool = False  # the link goes to the coordinator's own school


SIGNED_IN = (
    NavLink("logs.index", _l("My eco-actions"), (COORDINATOR, RESIDENT)),
    NavLink("schools.show", _l("My school"), (COORDINATOR,), own_school=True),
    NavLink("imports.index", _l("Import"), (COORDINATOR, ADMIN)),
    NavLink("dashboards.school", _l("Dashboard"), (COORDINATOR,), own_school=True),
    NavLink("meters.school", _l("Meters"), (COORDINATOR,), own_school=True),
    NavLink("meters.home", _l("Meters"), (RESIDENT,)),
    NavLink("schools.index", _l("Schools"), STAFF_ROLES),
    NavLink("logs.index", _l("All eco-actions"), STAFF_ROLES),
    NavLink("auth.users", _l("Accounts"), (ADMIN,)),
    NavLink("dashboards.programme", _l("Programme"), STAFF_ROLES),
    NavLink("impact.factors", _l("Factors"), (ADMIN, SCIENTIST)),
    NavLink("impact.tariffs", _l("Tariffs"), (ADMIN, ECONOMIST)),
    NavLink("community.home", _l("Community"), (COORDINATOR, RESIDENT)),
    NavLink("community.challenges", _l("Challenges")),
    NavLink("experts.proposals", _l("Proposals")),
    NavLink("experts.index", _l("Workspace"), STAFF_ROLES),
    NavLink("dashboards.public_summary", _l("Results")),
    NavLink("glossary.index", _l("Glossary")),
)
ANONYMOUS = (
    NavLink("dashboards.public_summary", _l("Results")),
    NavLink("community.challenges", _l("Challenges")),
    NavLink("experts.decisions", _l("Decisions")),
    NavLink("glossary.index", _l("Glossary")),
)


def links_for(role: str | None, school_id: int | None) -> list[tuple[str, str]]:
    """(href, label) of the links a role sees; role None is an anonymous visitor."""
    table = ANONYMOUS if role is None else SIGNED_IN
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
    key = (role, school_id, str(get_locale() or "en"))
    cache: dict = current_app.extensions.setdefault("greenapp_nav", {})
    links = cache.get(key)
    if links is None:
        links = cache[key] = links_for(role, school_id)
    return links
