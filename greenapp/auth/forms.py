"""Forms for signing in, registering and managing accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.users import MIN_PASSWORD


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    """Residents create their own account."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Shown on challenge leaderboards unless you opt out."),
    )
    district = StringField(_l("City district (optional)"), validators=[Optional(), Length(max=80)])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=200, message=_l("Use at least 10 characters.")),
        ],
        description=_l("At least 10 characters."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=200, message=_l("Use at least 10 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class UserCreateForm(FlaskForm):
    """An admin creates an account of any role."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    role = SelectField(_l("Role"), choices=[])
    school_id = SelectField(_l("School (coordinators only)"), coerce=int, choices=[])
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=200, message=_l("Use at least 10 characters.")),
        ],
        description=_l("Give it to the person; they can change it after signing in."),
    )


class UserEditForm(FlaskForm):
    """An admin changes an account's role, school or status."""

    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    role = SelectField(_l("Role"), choices=[])
    school_id = SelectField(_l("School (coordinators only)"), coerce=int, choices=[])
    active = BooleanField(_l("Account is active"))


class ResetRequestForm(FlaskForm):
    """Ask for a password-reset link."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )


class ResetPasswordForm(FlaskForm):
    """Choose a new password from a reset link."""

    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=200, message=_l("Use at least 10 characters.")),
        ],
        description=_l("At least 10 characters."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class SettingsForm(FlaskForm):
    """Per-user e-mail choices."""

    notify_by_email = BooleanField(_l("E-mail me when something rings my bell"))
    digest_by_email = BooleanField(_l("E-mail me a weekly digest"))
