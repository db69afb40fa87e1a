"""In-app notifications: stored as a kind plus parameters, shown in the reader's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any, cast

from flask import g, has_request_context
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, select, update

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.community import Notification
from greenapp.models.user import COORDINATOR, User
from greenapp.services.demo_text import demo_text

PROPOSAL_STATUS = "proposal_status"
LOG_VERIFIED = "log_verified"
LOG_REJECTED = "log_rejected"
CHALLENGE_COMPLETED = "challenge_completed"


def notify(user_id: int, kind: str, link: str = "", **params: Any) -> Notification:
    """Queue a notification for one user (committed with the change that caused it)."""
    note = Notification(user_id=user_id, kind=kind, link=link, params=params)
    db.session.add(note)
    _forget_unread()
    _mail_note(user_id, note)
    return note


def _mail_note(user_id: int, note: Notification) -> None:
    """The same news by e-mail, unless the user opted out; sent only if the change commits."""
    from greenapp.services import mail

    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.active
        or not user.notify_by_email
        or user.email_confirmed_at is None
    ):
        return

    def build() -> mail.Content:
        return mail.Content(
            subject=_("News from greenapp"),
            paragraphs=[message(note)],
            action_label=_("Open greenapp"),
            action_url=mail.absolute_path(note.link or "/"),
            settings_hint=True,
        )

    mail.send_after_commit(mail.compose(user, "notification", build))


def notify_owner(owner_type: str, owner_id: int, kind: str, link: str = "", **params: Any) -> None:
    """Notify a resident, or every coordinator of a school."""
    if owner_type == "resident":
        notify(owner_id, kind, link, **params)
        return
    ids = db.session.scalars(
        select(User.id).where(User.school_id == owner_id, User.role == COORDINATOR)
    )
    for user_id in ids:
        notify(user_id, kind, link, **params)


def unread_subquery(user_id_column: Any) -> Any:
    """The bell's COUNT as a scalar subquery, to read with the signed-in user's row."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def remember_unread(user_id: int, count: int) -> None:
    """Keep a count read with the user's row for the rest of this request."""
    if has_request_context():
        g._greenapp_unread = (user_id, count)


def unread_count(user_id: int) -> int:
    """The number shown on the bell: read with the user at sign-in of the request,
    else one indexed COUNT."""
    known = g.get("_greenapp_unread") if has_request_context() else None
    if known is not None and known[0] == user_id:
        return known[1]
    return db.session.scalar(select(unread_subquery(user_id))) or 0


def _forget_unread() -> None:
    if has_request_context():
        g.pop("_greenapp_unread", None)


def for_user(user_id: int, limit: int = 100) -> list[Notification]:
    """The user's notifications, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read; return how many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    _forget_unread()
    from greenapp.services.cache import user_changed

    user_changed(db.session, user_id)  # the bell: kept copies of the user are stale
    result = cast(CursorResult, db.session.execute(stmt.values(read_at=utcnow())))
    return result.rowcount or 0


def _day(value: str) -> str:
    """A day kept as ISO text in the parameters, written the reader's way."""
    try:
        return format_date(date.fromisoformat(value), "long")
    except (TypeError, ValueError):
        return value


def message(note: Notification) -> str:
    """The text of a notification in the current interface language."""
    from greenapp.services.proposals import status_labels

    p = dict(note.params or {})
    if note.kind == PROPOSAL_STATUS:
        return _(
            'Your proposal "%(title)s" is now: %(status)s.',
            title=demo_text(p.get("title", "")),
            status=status_labels().get(p.get("status", ""), p.get("status", "")),
        )
    if note.kind == LOG_VERIFIED:
        return _("A scientist verified your entry of %(day)s.", day=_day(p.get("day", "")))
    if note.kind == LOG_REJECTED:
        return _(
            "A scientist rejected your entry of %(day)s: %(reason)s",
            day=_day(p.get("day", "")),
            reason=p.get("reason", ""),
        )
    if note.kind == CHALLENGE_COMPLETED:
        return _(
            'Challenge completed: "%(title)s". A badge was added to your profile.',
            title=demo_text(p.get("title", "")),
        )
    return note.kind


DIGEST_ITEMS = 20


def send_digest(days: int = 7, now: datetime | None = None) -> tuple[int, int]:
    """Mail every user who wants the digest the notifications of the last ``days`` days,
    each in their own language. Users with nothing new get nothing. Returns (sent, failed)."""
    from greenapp.services import mail

    since = (now or utcnow()) - timedelta(days=days)
    rows = db.session.execute(
        select(User, Notification)
        .join(Notification, Notification.user_id == User.id)
        .where(
            User.active.is_(True),
            User.digest_by_email.is_(True),
            User.email_confirmed_at.is_not(None),
            Notification.created_at >= since,
        )
        .order_by(User.id, Notification.created_at.desc(), Notification.id.desc())
    )
    sent = failed = 0
    for user, group in groupby(rows, key=lambda row: row[0]):
        notes = [row[1] for row in group]

        def build(notes: list[Notification] = notes) -> mail.Content:
            unread = sum(1 for n in notes if n.read_at is None)
            return mail.Content(
                subject=_("Your week on greenapp"),
                paragraphs=[
                    ngettext(
                        "%(num)d notification this week:",
                        "%(num)d notifications this week:",
                        len(notes),
                    ),
                    ngettext(
                        "%(num)d of them is still unread.",
                        "%(num)d of them are still unread.",
                        unread,
                    )
                    if unread
                    else _("You have read them all. Thank you!"),
                ],
                items=[message(n) for n in notes[:DIGEST_ITEMS]],
                action_label=_("Open my notifications"),
                action_url=mail.absolute_url("community.notification_list"),
                settings_hint=True,
            )

        if mail.send(mail.compose(user, "digest", build)):
            sent += 1
        else:
            failed += 1
    return sent, failed
