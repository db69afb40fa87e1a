"""Sign-in, sign-out, registration, password change and the admin's users page."""

from __future__ import annotations

import math
from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from greenapp.auth.forms import (
    LoginForm,
    PasswordForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    SettingsForm,
    UserCreateForm,
    UserEditForm,
)
from greenapp.extensions import db
from greenapp.forms import show_error
from greenapp.main.errors import attempt
from greenapp.models.school import School
from greenapp.models.user import ADMIN, ROLES, User
from greenapp.permissions import LOGGERS, STAFF, has_role, public, role_required, signed_in
from greenapp.services import account_mail, demo, mail, signin
from greenapp.services import users as user_service
from greenapp.services.errors import ValidationFailed
from greenapp.services.safe_redirect import safe_next

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    """Where a user lands after signing in."""
    if has_role(user, *LOGGERS):
        return url_for("logs.index")
    if has_role(user, ADMIN):
        return url_for("schools.index")
    if has_role(user, *STAFF):
        return url_for("experts.index")
    return url_for("main.index")


def _client_ip() -> str:
    # ProxyFix (PROXY_COUNT) has already put the client's address here behind a proxy.
    return request.remote_addr or "127.0.0.1"


def _wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many attempts. Please try again in %(num)d minute.",
        "Too many attempts. Please try again in %(num)d minutes.",
        minutes,
    )


def _throttle(rules: list[signin.Rule], field) -> int | None:
    """Count this attempt; on a used-up limit put the wait next to the field."""
    wait = signin.guard().take(rules)
    if wait:
        field.errors = [*field.errors, _wait_message(wait)]
    return wait


def _refused(template: str, wait: int, **context) -> tuple[str, int, dict[str, str]]:
    return render_template(template, **context), 429, {"Retry-After": str(wait)}


def _sign_in(user: User, remember: bool) -> None:
    """Start a fresh session; the device cookie is set on the response by the caller."""
    locale = session.get("locale")
    session.clear()  # a fresh session: nothing carried over from before sign-in
    if locale:
        session["locale"] = locale
        # A language chosen before signing in is kept on the account.
        user.locale = user.locale or locale
    db.session.commit()
    login_user(user, remember=remember)


def _with_device_cookie(response: Response, user: User, devices: list) -> Response:
    days = current_app.config["DEVICE_COOKIE_DAYS"]
    response.set_cookie(
        signin.DEVICE_COOKIE,
        signin.remember_device(devices, user),
        max_age=days * 86400,
        path=url_for("auth.login").rsplit("/", 1)[0] or "/",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in; the same message and the same work whether the email is unknown or the
    password wrong. Limits count failures only (see services/signin.py)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    context = {"form": form, "demo_users": demo.DEMO_USERS, "demo_password": demo.DEMO_PASSWORD}
    if not form.validate_on_submit():
        return render_template("auth/login.html", **context)
    user = user_service.find_by_email(form.email.data)
    devices = signin.read_devices(request.cookies.get(signin.DEVICE_COOKIE))
    attempt = signin.attempt_rules(
        form.email.data, _client_ip(), signin.device_nonce(devices, user)
    )
    guard = signin.guard()
    wait = guard.retry_after(attempt.rules)
    if wait:
        form.password.errors = [
            _wait_message(wait),
            _("Forgot your password? You can choose a new one by e-mail."),
        ]
        return _refused("auth/login.html", wait, **context)
    if not signin.check_password_or_dummy(user, form.password.data) or not user.active:
        guard.hit(attempt.rules)
        form.password.errors = [_("Email or password is not right.")]
        return render_template("auth/login.html", **context)
    if user.email_confirmed_at is None:
        # Right password, address not yet proved: send the link again (at most a few an hour).
        if not signin.guard().take(
            [
                (
                    current_app.config["ACCOUNT_EMAIL_LIMIT"],
                    "account-email",
                    signin.email_key(user.email),
                )
            ]
        ):
            mail.send(account_mail.confirmation(user), background=True)
        form.email.errors = [
            _("Please confirm your e-mail address first: we have sent you a link.")
        ]
        return render_template("auth/login.html", **context)
    _sign_in(user, form.remember.data)
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return _with_device_cookie(redirect(safe_next(form.next.data) or home_for(user)), user, devices)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """Sign out everywhere: the session token is rotated so old cookies stop working."""
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    """Residents create their own account; the page says the same whether or not the
    address already has one (its owner gets a mail instead)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form)
    cfg = current_app.config
    wait = _throttle(
        [(cfg["ACCOUNT_IP_LIMIT"], "account-ip", _client_ip())], form.email
    ) or _throttle(
        [(cfg["ACCOUNT_EMAIL_LIMIT"], "account-email", signin.email_key(form.email.data))],
        form.email,
    )
    if wait:
        return _refused("auth/register.html", wait, form=form)
    existing = user_service.find_by_email(form.email.data)
    if existing is not None:
        signin.check_password_or_dummy(None, form.password.data)  # the time a new hash takes
        if existing.email_confirmed_at is None:
            message = account_mail.confirmation(existing)
        else:
            message = account_mail.someone_tried_to_register(existing)
        mail.send(message, background=True)
        return _to_check_inbox(form.email.data)
    with attempt(form, "email") as saved:
        user = user_service.create_user(
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
            district=form.district.data,
            locale=session.get("locale") or str(get_locale()),
            confirmed=False,
        )
    if not saved:
        return render_template("auth/register.html", form=form)
    mail.send(account_mail.confirmation(user), background=True)
    return _to_check_inbox(form.email.data)


def _to_check_inbox(email: str) -> Response:
    session["check_inbox"] = user_service.normalise_email(email)
    return redirect(url_for("auth.check_inbox"))


@bp.route("/check-inbox")
@public
def check_inbox():
    """After registering: the same page whether or not the address had an account."""
    return render_template("auth/check_inbox.html", email=session.get("check_inbox", ""))


@bp.route("/confirm/<token>")
@public
def confirm(token: str):
    """The link from the confirmation mail."""
    user = user_service.confirm_email(token[:500])
    if user is not None:
        db.session.commit()
    return render_template("auth/confirmed.html", confirmed=user is not None)


@bp.route("/reset", methods=["GET", "POST"])
@public
def reset_request():
    """Ask for a password-reset link: the same answer for every address."""
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return render_template("auth/reset_request.html", form=form)
    cfg = current_app.config
    wait = _throttle(
        [(cfg["ACCOUNT_IP_LIMIT"], "account-ip", _client_ip())], form.email
    ) or _throttle(
        [(cfg["ACCOUNT_EMAIL_LIMIT"], "account-email", signin.email_key(form.email.data))],
        form.email,
    )
    if wait:
        return _refused("auth/reset_request.html", wait, form=form)
    user = user_service.find_by_email(form.email.data)
    known = user is not None and user.active
    recipient = (
        user
        if known
        else SimpleNamespace(
            email=form.email.data, locale=None, display_name="", id=0, password_hash=""
        )
    )
    # The same work for an unknown address (the mail is built, not sent): no timing tells.
    message = account_mail.password_reset(recipient)
    mail.send(message, background=True, dry_run=not known)
    flash(
        _(
            "If an account uses this address, a link to choose a new password is on its way. "
            "It works once and for a limited time."
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password from the mailed link (works once, expires)."""
    user = user_service.user_for_reset_token(token[:500])
    if user is None:
        return render_template(
            "auth/reset_request.html", form=ResetRequestForm(formdata=None), link_invalid=True
        )
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user_service.reset_password(user, form.new_password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "new_password")
        else:
            if current_user.is_authenticated:
                logout_user()
            devices = signin.read_devices(request.cookies.get(signin.DEVICE_COOKIE))
            _sign_in(user, False)
            flash(_("Your new password is set. Other devices are signed out."), "success")
            return _with_device_cookie(redirect(home_for(user)), user, devices)
    return render_template("auth/reset_password.html", form=form, token=token)


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password():
    """Change one's own password; other devices are signed out. Wrong current passwords
    are limited (PASSWORD_CHANGE_LIMIT)."""
    form = PasswordForm()
    if form.validate_on_submit():
        rules = [
            (current_app.config["PASSWORD_CHANGE_LIMIT"], "password-change", str(current_user.id))
        ]
        guard = signin.guard()
        wait = guard.retry_after(rules)
        if wait:
            form.current_password.errors = [_wait_message(wait)]
            return _refused("auth/password.html", wait, form=form)
        try:
            user_service.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ValidationFailed as exc:
            db.session.rollback()
            if exc.field == "current_password":
                guard.hit(rules)
            show_error(form, exc, "new_password")
        else:
            db.session.commit()
            login_user(
                current_user._get_current_object()
            )  # keep this device signed in with the new token
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@signed_in
def settings():
    """The account's e-mail choices (opt-outs) and a way to the password change."""
    user = current_user._get_current_object()
    form = SettingsForm(obj=user if request.method == "GET" else None)
    if form.validate_on_submit():
        user.notify_by_email = bool(form.notify_by_email.data)
        user.digest_by_email = bool(form.digest_by_email.data)
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, user=user)


def _school_choices() -> list[tuple[int, str]]:
    schools = db.session.scalars(select(School).order_by(School.city, School.name))
    return [(0, _("— none —"))] + [(s.id, f"{s.name} ({s.city_name})") for s in schools]


def _role_choices() -> list[tuple[str, str]]:
    from greenapp.main.templating import ROLE_LABELS

    return [(r, str(ROLE_LABELS[r])) for r in ROLES]


@bp.route("/users")
@role_required(ADMIN)
def users():
    """All accounts, for the programme's admins."""
    rows = db.session.scalars(
        select(User).options(selectinload(User.school)).order_by(User.role, User.display_name)
    )
    return render_template("auth/users.html", users=list(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(ADMIN)
def user_new():
    """Create a coordinator, expert, admin or resident account."""
    form = UserCreateForm()
    form.role.choices = _role_choices()
    form.school_id.choices = _school_choices()
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        with attempt(form, "email") as saved:
            user_service.create_user(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                role=form.role.data,
                school=school,
                actor=current_user,
            )
        if saved:
            flash(_("Account created."), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, title=_("New account"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
def user_edit(user_id: int):
    """Change an account's role, school or active flag."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    form.role.choices = _role_choices()
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.school_id.data = user.school_id or 0
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        with attempt(form, "role") as saved:
            user_service.update_user(
                current_user,
                user,
                role=form.role.data,
                school=school,
                active=form.active.data,
                display_name=form.display_name.data,
            )
        if saved:
            flash(_("Account saved."), "success")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html",
        form=form,
        title=_("Edit %(name)s", name=user.display_name),
        user=user,
    )
