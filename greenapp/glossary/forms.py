"""Forms of the eco glossary."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.models.glossary import LANGS, POS, SUBJECTS, USAGE
from greenapp.services.glossary import (
    language_labels,
    pos_labels,
    subject_labels,
    usage_labels,
)


def _subjects():
    labels = subject_labels()
    return [(s, labels[s]) for s in SUBJECTS]


class SearchForm(FlaskForm):
    """Find a term in any of the four languages (a GET form, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Find a term"),
        validators=[Optional(), Length(max=100)],
        description=_l(
            "In Kazakh, Russian, Belarusian or English; Latin letters find Cyrillic terms too."
        ),
    )
    subject = SelectField(_l("Subject field"), choices=[], validate_choice=False)


class ConceptForm(FlaskForm):
    """A concept with its head term and definition in each language."""

    subject = SelectField(_l("Subject field"), choices=_subjects())
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )


def _add_language_fields() -> None:
    labels, usage, pos = language_labels(), usage_labels(), pos_labels()
    for lang in LANGS:
        name = labels[lang]
        setattr(
            ConceptForm,
            f"term_{lang}",
            StringField(_l("Term (%(lang)s)", lang=name), validators=[Optional(), Length(max=200)]),
        )
        setattr(
            ConceptForm,
            f"status_{lang}",
            SelectField(
                _l("Usage status (%(lang)s)", lang=name),
                choices=[(u, usage[u]) for u in USAGE],
                default="proposed",
            ),
        )
        setattr(
            ConceptForm,
            f"pos_{lang}",
            SelectField(
                _l("Part of speech (%(lang)s)", lang=name),
                choices=[(p, pos[p]) for p in POS],
                default="noun",
            ),
        )
        setattr(
            ConceptForm,
            f"others_{lang}",
            TextAreaField(
                _l("Other terms (%(lang)s), one per line", lang=name),
                validators=[Optional(), Length(max=2000)],
                render_kw={"rows": 2},
                description=_l("Synonyms and variants; new ones are entered as proposed."),
            ),
        )
        setattr(
            ConceptForm,
            f"definition_{lang}",
            TextAreaField(
                _l("Definition (%(lang)s)", lang=name),
                validators=[Optional(), Length(max=2000)],
                render_kw={"rows": 3},
            ),
        )
        setattr(
            ConceptForm,
            f"source_{lang}",
            StringField(
                _l("Source of the definition (%(lang)s)", lang=name),
                validators=[Optional(), Length(max=240)],
                description=_l("e.g. Environmental Code of the Republic of Kazakhstan (2021)"),
            ),
        )
        setattr(
            ConceptForm,
            f"ref_{lang}",
            StringField(
                _l("Article or page (%(lang)s)", lang=name),
                validators=[Optional(), Length(max=120)],
            ),
        )
        setattr(
            ConceptForm,
            f"url_{lang}",
            StringField(
                _l("Link to the source (%(lang)s)", lang=name),
                validators=[Optional(), Length(max=400)],
            ),
        )


_add_language_fields()


class CommentForm(FlaskForm):
    """A comment on a concept."""

    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(message=_l("Write the comment.")), Length(max=4000)],
        render_kw={"rows": 3},
    )


class ImportForm(FlaskForm):
    """A CSV or TBX file to import, tried first without saving."""

    file = FileField(
        _l("CSV or TBX file"),
        description=_l("Columns as in the CSV export; TBX-Basic as in the TBX export."),
    )
    dry_run = BooleanField(_l("Dry run: check only, change nothing"), default=True)


class CountryForm(FlaskForm):
    """The side a scientist reviews for."""

    country = SelectField(
        _l("Reviews for"),
        choices=[("", _l("not set")), ("KZ", _l("Kazakhstan")), ("BY", _l("Belarus"))],
        validators=[Optional()],
    )
