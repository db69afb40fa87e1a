"""Admin spreadsheet imports of schools and of accounts: dry run, commit, undo.

The same machinery as the entries import (services/imports.py: reading CSV/XLSX/ODS with
python-calamine, header names in any interface language, the ImportBatch with the file's
SHA-256, the error file) and the same services as the admin pages: every row goes through
schools.save_school or users.create_user, in the dry run inside a savepoint that is
rolled back (so a row is checked against the rows before it too), and again on commit in
the request's transaction, so one invalid row stores nothing.

Schools: name, city (any spelling in any language, through the cities table), pupils,
joined date, address. A school whose name exists in the same city is a duplicate.
Accounts: email, name, role, school (by name), language. An existing email is a
duplicate. No password is ever read from a file: each new account gets a random
password nobody knows and the confirmation mail (services/account_mail.py), sent after
the commit; the owner then chooses a password with "Forgot your password?".

Undo: accounts not yet used (address never confirmed) are deactivated, used ones are
kept (the answer says how many); schools are deleted only when nothing refers to them
yet, else nothing is undone and the message names them.
"""

from __future__ import annotations

import json
import secrets

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.imports import (
    BATCH_COMMITTED,
    BATCH_PREVIEW,
    BATCH_UNDONE,
    TARGET_ACCOUNTS,
    TARGET_SCHOOLS,
    ImportBatch,
)
from greenapp.models.place import find_city
from greenapp.models.school import School, SchoolTarget
from greenapp.models.user import ADMIN, COORDINATOR, ROLES, User
from greenapp.permissions import ADMIN_IMPORTERS
from greenapp.services import account_mail, audit, cache, locking, mail
from greenapp.services import imports as base
from greenapp.services import schools as school_service
from greenapp.services import users as user_service
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.i18n import LANGUAGE_NAMES

TARGETS = (TARGET_SCHOOLS, TARGET_ACCOUNTS)

FIELD_LABELS = {
    TARGET_SCHOOLS: {
        "name": _l("School name"),
        "city": _l("City"),
        "pupils": _l("Pupils"),
        "joined_on": _l("Joined the programme"),
        "address": _l("Address"),
    },
    TARGET_ACCOUNTS: {
        "email": _l("E-mail"),
        "display_name": _l("Name"),
        "role": _l("Role"),
        "school": _l("School"),
        "locale": _l("Language"),
    },
}
REQUIRED = {
    TARGET_SCHOOLS: ("name", "city", "pupils", "joined_on"),
    TARGET_ACCOUNTS: ("email", "display_name", "role"),
}
EXTRA_HEADERS = {
    TARGET_SCHOOLS: {
        "name": "name",
        "school": "name",
        "city": "city",
        "pupils": "pupils",
        "joined": "joined_on",
        "joined_on": "joined_on",
        "address": "address",
    },
    TARGET_ACCOUNTS: {
        "email": "email",
        "e-mail": "email",
        "name": "display_name",
        "display_name": "display_name",
        "role": "role",
        "school": "school",
        "language": "locale",
        "locale": "locale",
        "lang": "locale",
    },
}
TITLES = {TARGET_SCHOOLS: _l("Import schools"), TARGET_ACCOUNTS: _l("Import accounts")}


def _require_admin(actor: User) -> None:
    if actor.role not in ADMIN_IMPORTERS:
        raise PermissionDenied(_l("Only admins import schools and accounts."))


def header_map(target: str, header: list[str]) -> dict[str, int]:
    names = base._translated(FIELD_LABELS[target])
    names.update({base._norm(k): v for k, v in EXTRA_HEADERS[target].items()})
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = names.get(base._norm(cell))
        if name and name not in found:
            found[name] = index
    missing = [f for f in REQUIRED[target] if f not in found]
    if missing:
        raise base.ImportRefused(
            gettext(
                "These columns are missing: %(names)s. Use the template, or name the columns "
                "as it does.",
                names=", ".join(f"«{FIELD_LABELS[target][f]}»" for f in missing),
            )
        )
    return found


def _roles() -> dict[str, str]:
    from greenapp.main.templating import ROLE_LABELS

    return base._translated(dict(ROLE_LABELS))


def _languages() -> dict[str, str]:
    names = {base._norm(code): code for code in LANGUAGE_NAMES}
    names.update({base._norm(name): code for code, name in LANGUAGE_NAMES.items()})
    names.update(
        {
            base._norm(k): v
            for k, v in {
                "kazakh": "kk",
                "russian": "ru",
                "belarusian": "be",
                "english": "en",
                "казахский": "kk",
                "русский": "ru",
                "белорусский": "be",
                "английский": "en",
                "қазақ": "kk",
                "орыс": "ru",
            }.items()
        }
    )
    return names


def _pupils(text: str) -> int:
    try:
        value = int(text.replace("\u00a0", "").replace(" ", ""))
    except ValueError:
        raise ValidationFailed(_l("Enter the number of pupils."), "pupils") from None
    return value


def _school_row(cell, _cache: dict) -> tuple[tuple, object]:
    """(duplicate key, callable that stores the row) for a school row."""
    name = cell("name")
    if not name:
        raise ValidationFailed(_l("Enter the school's name."), "name")
    joined = cell("joined_on")
    if not joined:
        raise ValidationFailed(_l("Enter the date the school joined."), "joined_on")
    try:
        joined_on = base._date(joined)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, "joined_on") from None
    data = school_service.SchoolInput(
        name=name[:160],
        city=cell("city"),
        country="",
        address=cell("address")[:240],
        pupils=_pupils(cell("pupils")),
        joined_on=joined_on,
    )
    city = find_city(db.session, data.city)
    key = (base._norm(name), city.id if city is not None else base._norm(data.city))
    return key, data


def _is_duplicate_school(key: tuple) -> bool:
    if not isinstance(key[1], int):
        return False
    names = db.session.scalars(select(School.name).where(School.city_id == key[1])).all()
    return any(base._norm(n) == key[0] for n in names)


def _account_row(cell, _cache: dict) -> tuple[tuple, object]:
    email = user_service.normalise_email(cell("email"))
    role = _roles().get(base._norm(cell("role")), "")
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role."), "role")
    if role == ADMIN:
        raise ValidationFailed(
            _l("Admin accounts are not imported; create them one by one on the Accounts page."),
            "role",
        )
    school = None
    if cell("school"):
        wanted = base._norm(cell("school"))
        if "schools" not in _cache:
            _cache["schools"] = {base._norm(s.name): s for s in db.session.scalars(select(School))}
        school = _cache["schools"].get(wanted)
        if school is None:
            raise ValidationFailed(_l("There is no school with this name."), "school")
    locale = None
    if cell("locale"):
        locale = _languages().get(base._norm(cell("locale")))
        if locale is None:
            raise ValidationFailed(_l("Unknown language; use kk, ru, be or en."), "locale")
    data = {
        "email": email,
        "display_name": cell("display_name")[:80],
        "role": role,
        "school": school if role == COORDINATOR else None,
        "locale": locale,
    }
    return ("email", email), data


def _run(
    actor: User, target: str, content: bytes, *, send: bool
) -> tuple[base.Analysis, list[int]]:
    """Every row through the admin pages' service, in order, in this transaction."""
    kind, header, data = base.read_table(content)
    cols = header_map(target, header)
    labels = FIELD_LABELS[target]
    analysis = base.Analysis(kind=kind, header=header)
    stored: list[int] = []
    seen: dict[tuple, int] = {}
    cache_: dict = {}
    for number, cells in data:
        row = base.RowResult(number=number, cells=[base._text(c) for c in cells])
        analysis.rows.append(row)
        width = len(cells)

        def cell(name: str, cells=cells, width=width) -> str:
            index = cols.get(name)
            return base._text(cells[index]) if index is not None and index < width else ""

        try:
            if target == TARGET_SCHOOLS:
                key, school_input = _school_row(cell, cache_)
                duplicate = _is_duplicate_school(key)
            else:
                key, account = _account_row(cell, cache_)
                duplicate = user_service.find_by_email(key[1]) is not None
            if key in seen:
                row.status = base.DUPLICATE
                row.reason = gettext("The same as row %(row)s of this file.", row=seen[key])
                continue
            if duplicate:
                row.status = base.DUPLICATE
                row.reason = (
                    gettext("Already stored: a school with this name exists in this city.")
                    if target == TARGET_SCHOOLS
                    else gettext("Already stored: an account with this e-mail exists.")
                )
                continue
            if target == TARGET_SCHOOLS:
                stored.append(school_service.save_school(actor, school_input).id)  # type: ignore[arg-type]
            else:
                user = user_service.create_user(
                    password=secrets.token_urlsafe(32), actor=actor, confirmed=False, **account
                )  # type: ignore[arg-type]
                stored.append(user.id)
                if send:
                    mail.send_after_commit(account_mail.confirmation(user))
            seen[key] = number
        except ValidationFailed as exc:
            row.status = base.INVALID
            label = (
                str(labels.get(exc.field or "", ""))
                if exc.field != "school_id"
                else str(labels.get("school", ""))
            )
            row.reason = f"{label}: {exc.message}" if label else str(exc.message)
    return analysis, stored


def analyse(actor: User, target: str, content: bytes) -> base.Analysis:
    """The dry run: every row checked as if stored, then nothing kept."""
    savepoint = db.session.begin_nested()
    try:
        analysis, _stored = _run(actor, target, content, send=False)
    finally:
        savepoint.rollback()
    return analysis


_count = base.count_rows


def can_manage(user: User, batch: ImportBatch) -> bool:
    return batch.target in TARGETS and user.role in ADMIN_IMPORTERS


def visible_batches(user: User, target: str):
    return base.visible_batches(user, target)


def preview(actor: User, target: str, filename: str, content: bytes) -> ImportBatch:
    _require_admin(actor)
    analysis = analyse(actor, target, content)
    batch = base.new_batch(actor, None, target, filename, content, analysis.kind)
    _count(batch, analysis)
    db.session.flush()
    return batch


def commit(actor: User, batch: ImportBatch) -> int:
    """Store every new row, all or nothing (the caller rolls back on an exception)."""
    locking.lock(batch)
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("Only admins import schools and accounts."))
    if batch.status != BATCH_PREVIEW or batch.content is None:
        raise ValidationFailed(_l("This file was already imported or undone."), "file")
    analysis, stored = _run(actor, batch.target, batch.content, send=True)
    _count(batch, analysis)
    if batch.rows_invalid:
        raise ValidationFailed(
            _l("Some rows are invalid now. Check the file again; nothing was imported."), "file"
        )
    batch.rows_added = len(stored)
    batch.checked = json.dumps({"ids": stored})
    batch.status = BATCH_COMMITTED
    batch.committed_at = utcnow()
    audit.record(
        "import_batch",
        batch.id,
        "commit",
        actor,
        {"status": [BATCH_PREVIEW, BATCH_COMMITTED], "rows_added": [0, len(stored)]},
    )
    return len(stored)


def _references(school_id: int) -> int:
    """Rows of other tables that point at this school (its own targets excepted)."""
    total = 0
    for table in db.metadata.sorted_tables:
        if table.name == SchoolTarget.__tablename__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == School.__tablename__:
                total += (
                    db.session.scalar(
                        select(func.count()).select_from(table).where(fk.parent == school_id)
                    )
                    or 0
                )
    return total


def undo(actor: User, batch: ImportBatch) -> tuple[int, int]:
    """Undo a committed batch: (rows undone, rows kept because already in use)."""
    locking.lock(batch)
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("Only admins import schools and accounts."))
    if batch.status != BATCH_COMMITTED:
        raise ValidationFailed(_l("Only an imported file can be undone."), "file")
    ids = json.loads(batch.checked or "{}").get("ids", [])
    done = kept = 0
    if batch.target == TARGET_ACCOUNTS:
        for user in db.session.scalars(select(User).where(User.id.in_(ids))):
            if user.email_confirmed_at is not None or not user.active:
                kept += user.active
                continue
            user.active = False
            user.rotate_session_token()
            audit.record("user", user.id, "update", actor, {"active": [True, False]})
            done += 1
    else:
        schools = db.session.scalars(select(School).where(School.id.in_(ids))).all()
        used = [s.name for s in schools if _references(s.id)]
        if used:
            raise ValidationFailed(
                ngettext(
                    "Nothing was undone: the school %(names)s already has accounts or data. "
                    "Remove them first, or keep the school.",
                    "Nothing was undone: the schools %(names)s already have accounts or data. "
                    "Remove them first, or keep the schools.",
                    len(used),
                    names=", ".join(f"«{n}»" for n in used),
                ),
                "file",
            )
        for school in schools:
            audit.record("school", school.id, "delete", actor, {"name": [school.name, None]})
            db.session.execute(delete(SchoolTarget).where(SchoolTarget.school_id == school.id))
            db.session.delete(school)
            done += 1
        db.session.flush()
        cache.invalidate([cache.PROGRAMME])
    batch.status = BATCH_UNDONE
    batch.undone_at = utcnow()
    batch.undone_by_id = actor.id
    audit.record(
        "import_batch",
        batch.id,
        "undo",
        actor,
        {"status": [BATCH_COMMITTED, BATCH_UNDONE], "rows_deleted": [0, done]},
    )
    return done, kept


def stored_analysis(actor: User, batch: ImportBatch) -> base.Analysis | None:
    if batch.status != BATCH_PREVIEW or batch.content is None:
        return None
    try:
        return analyse(actor, batch.target, batch.content)
    except ValidationFailed:
        return None


def template_xlsx(target: str) -> bytes:
    """An empty sheet for schools or accounts in the reader's language."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(TITLES[target])[:31]
    columns = [str(label) for label in FIELD_LABELS[target].values()]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, name in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(16, len(name) + 4)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
