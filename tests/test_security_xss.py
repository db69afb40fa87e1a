"""XSS: payloads typed into every free-text field of every form stay inert on every page.

The browser side (a dialog handler that fails on any alert) is in
tests/e2e/test_xss_browser.py.
"""

from __future__ import annotations

import pytest
from flask import Flask

from greenapp.models.user import ROLES, User
from tests.helpers import (
    FAST_HASH,
    PAYLOADS,
    REGISTERED,
    Crawl,
    SeedReport,
    built_once,
    crawl,
    meters_read,
    seed_embedded,
    seed_payloads,
)


def make_world(factory, db) -> tuple[dict[str, User], dict]:
    """One account per role (coordinator of a real school) and the ids forms need."""
    school = factory.school(name="XSS School")
    users = {}
    for role in ROLES:
        user = User(
            email=f"{role}@xss.example.org",
            display_name=f"{role} xss",
            role=role,
            school=school if role == "coordinator" else None,
            password_hash=FAST_HASH,
            created_at=REGISTERED,
        )
        db.session.add(user)
        users[role] = user
    target = User(
        email="edited@xss.example.org",
        display_name="edited by the admin form",
        role="resident",
        password_hash=FAST_HASH,
    )  # the admin's edit form changes it
    db.session.add(target)
    db.session.commit()
    meters_read(school)  # forms pick the first evidence kind, "metered": give it readings
    meters_read(users["resident"])
    log = factory.log(users["coordinator"], note="plain note")
    overrides = {"school_id": school.id, "log_id": log.id, "user_id": target.id}
    return users, overrides


def seeded_world(app: Flask, factory, db) -> tuple[dict[str, User], dict, SeedReport]:
    """make_world, then every form of the app submitted once per payload (seed_payloads,
    seed_embedded): the users, the URL ids and what the forms stored.

    Seeding takes seconds and the same data serves this test and each role's browser
    test (tests/e2e/test_xss_browser.py): built once per test process on SQLite and
    copied back after (tests.helpers.built_once), as tests/test_access_matrix.World is.
    """

    def seed() -> tuple[dict[str, int], dict, SeedReport]:
        users, overrides = make_world(factory, db)
        report = seed_payloads(app, users, overrides)
        seed_embedded(app, users, overrides, report)
        db.session.commit()
        return {role: user.id for role, user in users.items()}, overrides, report

    user_ids, overrides, report = built_once("xss world", seed, factory)
    return {role: db.session.get(User, i) for role, i in user_ids.items()}, overrides, report


_CRAWLS: dict[tuple, dict[str, Crawl]] = {}


def crawled_world(
    app: Flask, factory, db, who: str | None = None
) -> tuple[dict[str, User], dict, SeedReport, Crawl]:
    """seeded_world, and every page of it fetched as anonymous and as every role (or only
    as `who`: "anonymous" or a role) by crawl.

    On SQLite the seeded world is the same rows every time (copied back), so each
    person's pages are fetched once per test process: this test checks them all for
    live markup, and each role's browser test picks the pages worth opening in Chromium
    from that role's answers."""
    users, overrides, report = seeded_world(app, factory, db)
    key = (
        str(db.engine.url),
        tuple(sorted((role, user.id) for role, user in users.items())),
        tuple(sorted(overrides.items())),
    )
    kept = _CRAWLS.setdefault(key, {}) if db.engine.dialect.name == "sqlite" else {}
    found = Crawl()
    for person in ("anonymous", *users) if who is None else (who,):
        if person not in kept:
            kept[person] = crawl(app, users, overrides, person)
            db.session.rollback()
        found.pages += kept[person].pages
        found.leaks += kept[person].leaks
        found.answers.update(kept[person].answers)
    return users, overrides, report, found


@pytest.mark.long
def test_payloads_in_every_form_are_stored_inert_and_never_render_as_markup(app, factory, db):
    users, overrides, report, crawled = crawled_world(app, factory, db)
    # the core free-text fields all took payloads: names, notes, schools, accounts
    for endpoint in (
        "auth.register",
        "logs.new",
        "logs.edit",
        "schools.new",
        "schools.edit",
        "auth.user_new",
        "auth.user_edit",
    ):
        assert report.forms.get(endpoint) == len(PAYLOADS), (endpoint, report.forms)
    assert not report.leaks, report.leaks
    assert not crawled.leaks, crawled.leaks
    assert crawled.pages > 100
    print(
        f"\nXSS: {len(PAYLOADS)} payloads, {report.submissions} form submissions, "
        f"{len(report.forms)} forms stored payloads: {sorted(report.forms)}; "
        f"{crawled.pages} page views checked"
    )
