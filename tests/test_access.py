"""Every role against every foundation page: allowed, 403, or sent to sign in."""

from urllib.parse import urlsplit

import pytest

ROLES = ("anonymous", "admin", "coordinator", "resident", "scientist", "economist", "lawyer")
STAFF = {"admin", "scientist", "economist", "lawyer"}
OK, FORBIDDEN, LOGIN = "ok", "403", "login"

# path template -> the roles that may open it (everyone else: 403; anonymous: login).
# "guest": a page for visitors; a signed-in user is sent on to their own start page.
PAGES = {
    "/": "public",
    "/auth/login": "guest",
    "/auth/register": "guest",
    "/auth/password": "signed_in",
    "/auth/users": {"admin"},
    "/auth/users/new": {"admin"},
    "/auth/users/{user}/edit": {"admin"},
    "/schools/": STAFF,
    "/schools/new": {"admin"},
    "/schools/{school}": STAFF | {"coordinator"},
    "/schools/{school}/edit": {"admin"},
    "/logs/": STAFF | {"coordinator", "resident"},
    "/logs/new": {"coordinator", "resident"},
}


# Where each role lands after signing in (auth.routes.home_for).
HOME = {
    "admin": "/schools/",
    "coordinator": "/logs/",
    "resident": "/logs/",
    "scientist": "/experts/",
    "economist": "/experts/",
    "lawyer": "/experts/",
}


def expected(rule, role):
    if rule == "public" or (rule == "guest" and role == "anonymous"):
        return OK
    if rule == "guest":
        return f"302 -> {HOME.get(role, '/')}"
    if role == "anonymous":
        return LOGIN
    if rule == "signed_in" or role in rule:
        return OK
    return FORBIDDEN


@pytest.mark.parametrize("role", ROLES)
def test_role_page_matrix(client, factory, login, role):
    school = factory.school()
    someone = factory.user("resident")
    if role != "anonymous":
        user = factory.user(role, school=school if role == "coordinator" else None)
        login(user)
    seen = {}
    for template, rule in PAGES.items():
        path = template.format(school=school.id, user=someone.id)
        resp = client.get(path)
        if resp.status_code == 302 and "/auth/login" in resp.headers["Location"]:
            outcome = LOGIN
        elif resp.status_code == 403:
            outcome = FORBIDDEN
        elif resp.status_code == 200:
            outcome = OK
        elif resp.status_code == 302:  # only right where the table expects this redirect
            outcome = f"302 -> {urlsplit(resp.headers['Location']).path}"
        else:
            outcome = str(resp.status_code)
        seen[path] = (outcome, expected(rule, role))
    wrong = {p: v for p, v in seen.items() if v[0] != v[1]}
    assert not wrong, wrong


def test_forbidden_page_names_the_role_needed(client, factory, login):
    login(factory.user("resident"))
    resp = client.get("/auth/users")
    assert resp.status_code == 403
    assert "University staff (admin)" in resp.get_data(as_text=True)


def test_coordinator_cannot_open_another_schools_page(client, factory, login):
    other = factory.school()
    login(factory.user("coordinator"))
    assert client.get(f"/schools/{other.id}").status_code == 403


def test_a_view_without_an_access_rule_is_refused(app, client):
    @app.route("/undeclared")
    def undeclared():
        return "leak"

    assert client.get("/undeclared").status_code == 403
