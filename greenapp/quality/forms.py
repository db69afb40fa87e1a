"""The scientists' decision form on a flagged entry."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.quality import REASON_MAX


class ReviewLogForm(FlaskForm):
    """A scientist's decision on a flagged entry."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            ("verified", _l("Verify: the value is right")),
            ("rejected", _l("Reject: it drops out of every total")),
        ],
        validators=[DataRequired(message=_l("Choose verify or reject."))],
    )
    reason = TextAreaField(
        _l("Reason (required to reject; the owner sees it)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        render_kw={"rows": 2},
    )
