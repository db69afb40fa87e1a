"""XSS: payloads typed into every free-text field of every form stay inert on every page.

The browser side (a dialog handler that fails on any alert) is in
tests/e2e/test_xss_browser.py.
"""

from __future__ import annotations

import copy
import sqlite3

import pytest
from flask import Flask

from greenapp.models.user import ROLES, User
from tests.helpers import (
    FAST_HASH,
    PAYLOADS,
    REGISTERED,
    SeedReport,
    copy_database,
    crawl,
    is_empty_sqlite,
    meters_read,
    restore_database,
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


# Per test process: {database url: (the seeded database, user ids, overrides, report,
# factory steps)}.
_SEEDED: dict[str, tuple[sqlite3.Connection, dict[str, int], dict, SeedReport, int]] = {}


def seeded_world(app: Flask, factory, db) -> tuple[dict[str, User], dict, SeedReport]:
    """make_world, then every form of the app submitted once per payload (seed_payloads,
    seed_embedded): the users, the URL ids and what the forms stored.

    Seeding takes seconds and the same data serves this test and each role's browser
    test (tests/e2e/test_xss_browser.py): on SQLite the first seeding of a test process
    on an empty database is kept, and later ones are copied back from it (the same rows
    and ids), as tests/test_access_matrix.World does.
    """
    key = str(db.engine.url)
    empty = is_empty_sqlite()
    if empty and key in _SEEDED:
        snapshot, user_ids, overrides, report, steps = _SEEDED[key]
        restore_database(snapshot)
        factory.n += steps
        users = {role: db.session.get(User, i) for role, i in user_ids.items()}
        return users, dict(overrides), copy.deepcopy(report)
    n_before = factory.n
    users, overrides = make_world(factory, db)
    report = seed_payloads(app, users, overrides)
    seed_embedded(app, users, overrides, report)
    db.session.commit()
    if empty:
        user_ids = {role: user.id for role, user in users.items()}
        saved = (copy_database(), user_ids, dict(overrides), copy.deepcopy(report))
        _SEEDED[key] = (*saved, factory.n - n_before)
    return users, overrides, report


@pytest.mark.long
def test_payloads_in_every_form_are_stored_inert_and_never_render_as_markup(app, factory, db):
    users, overrides, report = seeded_world(app, factory, db)
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
    pages, leaks = crawl(app, users, overrides)
    assert not leaks, leaks
    assert pages > 100
    print(
        f"\nXSS: {len(PAYLOADS)} payloads, {report.submissions} form submissions, "
        f"{len(report.forms)} forms stored payloads: {sorted(report.forms)}; "
        f"{pages} page views checked"
    )
