"""Sign-in, sign-out, registration, password change and the admin's users page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from greenapp.auth.forms import LoginForm, PasswordForm, RegisterForm, UserCreateForm, UserEditForm
from greenapp.extensions import db, limiter
from greenapp.forms import show_error
from greenapp.models.school import School
from greenapp.models.user import ADMIN, ROLES, User
from greenapp.permissions import public, role_required, signed_in
from greenapp.services import demo
from greenapp.services import users as user_service
from greenapp.services.errors import ValidationFailed
from greenapp.services.safe_redirect import safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATELIMIT"]


def _account_key() -> str:
    return "login-account:" + user_service.normalise_email(request.form.get("email", ""))


def home_for(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role in ("coordinator", "resident"):
        return url_for("logs.index")
    if user.role == ADMIN:
        return url_for("schools.index")
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key)
def login():
    """Sign in; the same message whether the email is unknown or the password wrong."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = user_service.find_by_email(form.email.data)
        if user is None or not user.check_password(form.password.data) or not user.active:
            form.password.errors = [_("Email or password is not right.")]
        else:
            locale = session.get("locale")
            session.clear()  # a fresh session: nothing carried over from before sign-in
            if locale:
                session["locale"] = locale
                # A language chosen before signing in is kept on the account.
                user.locale = user.locale or locale
                db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next(form.next.data) or home_for(user))
    return render_template(
        "auth/login.html", form=form, demo_users=demo.DEMO_USERS,
        demo_password=demo.DEMO_PASSWORD,
    )


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
    """Residents create their own account."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = user_service.create_user(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                district=form.district.data,
                locale=session.get("locale"),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "email")
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Your account is ready. Welcome to the Green Community!"), "success")
            return redirect(home_for(user))
    return render_template("auth/register.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password():
    """Change one's own password; other devices are signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user_service.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "new_password")
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this device signed in with the new token
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


def _school_choices() -> list[tuple[int, str]]:
    schools = db.session.scalars(select(School).order_by(School.city, School.name))
    return [(0, _("— none —"))] + [(s.id, f"{s.name} ({s.city_name})") for s in schools]


def _role_choices() -> list[tuple[str, str]]:
    from greenapp.main.templating import role_labels

    labels = role_labels()
    return [(r, str(labels[r])) for r in ROLES]


@bp.route("/users")
@role_required(ADMIN)
def users():
    """All accounts, for the programme's admins."""
    rows = db.session.scalars(
        select(User).options(selectinload(User.school)).order_by(User.role, User.display_name))
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
        try:
            user_service.create_user(
                email=form.email.data, display_name=form.display_name.data,
                password=form.password.data, role=form.role.data, school=school,
                actor=current_user,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "email")
        else:
            db.session.commit()
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
        try:
            user_service.update_user(
                current_user, user, role=form.role.data, school=school,
                active=form.active.data, display_name=form.display_name.data,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "role")
        else:
            db.session.commit()
            flash(_("Account saved."), "success")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html", form=form, title=_("Edit %(name)s", name=user.display_name),
        user=user,
    )
