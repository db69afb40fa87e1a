"""The account mails: address confirmation, "someone tried to register", password reset."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from greenapp.services import mail
from greenapp.services import users as user_service


def confirmation(user: Any) -> mail.Mail:
    """Confirm a newly registered address."""
    link = mail.absolute_url("auth.confirm", token=user_service.confirm_token(user))
    days = max(1, current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 86400)

    def build() -> mail.Content:
        return mail.Content(
            subject=_("Confirm your e-mail address for greenapp"),
            paragraphs=[
                _(
                    "Thank you for joining the Green Community. Please confirm that this "
                    "address is yours by opening the link below."
                ),
                ngettext(
                    "The link works for %(num)d day.", "The link works for %(num)d days.", days
                ),
                _(
                    "If you did not register, ignore this mail: no account will be used "
                    "without this confirmation."
                ),
            ],
            action_label=_("Confirm my address"),
            action_url=link,
        )

    return mail.compose(user, "confirm_email", build)


def someone_tried_to_register(user: Any) -> mail.Mail:
    """Sent instead of an on-page "already registered", so registration reveals nothing."""
    login_link = mail.absolute_url("auth.login")
    reset_link = mail.absolute_url("auth.reset_request")

    def build() -> mail.Content:
        return mail.Content(
            subject=_("Someone tried to register with your e-mail address"),
            paragraphs=[
                _(
                    "Someone (perhaps you) tried to create a new greenapp account with this "
                    "e-mail address. You already have an account, so nothing was created."
                ),
                _("If it was you, sign in here: %(url)s", url=login_link),
                _("Forgot your password? You can choose a new one by e-mail."),
                _("If it was not you, you need not do anything: your account is unchanged."),
            ],
            action_label=_("Choose a new password"),
            action_url=reset_link,
        )

    return mail.compose(user, "register_existing", build)


def password_reset(user: Any) -> mail.Mail:
    """A single-use, expiring link bound to the current password."""
    link = mail.absolute_url("auth.reset_password", token=user_service.reset_token(user))
    minutes = max(1, current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)

    def build() -> mail.Content:
        return mail.Content(
            subject=_("Choose a new greenapp password"),
            paragraphs=[
                _(
                    "Someone (hopefully you) asked to choose a new password for your greenapp "
                    "account."
                ),
                ngettext(
                    "The link works once, for %(num)d minute.",
                    "The link works once, for %(num)d minutes.",
                    minutes,
                ),
                _("If you did not ask for it, ignore this mail: your password stays as it is."),
            ],
            action_label=_("Choose a new password"),
            action_url=link,
        )

    return mail.compose(user, "password_reset", build)
