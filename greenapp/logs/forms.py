"""The eco-action form and the list filter."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import UUID, DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.units import (
    CATEGORIES,
    CATEGORY_LABELS,
    EVIDENCE_KINDS,
    EVIDENCE_LABELS,
    FRACTION_LABELS,
    FRACTIONS,
    UNIT_FACTORS,
    UNIT_LABELS,
)


def _units() -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    for factors in UNIT_FACTORS.values():
        for unit in factors:
            if unit not in [u for u, _ in seen]:
                seen.append((unit, UNIT_LABELS[unit]))
    return seen


class LogForm(FlaskForm):
    """What was done, how much, when, and how we know."""

    category = SelectField(
        _l("What was done"), choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
    )
    fraction = SelectField(
        _l("Waste fraction"),
        choices=[("", _l("— not waste —"))] + [(f, FRACTION_LABELS[f]) for f in FRACTIONS],
        validate_choice=False,
        description=_l("Only for sorted waste."),
    )
    quantity = StringField(
        _l("Quantity"),
        validators=[DataRequired(message=_l("Enter a quantity.")), Length(max=40)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    unit = SelectField(_l("Unit"), choices=_units(), validate_choice=False)
    action_date = DateField(
        _l("Date of the action"),
        validators=[DataRequired(message=_l("Enter the date of the action."))],
    )
    evidence = RadioField(
        _l("Evidence"),
        choices=[(e, EVIDENCE_LABELS[e]) for e in EVIDENCE_KINDS],
        default="self",
        validate_choice=False,
        description=_l(
            "“Metered reading”: water or energy with your meter's readings "
            "before and after the date (Meters page)."
        ),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])
    # Evidence files (greenapp/evidence): a phone opens its camera straight away.
    files = MultipleFileField(
        _l("Photos or PDF documents"),
        description=_l("JPEG, PNG, WebP, HEIC or PDF; needed for “Document or photo”."),
        render_kw={"accept": "image/*,application/pdf", "capture": "environment"},
    )
    version = HiddenField()
    # Made by the browser (crypto.randomUUID) so a repeat send stores nothing twice.
    client_uuid = HiddenField(
        validators=[
            Optional(),
            UUID(message=_l("This entry's offline key is damaged; type the entry again.")),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )


class FilterForm(FlaskForm):
    """Date range and category filter for the list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    category = SelectField(
        _l("Category"),
        choices=[("", _l("All categories"))] + [(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        validators=[Optional()],
    )
    deleted = SelectField(
        _l("Show"),
        choices=[("", _l("Current entries")), ("1", _l("Including deleted"))],
        validators=[Optional()],
    )


class DeleteForm(FlaskForm):
    """A POST-only delete button with its CSRF token."""

    version = HiddenField()
