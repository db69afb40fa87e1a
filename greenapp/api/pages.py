"""Personal access tokens on the account pages: make one (shown once), list, revoke;
the admin's list of everyone's tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from greenapp.extensions import db
from greenapp.forms import BaseForm as FlaskForm
from greenapp.forms import show_error
from greenapp.main.guards import bounded_int
from greenapp.models.api import ApiToken
from greenapp.models.user import ADMIN
from greenapp.permissions import role_required, signed_in
from greenapp.services import tokens
from greenapp.services.errors import PermissionDenied, ValidationFailed

bp = Blueprint("api_tokens", __name__)


def scope_labels() -> dict[str, str]:
    """What each scope lets a token do, in the reader's language."""
    return {
        "read": _("read: see entries, schools, readings, figures"),
        "write": _("write: log, edit and delete entries"),
        "import": _("import: upload spreadsheets, import them and undo imports"),
    }


class TokenForm(FlaskForm):
    """A new token: name, scopes, expiry."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=tokens.NAME_MAX)],
        description=_l("What will use it, e.g. 'Weekly meter script'."),
    )
    scopes = SelectMultipleField(
        _l("Scopes"),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        default=["read"],
    )
    days = SelectField(_l("Expires after"), default="90")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = list(scope_labels().items())
        self.days.choices = [
            (str(d), ngettext("%(num)d day", "%(num)d days", d)) for d in tokens.EXPIRY_DAYS
        ]


class RevokeForm(FlaskForm):
    """Revoke a token (CSRF only)."""


@bp.route("/", methods=["GET", "POST"])
@signed_in
def index():
    """The user's tokens; a new one is shown once, right after it is made."""
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            made = tokens.create_token(
                current_user,
                form.name.data or "",
                list(form.scopes.data or []),
                bounded_int(form.days.data, 0) or 0,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "name")
        else:
            db.session.commit()
            secret = made.secret
            flash(_("Token made. Copy it now: it is not shown again."), "success")
            form = TokenForm(formdata=None)
    return render_template(
        "api/tokens.html",
        form=form,
        secret=secret,
        tokens=tokens.tokens_of(current_user),
        revoke_form=RevokeForm(),
        scope_labels=scope_labels(),
        now=tokens.utcnow(),
        can_see_all=current_user.role == ADMIN,
    )


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int):
    """Revoke one of one's tokens (an admin: anyone's)."""
    form = RevokeForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or not (token.user_id == current_user.id or current_user.role == ADMIN):
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        tokens.revoke(current_user, token)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    db.session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    if request.form.get("back") == "all" and current_user.role == ADMIN:
        return redirect(url_for("api_tokens.all_tokens"))
    return redirect(url_for("api_tokens.index"))


@bp.route("/all")
@role_required(ADMIN)
def all_tokens():
    """Every user's tokens (admin): who, scopes, expiry, last use; revoke any."""
    return render_template(
        "api/tokens_all.html",
        tokens=tokens.all_tokens(),
        revoke_form=RevokeForm(),
        scope_labels=scope_labels(),
        now=tokens.utcnow(),
    )
