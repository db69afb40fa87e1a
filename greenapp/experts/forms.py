"""Forms of the scientists', economists' and lawyers' workspaces."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.models.experts import KIND_DEMAND, KIND_GUIDE, KIND_PROPOSAL, KIND_TIP
from greenapp.services.i18n import LANGUAGE_NAMES
from greenapp.services.units import CATEGORIES, CATEGORY_LABELS


def _categories():
    return [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]


class GuideForm(FlaskForm):
    """A guide or tip in Markdown, published in chosen languages."""

    kind = RadioField(_l("Kind"), choices=[(KIND_GUIDE, _l("Guide")), (KIND_TIP, _l("Tip"))],
                      default=KIND_GUIDE)
    category = SelectField(_l("Category"), choices=_categories())
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give it a title.")),
                                                 Length(max=160)])
    body = TextAreaField(
        _l("Text (Markdown)"), validators=[DataRequired(message=_l("Write the text.")),
                                           Length(max=20000)],
        description=_l("Markdown: **bold**, *italic*, lists, links. HTML is not allowed."),
        render_kw={"rows": 14})
    languages = SelectMultipleField(
        _l("Published in"), choices=list(LANGUAGE_NAMES.items()),
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        description=_l("No language chosen: kept as a draft."), validate_choice=False)


class ReviewLogForm(FlaskForm):
    """A scientist's decision on a flagged entry."""

    decision = RadioField(_l("Decision"), choices=[
        ("verified", _l("Verify: the value is right")),
        ("rejected", _l("Reject: it drops out of every total"))],
        validators=[DataRequired(message=_l("Choose verify or reject."))])
    reason = TextAreaField(_l("Reason (required to reject; the owner sees it)"),
                           validators=[Optional(), Length(max=500)], render_kw={"rows": 2})


class ProposalForm(FlaskForm):
    """A proposal or demand to the city, optionally backed by measured data."""

    kind = RadioField(_l("Kind"), choices=[(KIND_PROPOSAL, _l("Proposal")),
                                           (KIND_DEMAND, _l("Demand"))], default=KIND_PROPOSAL)
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give it a title.")),
                                                 Length(max=160)])
    text = TextAreaField(_l("What do you propose, and why?"), validators=[
        DataRequired(message=_l("Describe it in at least 20 characters.")),
        Length(max=10000)], render_kw={"rows": 8})
    category = SelectField(_l("Category"), choices=_categories())
    district = StringField(_l("City district"), validators=[
        DataRequired(message=_l("Name the city district.")), Length(max=80)])
    challenge_id = SelectField(_l("Supporting challenge (optional)"), choices=[], coerce=str,
                               validate_choice=False)
    evidence_path = StringField(
        _l("Link to a page of this site with the data (optional)"),
        validators=[Optional(), Length(max=200)],
        description=_l("For example /dashboards/… or /community/challenges/…"))


class ProposalReviewForm(FlaskForm):
    """A lawyer's step: start the review, or decide with the legal basis."""

    status = SelectField(_l("New status"), choices=[], validate_choice=False)
    legal_basis = TextAreaField(
        _l("Legal basis (the norm relied on)"), validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2})
    decision_text = TextAreaField(_l("Decision text"), validators=[Optional(),
                                                                   Length(max=10000)],
                                  render_kw={"rows": 5})


class WhatIfForm(FlaskForm):
    """If every school of a city cut a category by N%, what is saved in a year?"""

    class Meta:
        csrf = False

    city = SelectField(_l("City"), choices=[], validate_choice=False)
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    percent = StringField(_l("Cut by (%)"), validators=[
        DataRequired(message=_l("Enter a percentage between 0 and 100."))],
        render_kw={"inputmode": "decimal"})
    use_per_pupil = StringField(
        _l("Today's yearly use per pupil"),
        validators=[DataRequired(message=_l(
            "Enter the yearly use per pupil, for example 12000."))],
        description=_l("In litres, kWh or kg per pupil per year (from the schools' bills)."),
        render_kw={"inputmode": "decimal"})


class SavingsForm(FlaskForm):
    """Which report: the community, all schools or one school, over which dates."""

    class Meta:
        csrf = False

    subject = SelectField(_l("Report for"), choices=[], validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class ActionForm(FlaskForm):
    """A bare POST form (support) with its CSRF token."""
