"""E-mail: rendered in the recipient's language, sent over SMTP, never at the cost of an action.

Backends (``MAIL_BACKEND``): ``smtp`` (production), ``console`` (development: printed),
``memory`` (tests that do not run the in-process SMTP server). A failed delivery is logged
without secrets and reported to the caller as ``False``; whatever the user did is already
saved (mails caused by a database change are sent only after its commit).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from flask import current_app, flash, has_request_context, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event

from greenapp.extensions import db

log = logging.getLogger("greenapp.mail")
_QUEUE_KEY = "greenapp_mail_queue"


@dataclass
class Mail:
    """One message to one recipient, already rendered in the recipient's language."""

    to: str
    subject: str
    text: str
    html: str | None = None
    kind: str = "mail"
    headers: dict[str, str] = field(default_factory=dict)


def locale_for(user: Any) -> str:
    """The recipient's stored language, else the app's default."""
    languages = current_app.config["LANGUAGES"]
    locale = getattr(user, "locale", None)
    return str(locale) if locale in languages else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for a mail: PUBLIC_BASE_URL (or this request's host in development) + path.

    Production should set PUBLIC_BASE_URL so that a forged Host header can never put
    another site's address into a password-reset link.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if not base:
        base = request.host_url.rstrip("/") if has_request_context() else "http://localhost:5000"
    return base + path


@dataclass
class Content:
    """What a mail says, already in the recipient's language (built inside their locale)."""

    subject: str
    paragraphs: list[str]
    action_label: str = ""
    action_url: str = ""
    items: list[str] = field(default_factory=list)
    settings_hint: bool = False  # add "change what we send you" with a link to settings


def absolute_path(path: str) -> str:
    """A site path (as stored with a notification) as a full link for a mail."""
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    return absolute_url("main.index").rstrip("/") + path


def compose(user: Any, kind: str, build: Callable[[], Content]) -> Mail:
    """Build a mail in the user's language: ``build`` runs inside their locale.

    The layout is ``templates/mail/message.txt`` and ``message.html``; the HTML part is
    autoescaped by Jinja, so user text (names, titles, reasons) stays text.
    """
    with force_locale(locale_for(user)):
        content = build()
        name = getattr(user, "display_name", "") or ""
        greeting = _("Hello, %(name)s,", name=name) if name else _("Hello,")
        footer = [
            _(
                "This mail was sent by greenapp, the Green School and Green Community "
                "programme of Korkyt Ata Kyzylorda University."
            )
        ]
        if content.settings_hint:
            footer.append(
                _(
                    "To choose which mails you get, open your settings: %(url)s",
                    url=absolute_url("auth.settings"),
                )
            )
        context = {"c": content, "greeting": greeting, "footer": footer, "lang": locale_for(user)}
        text = render_template("mail/message.txt", **context)
        html = render_template("mail/message.html", **context)
    return Mail(to=user.email, subject=content.subject, text=text, html=html, kind=kind)


def _settings() -> dict[str, Any]:
    cfg = current_app.config
    keys = (
        "MAIL_BACKEND",
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_USE_TLS",
        "MAIL_USE_SSL",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_DEFAULT_SENDER",
        "MAIL_TIMEOUT",
    )
    settings = {k: cfg.get(k) for k in keys}
    settings["outbox"] = current_app.extensions.setdefault("greenapp_outbox", [])
    return settings


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: plain text, plus an HTML alternative when there is one."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr(("", mail.to))
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    return msg


def _deliver(settings: dict[str, Any], mail: Mail, *, dry_run: bool = False) -> bool:
    """Hand one mail to the backend; log (without secrets) and return False on failure.

    ``dry_run`` builds the message and sends nothing: the same work, for answers that
    must not be told apart by timing."""
    backend = settings["MAIL_BACKEND"]
    try:
        msg = build_message(mail, settings["MAIL_DEFAULT_SENDER"])
        if dry_run:
            return True
        if backend == "memory":
            settings["outbox"].append(msg)
        elif backend == "console":
            sys.stdout.write(
                f"--- mail ({mail.kind}) ---\nTo: {mail.to}\nSubject: {mail.subject}\n\n"
                f"{mail.text}\n--- end of mail ---\n"
            )
            sys.stdout.flush()
        elif backend == "smtp":
            _smtp_send(settings, msg)
        else:
            raise ValueError(f"unknown MAIL_BACKEND {backend!r}")
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        # Never the password, never the message body: the kind, the domain and the error.
        domain = mail.to.rpartition("@")[2]
        log.warning(
            "mail %s to *@%s not sent: %s: %s",
            mail.kind,
            domain,
            type(exc).__name__,
            str(exc)[:200],
        )
        return False
    return True


def _smtp_send(settings: dict[str, Any], msg: EmailMessage) -> None:
    host, port, timeout = settings["MAIL_SERVER"], settings["MAIL_PORT"], settings["MAIL_TIMEOUT"]
    context = ssl.create_default_context()
    if settings["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings["MAIL_USE_TLS"] and not settings["MAIL_USE_SSL"]:
            smtp.starttls(context=context)
        if settings["MAIL_USERNAME"]:
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
        smtp.send_message(msg)


def send(mail: Mail, *, background: bool = False, dry_run: bool = False) -> bool:
    """Send now. ``background=True`` (when MAIL_BACKGROUND allows) sends after returning,
    so that whether a mail went out cannot be timed from the response; ``dry_run`` does
    the same work without sending (for an address that has no account)."""
    settings = _settings()
    if background and current_app.config.get("MAIL_BACKGROUND", True):
        threading.Thread(
            target=_deliver, args=(settings, mail), kwargs={"dry_run": dry_run}, daemon=True
        ).start()
        return True
    return _deliver(settings, mail, dry_run=dry_run)


def send_after_commit(mail: Mail) -> None:
    """Send when the current transaction commits; drop it if the transaction rolls back."""
    db.session.info.setdefault(_QUEUE_KEY, []).append(mail)


def gentle_failure_notice() -> None:
    """Tell the user, kindly, that a mail could not go out (their change is saved)."""
    if has_request_context():
        flash(
            _("Your change is saved, but we could not send the e-mail about it just now."), "info"
        )


@event.listens_for(db.session, "after_commit")
def _send_queued(session: Any) -> None:
    queued = session.info.pop(_QUEUE_KEY, None)
    if not queued:
        return
    ok = True
    for mail in queued:
        ok = send(mail) and ok
    if not ok:
        gentle_failure_notice()


@event.listens_for(db.session, "after_rollback")
def _drop_queued(session: Any) -> None:
    session.info.pop(_QUEUE_KEY, None)
