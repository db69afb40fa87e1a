"""Challenge form and the small POST forms of the community pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.models.community import (
    AUDIENCE_BOTH,
    AUDIENCE_RESIDENTS,
    AUDIENCE_SCHOOLS,
    CHALLENGE_DESCRIPTION_MAX,
    CHALLENGE_TITLE_MAX,
)
from greenapp.services.units import CATEGORIES, CATEGORY_LABELS, FRACTION_LABELS, FRACTIONS


class ChallengeForm(FlaskForm):
    """What a challenge is about, its target and window, and who may join."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the challenge a title.")),
            Length(max=CHALLENGE_TITLE_MAX),
        ],
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=CHALLENGE_DESCRIPTION_MAX)]
    )
    category = SelectField(_l("Category"), choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES])
    fraction = SelectField(
        _l("Waste fraction"),
        choices=[("", _l("— any fraction —"))] + [(f, FRACTION_LABELS[f]) for f in FRACTIONS],
        validate_choice=False,
        description=_l("Only for waste challenges."),
    )
    target = StringField(
        _l("Target"),
        validators=[DataRequired(message=_l("Enter a target.")), Length(max=30)],
        description=_l(
            "In the category's unit (litres, kWh, kg, trees, people): per "
            "resident, and per pupil for schools."
        ),
        render_kw={"inputmode": "decimal"},
    )
    start_date = DateField(
        _l("Start date"), validators=[DataRequired(message=_l("Enter the start date."))]
    )
    end_date = DateField(
        _l("End date"), validators=[DataRequired(message=_l("Enter the end date."))]
    )
    audience = SelectField(
        _l("Who may take part"),
        choices=[
            (AUDIENCE_RESIDENTS, _l("Residents")),
            (AUDIENCE_SCHOOLS, _l("Schools")),
            (AUDIENCE_BOTH, _l("Residents and schools")),
        ],
        default=AUDIENCE_BOTH,
    )
    evidence_required = BooleanField(
        _l("Only entries with evidence count (metered reading or document)")
    )


class ActionForm(FlaskForm):
    """A POST button with CSRF (join, leave, mark read)."""

    notification_id = HiddenField()
