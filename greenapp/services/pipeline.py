"""The one write sequence for an eco-action log.

Every save of a log (create, edit, delete, a review decision) runs the same steps, in
this order, each a small function below that can be called and tested alone:

    validate -> lock -> store -> summaries -> audit -> quality -> challenges
             -> notifications -> invalidate

- validate: the typing rules (services/log_rules.py) and who may do it - reads only,
  run before any lock, while other requests write (for a new entry the quality rule's
  reads too: they do not depend on the entry's own row);
- lock: the write lock is taken here and held until the caller commits. A new entry
  takes it with its INSERT; an edit, delete or review first takes it (`lock_row`:
  SELECT ... FOR UPDATE, on SQLite the database's write lock, see ops/sqlite.py) and
  re-reads the row, so its version check and its "before" state are the current ones
  and two people editing at once get a Conflict instead of a silent overwrite;
- store: the log row;
- summaries: the log's old state out of, and its new state into, the daily summary, the
  monthly rollup and the programme rollup (summary.apply: one upsert each, in Python;
  no database trigger);
- audit: one record of what changed;
- quality: a new or edited entry far above its owner's usual value is flagged, and the
  flag audited (services/quality.py has the rule; nothing here runs twice);
- challenges: badges for the challenges its owner has just completed (none for a
  flagged entry, until a scientist verifies it);
- notifications: the owner's bell, once per badge or decision;
- invalidate: the cache scopes the write touched (that school and the programme) -
  the LAST write of the transaction, so every writer takes those row locks after its
  summary rows, in one order (no deadlock between two writers).

The caller commits (one transaction per request); nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.base import insert_one, utcnow
from greenapp.models.community import Badge, Challenge
from greenapp.models.log import (
    OWNER_SCHOOL,
    REVIEW_FLAGGED,
    REVIEW_REJECTED,
    REVIEW_STATES,
    REVIEW_VERIFIED,
    EcoLog,
)
from greenapp.models.school import School
from greenapp.models.user import ADMIN, COORDINATOR, User
from greenapp.ops.sqlite import write_lock
from greenapp.services import audit, cache, challenges, notifications, quality, summary
from greenapp.services.bulk_write import create_logs as create_logs_bulk  # noqa: F401
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.log_rules import (
    AUDITED_FIELDS,
    LogInput,
    can_edit,
    owner_for,
    validate,
)

# --- the operations: each one reads as its sequence of steps ------------------------


def create_log(actor: User, data: LogInput, for_school: School | None = None) -> EcoLog:
    """Validate and store a new log for the actor's school or the actor.

    `for_school` lets an admin log for a chosen school (spreadsheet import); a
    coordinator may only name their own school.
    """
    if for_school is not None:
        if not (
            actor.role == ADMIN or (actor.role == COORDINATOR and actor.school_id == for_school.id)
        ):
            raise PermissionDenied(_l("You cannot log eco-actions for this school."))
        owner: School | User = for_school
    else:
        owner = owner_for(actor)
    school = owner if isinstance(owner, School) else None
    existing = stored_already(actor, data.client_uuid)
    if existing is not None:
        return existing  # a repeat send (offline queue): the first one stands, nothing added
    values = validate(data, school, None if school else actor)
    values["client_uuid"] = data.client_uuid
    # The quality rule's reads, before the write lock (the entry is not stored yet).
    implausible = quality.is_implausible_new(school is not None, owner.id, values)
    log = store_new(actor, school, values)  # the write lock is taken here
    summarise(log, before=None)
    audit.record(
        "log", log.id, "create", actor, audit.diff({}, audit.snapshot(log, AUDITED_FIELDS))
    )
    flagged = flag_if_implausible(log, implausible)
    awarded = award_badges(log, flagged)
    notify_badges(log, awarded)
    invalidate(log)
    return log


def update_log(actor: User, log: EcoLog, data: LogInput, expected_version: int) -> EcoLog:
    """Apply an edit; refuse it if someone else saved the log in the meantime."""
    lock_current(
        actor,
        log,
        expected_version,
        _l("You cannot edit this entry."),
        _l(
            "Someone else changed this entry while you were editing it. "
            "Review their version below and make your change again."
        ),
    )
    values = validate(data, log.school, log.resident if log.school is None else None)
    before = audit.snapshot(log, AUDITED_FIELDS)
    state = Counted.of(log)
    for name, value in values.items():
        setattr(log, name, value)
    changes = audit.diff(before, audit.snapshot(log, AUDITED_FIELDS))
    if not changes:
        return log  # nothing changed: nothing to store, count or invalidate
    log.version += 1
    summarise(log, before=state)
    audit.record("log", log.id, "update", actor, changes)
    flagged = flag_if_implausible(log)
    awarded = award_badges(log, flagged)
    notify_badges(log, awarded)
    invalidate(log)
    return log


def delete_log(actor: User, log: EcoLog, expected_version: int | None = None) -> None:
    """Soft-delete a log: it leaves totals but stays in the record and the audit."""
    lock_row(log)  # see lock_current: no lost updates
    if not can_edit(actor, log):
        raise PermissionDenied(_l("You cannot delete this entry."))
    if log.deleted_at is not None:
        return
    if expected_version is not None and expected_version != log.version:
        raise Conflict(_l("Someone else changed this entry; look at it again first."))
    soft_delete(actor, log)


def soft_delete(actor: User, log: EcoLog) -> None:
    """Take a log out of totals and mark it deleted, audited; the caller checked rights
    (delete_log above, or an import's undo, which deletes a whole batch together)."""
    if log.deleted_at is not None:
        return
    state = Counted.of(log)
    log.deleted_at = utcnow()
    log.deleted_by_id = actor.id
    log.version += 1
    summarise(log, before=state)
    audit.record("log", log.id, "delete", actor, {"deleted": [False, True]})
    invalidate(log)


def set_review(actor: User | None, log: EcoLog, status: str, reason: str = "") -> EcoLog:
    """Change a log's review state, moving it in or out of totals as needed."""
    if status not in REVIEW_STATES:
        raise ValidationFailed(_l("Unknown review state."), "status")
    lock_row(log)
    state = Counted.of(log)
    changes = store_review(actor, log, status, reason)
    summarise(log, before=state)
    audit.record("log", log.id, "review", actor, changes)
    invalidate(log)
    return log


def review_log(actor: User, log: EcoLog, decision: str, reason: str) -> EcoLog:
    """A scientist verifies or rejects a log; rejecting needs a reason the owner sees.

    A verified entry may complete a challenge (its badge was held back while flagged).
    """
    lock_row(log)  # two decisions at once: the second sees the first's state
    reason = quality.check_decision(actor, log, decision, reason)
    state = Counted.of(log)
    changes = store_review(actor, log, decision, reason)
    summarise(log, before=state)
    audit.record("log", log.id, "review", actor, changes)
    awarded = award_badges(log, flagged=False) if decision == REVIEW_VERIFIED else []
    notify_badges(log, awarded)
    notifications.notify_owner(
        log.owner_type,
        log.owner_id,
        notifications.LOG_REJECTED if decision == REVIEW_REJECTED else notifications.LOG_VERIFIED,
        f"/logs/{log.id}",
        day=log.action_date.isoformat(),
        reason=reason,
    )
    invalidate(log)
    return log


# --- the steps -------------------------------------------------------------------------


def store_new(actor: User, school: School | None, values: dict) -> EcoLog:
    """Store: a new log row for the school (or the actor as a resident)."""
    # One Core INSERT (the object is made from what was stored, models/base.py): the
    # unit of work's flush would cost more than the statement itself.
    return insert_one(
        db.session,
        EcoLog,
        {
            "school_id": school.id if school else None,
            "resident_id": None if school else actor.id,
            "created_by_id": actor.id,
            **values,
        },
    )


def stored_already(actor: User, client_uuid: str | None) -> EcoLog | None:
    """Store (idempotency): the entry this author already sent with this client UUID.

    The unique (author, client_uuid) constraint makes a concurrent duplicate fail at
    the insert; the caller then finds the first one here.
    """
    if not client_uuid:
        return None
    return db.session.scalar(
        select(EcoLog).where(EcoLog.created_by_id == actor.id, EcoLog.client_uuid == client_uuid)
    )


def lock_row(log: EcoLog) -> None:
    """Lock: take the write lock for this log and re-read it (SELECT ... FOR UPDATE).

    Everything read before (the page's copy of the log, the form's checks) ran without
    a lock; from here on a concurrent writer of this log waits until the caller commits
    (on SQLite every writer waits: `write_lock` takes the database's one write lock).
    """
    write_lock(db.session)
    db.session.refresh(log, with_for_update=True)


def lock_current(actor: User, log: EcoLog, expected_version: int, denied, changed) -> None:
    """Lock (edits): lock and re-read the row; refuse if not editable or changed.

    A concurrent edit waits here, then sees the new version and gets a Conflict
    instead of silently overwriting.
    """
    lock_row(log)
    if not can_edit(actor, log) or log.deleted_at is not None:
        raise PermissionDenied(denied)
    if expected_version != log.version:
        raise Conflict(changed)


def store_review(actor: User | None, log: EcoLog, status: str, reason: str) -> dict:
    """Store: a new review state on the log; return the audit changes."""
    before = {"review_status": log.review_status, "review_reason": log.review_reason}
    log.review_status = status
    log.review_reason = reason
    log.reviewed_by_id = actor.id if actor else None
    log.reviewed_at = utcnow()
    log.version += 1
    return audit.diff(before, {"review_status": status, "review_reason": reason})


@dataclass(frozen=True)
class Counted:
    """How a log stood in the summaries before a change (key, quantity, counted)."""

    key: dict
    quantity: object
    counted: bool

    @classmethod
    def of(cls, log: EcoLog) -> Counted:
        """The log's state as the summaries hold it now."""
        return cls(summary.key_of(log), log.quantity, log.counts)


def summarise(log: EcoLog, before: Counted | None) -> None:
    """Summaries: take the log's previous state out (if it counted), put its new
    state in (if it counts). Daily summary, monthly and programme rollups move
    together, by one upsert each (summary.apply)."""
    if before is not None and before.counted:
        summary.remove_state(before.key, before.quantity)  # type: ignore[arg-type]
    if log.counts:
        summary.add_log(log)


def flag_if_implausible(log: EcoLog, implausible: bool | None = None) -> bool:
    """Quality: flag a log far above its owner's usual value (audited); True if so.

    `implausible` is the rule's answer when the caller read it already (a new entry,
    before the write lock); otherwise it is read here."""
    if implausible is None:
        implausible = quality.is_implausible(log)
    if not implausible:
        return False
    # No stored text: pages explain an automatic flag in the reader's own language.
    changes = store_review(None, log, REVIEW_FLAGGED, "")
    audit.record("log", log.id, "review", None, changes)  # a flagged log still counts
    return True


def award_badges(log: EcoLog, flagged: bool) -> list[tuple[Badge, Challenge]]:
    """Challenges: badges the owner just earned (none while the entry is flagged)."""
    if flagged or log.review_status == REVIEW_FLAGGED:
        return []
    return challenges.award_new_badges(log.owner_type, log.owner_id)


def notify_badges(log: EcoLog, awarded: list[tuple[Badge, Challenge]]) -> None:
    """Notifications: the owner's bell for each badge just awarded."""
    challenges.notify_badges(log.owner_type, log.owner_id, awarded)


def scopes_of(log: EcoLog) -> list[str]:
    """The cache scopes a change to this log touches."""
    if log.owner_type == OWNER_SCHOOL:
        return [cache.school_scope(log.owner_id), cache.PROGRAMME]
    # The programme overview and the public page count residents too (they say so).
    return [f"resident:{log.owner_id}", cache.PROGRAMME]


def invalidate(log: EcoLog) -> None:
    """Invalidate: move the versions of the scopes this write touched (last write)."""
    cache.invalidate(scopes_of(log))
