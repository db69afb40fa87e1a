"""Forms of proposals to the city: the author's form, the lawyer's review, support."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.forms import category_choices
from greenapp.models.experts import (
    DECISION_TEXT_MAX,
    DISTRICT_MAX,
    EVIDENCE_PATH_MAX,
    KIND_DEMAND,
    KIND_PROPOSAL,
    LEGAL_BASIS_MAX,
    PROPOSAL_TEXT_MAX,
    PROPOSAL_TITLE_MAX,
)


class ProposalForm(FlaskForm):
    """A proposal or demand to the city, optionally backed by measured data."""

    kind = RadioField(
        _l("Kind"),
        choices=[(KIND_PROPOSAL, _l("Proposal")), (KIND_DEMAND, _l("Demand"))],
        default=KIND_PROPOSAL,
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give it a title.")), Length(max=PROPOSAL_TITLE_MAX)],
    )
    text = TextAreaField(
        _l("What do you propose, and why?"),
        validators=[
            DataRequired(message=_l("Describe it in at least 20 characters.")),
            Length(max=PROPOSAL_TEXT_MAX),
        ],
        render_kw={"rows": 8},
    )
    category = SelectField(_l("Category"), choices=category_choices())
    district = StringField(
        _l("City district"),
        validators=[DataRequired(message=_l("Name the city district.")), Length(max=DISTRICT_MAX)],
    )
    challenge_id = SelectField(
        _l("Supporting challenge (optional)"), choices=[], coerce=str, validate_choice=False
    )
    evidence_path = StringField(
        _l("Link to a page of this site with the data (optional)"),
        validators=[Optional(), Length(max=EVIDENCE_PATH_MAX)],
        description=_l("For example /dashboards/… or /community/challenges/…"),
    )


class ProposalReviewForm(FlaskForm):
    """A lawyer's step: start the review, or decide with the legal basis."""

    status = SelectField(_l("New status"), choices=[], validate_choice=False)
    legal_basis = TextAreaField(
        _l("Legal basis (the norm relied on)"),
        validators=[Optional(), Length(max=LEGAL_BASIS_MAX)],
        render_kw={"rows": 2},
    )
    decision_text = TextAreaField(
        _l("Decision text"),
        validators=[Optional(), Length(max=DECISION_TEXT_MAX)],
        render_kw={"rows": 5},
    )


class ActionForm(FlaskForm):
    """A bare POST form (support) with its CSRF token."""
