"""The scientists' guide and tip form."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from greenapp.forms import BaseForm as FlaskForm
from greenapp.forms import category_choices
from greenapp.models.experts import GUIDE_BODY_MAX, GUIDE_TITLE_MAX, KIND_GUIDE, KIND_TIP
from greenapp.services.i18n import LANGUAGE_NAMES


class GuideForm(FlaskForm):
    """A guide or tip in Markdown, published in chosen languages."""

    kind = RadioField(
        _l("Kind"), choices=[(KIND_GUIDE, _l("Guide")), (KIND_TIP, _l("Tip"))], default=KIND_GUIDE
    )
    category = SelectField(_l("Category"), choices=category_choices())
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give it a title.")), Length(max=GUIDE_TITLE_MAX)],
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[DataRequired(message=_l("Write the text.")), Length(max=GUIDE_BODY_MAX)],
        description=_l("Markdown: **bold**, *italic*, lists, links. HTML is not allowed."),
        render_kw={"rows": 14},
    )
    languages = SelectMultipleField(
        _l("Published in"),
        choices=list(LANGUAGE_NAMES.items()),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        description=_l("No language chosen: kept as a draft."),
        validate_choice=False,
    )
