"""Eco glossary pages: search, A-Z, concept, review, print, export, import."""

from __future__ import annotations

import os
from datetime import date

import click
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.glossary.forms import CommentForm, ConceptForm, CountryForm, ImportForm, SearchForm
from greenapp.main.errors import attempt
from greenapp.main.guards import bounded_int
from greenapp.models.glossary import LANGS, SUBJECTS, GlossaryConcept
from greenapp.models.user import ADMIN, SCIENTIST, User
from greenapp.permissions import GLOSSARY_EDITORS, GLOSSARY_REVIEWERS, can, public, role_required
from greenapp.services import glossary as svc
from greenapp.services import glossary_exchange as exchange
from greenapp.services import glossary_links as links
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed

bp = Blueprint("glossary", __name__)
PAIRS = ("kk-be", "be-kk", "kk-ru", "ru-kk", "kk-en", "en-kk", "be-ru", "ru-be", "be-en", "en-be")
IMPORT_MAX = 2 * 1024 * 1024


@bp.app_template_filter("glossary_links")
def glossary_links_filter(html, langs=None):
    """Link glossary terms inside already sanitised HTML (guides and tips)."""
    return links.link_html(html, list(langs or []) or None)


@bp.context_processor
def labels() -> dict:
    return {
        "SUBJECT_LABELS": svc.subject_labels(),
        "USAGE_LABELS": svc.usage_labels(),
        "CONCEPT_STATUS": svc.status_labels(),
        "POS_LABELS": svc.pos_labels(),
        "GLOSS_LANGS": LANGS,
        "GLOSS_LANG_NAMES": svc.language_labels(),
        "GLOSS_PAIRS": PAIRS,
        "GLOSS_SUBJECTS": SUBJECTS,
    }


def _can_edit() -> bool:
    return can("edit_glossary")


def _ui_lang() -> str:
    lang = str(get_locale() or "en")
    return lang if lang in LANGS else "en"


def _subject_arg() -> str | None:
    value = request.args.get("subject", "")
    return value if value in SUBJECTS else None


@bp.route("/")
@public
def index():
    """Search across the four languages, or browse by subject field."""
    form = SearchForm(request.args)
    form.subject.choices = [("", _("All subject fields"))] + [
        (s, svc.subject_labels()[s]) for s in SUBJECTS
    ]
    query = (form.q.data or "").strip()[:100]
    subject = _subject_arg()
    hits = svc.search(query, subject) if query else []
    browse = []
    if not query and subject:
        browse = svc.alphabet_index(_ui_lang(), subject)
    return render_template(
        "glossary/index.html",
        form=form,
        query=query,
        hits=hits,
        subject=subject,
        browse=browse,
        counts=svc.counts(),
        lang=_ui_lang(),
        can_edit=_can_edit(),
    )


@bp.route("/a-z/<lang>")
@public
def alphabet(lang: str):
    """Every term of one language in that language's alphabetical order."""
    if lang not in LANGS:
        abort(404)
    entries = svc.alphabet_index(lang, _subject_arg())
    letters = []
    for e in entries:
        if not letters or letters[-1] != e.letter:
            letters.append(e.letter)
    return render_template(
        "glossary/alphabet.html",
        lang=lang,
        entries=entries,
        letters=letters,
        subject=_subject_arg(),
        ui_lang=_ui_lang(),
    )


@bp.route("/print/<pair>")
@public
def print_list(pair: str):
    """A printable A-Z list for a language pair (e.g. kk-be)."""
    if pair not in PAIRS:
        abort(404)
    src, tgt = pair.split("-")
    entries = svc.alphabet_index(src, _subject_arg())
    return render_template(
        "glossary/print.html",
        src=src,
        tgt=tgt,
        entries=entries,
        subject=_subject_arg(),
        today=date.today(),
    )


def _concept_or_404(concept_id: int) -> GlossaryConcept:
    c = svc.get(concept_id)
    if c is None:
        abort(404)
    return c


@bp.route("/c/<int:concept_id>")
@public
def concept(concept_id: int):
    """One concept with its four languages side by side."""
    c = _concept_or_404(concept_id)
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "glossary/concept.html",
        c=c,
        guides=links.guides_using(c),
        can_edit=_can_edit(),
        comment_form=CommentForm(),
        can_review=can("review_glossary"),
        my_country=svc.reviewer_country(user) if user is not None else None,
        approved_by_me=user is not None and any(a.user_id == user.id for a in c.approvals),
    )


@bp.route("/c/<int:concept_id>/history")
@public
def history(concept_id: int):
    """Every change, approval and comment of a concept, oldest first."""
    c = _concept_or_404(concept_id)
    return render_template("glossary/history.html", c=c, records=svc.history(c))


def _form_data(form: ConceptForm, key: str = "") -> svc.ConceptData:
    item = svc.ConceptData(key=key, subject=form.subject.data, note=form.note.data or "")
    for lang in LANGS:
        text = (getattr(form, f"term_{lang}").data or "").strip()
        if text:
            item.terms.append(
                svc.TermData(
                    lang=lang,
                    text=text,
                    status=getattr(form, f"status_{lang}").data,
                    pos=getattr(form, f"pos_{lang}").data,
                )
            )
        item.definitions.append(
            svc.DefinitionData(
                lang=lang,
                text=getattr(form, f"definition_{lang}").data or "",
                source_title=getattr(form, f"source_{lang}").data or "",
                source_ref=getattr(form, f"ref_{lang}").data or "",
                source_url=(getattr(form, f"url_{lang}").data or "").strip(),
            )
        )
    return item


def _others(form: ConceptForm) -> dict[str, list[str]]:
    return {lang: (getattr(form, f"others_{lang}").data or "").splitlines() for lang in LANGS}


def _fill_form(form: ConceptForm, c: GlossaryConcept) -> None:
    form.subject.data, form.note.data = c.subject, c.note
    for lang in LANGS:
        terms = c.terms_in(lang)
        if terms:
            getattr(form, f"term_{lang}").data = terms[0].text
            getattr(form, f"status_{lang}").data = terms[0].status
            getattr(form, f"pos_{lang}").data = terms[0].pos
            getattr(form, f"others_{lang}").data = "\n".join(t.text for t in terms[1:])
        d = c.definition_in(lang)
        if d is not None:
            getattr(form, f"definition_{lang}").data = d.text
            getattr(form, f"source_{lang}").data = d.source_title
            getattr(form, f"ref_{lang}").data = d.source_ref
            getattr(form, f"url_{lang}").data = d.source_url


FIELD_OF = {
    "term": "term_en",
    "source_url": "url_en",
    "subject": "subject",
    "pos": "term_en",
    "usage_status": "term_en",
}


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/c/<int:concept_id>/edit", methods=["GET", "POST"])
@role_required(*GLOSSARY_EDITORS)
def edit(concept_id: int | None = None):
    """Propose a new concept or edit one (audited; an approved one goes back to review)."""
    c = _concept_or_404(concept_id) if concept_id else None
    form = ConceptForm()
    if request.method == "GET" and c is not None:
        _fill_form(form, c)
    if form.validate_on_submit():
        with attempt(form, "term_en", fields=FIELD_OF) as saved:
            if c is None:
                c = svc.propose(current_user, _form_data(form), _others(form))
            else:
                svc.edit(current_user, c, _form_data(form, c.key), _others(form))
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("glossary.concept", concept_id=c.id))
    return render_template("glossary/edit.html", form=form, c=c)


@bp.route("/c/<int:concept_id>/approve", methods=["POST"])
@role_required(*GLOSSARY_REVIEWERS)
def approve(concept_id: int):
    """A scientist approves the concept for their side (KZ or BY)."""
    c = _concept_or_404(concept_id)
    with attempt(shown=(ValidationFailed, Conflict, PermissionDenied)) as done:
        status = svc.approve(current_user, c)
    if done:
        if status == "approved":
            flash(_("Approved by both sides: the concept is now approved."), "success")
        else:
            flash(_("Your approval is recorded; the other side still has to approve."), "success")
    return redirect(url_for("glossary.concept", concept_id=c.id))


@bp.route("/c/<int:concept_id>/comment", methods=["POST"])
@role_required(*GLOSSARY_EDITORS)
def comment(concept_id: int):
    """Add a comment (disagreements are discussed here)."""
    c = _concept_or_404(concept_id)
    form = CommentForm()
    if form.validate_on_submit():
        with attempt(form, "body") as saved:
            svc.add_comment(current_user, c, form.body.data)
        if saved:
            flash(_("Comment added."), "success")
            return redirect(url_for("glossary.concept", concept_id=c.id) + "#comments")
    user = current_user
    return render_template(
        "glossary/concept.html",
        c=c,
        guides=links.guides_using(c),
        can_edit=True,
        comment_form=form,
        can_review=can("review_glossary"),
        my_country=svc.reviewer_country(user),
        approved_by_me=any(a.user_id == user.id for a in c.approvals),
    ), 400


def _export_concepts() -> list[GlossaryConcept]:
    subject = _subject_arg()
    return [c for c in svc.load_concepts() if subject is None or c.subject == subject]


@bp.route("/export.<fmt>")
@public
def export(fmt: str):
    """The whole glossary or one subject field as TBX-Basic, CSV or XLSX."""
    concepts = _export_concepts()
    name = f"greenapp-glossary{'-' + _subject_arg() if _subject_arg() else ''}"
    if fmt == "tbx":
        body, mime = exchange.to_tbx(concepts), "application/x-tbx+xml"
    elif fmt == "csv":
        body, mime = exchange.to_csv(concepts).encode("utf-8"), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exchange.to_xlsx(concepts)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


def read_file(filename: str, data: bytes) -> tuple[list, list[int], list]:
    """Parse an uploaded or local file by its extension (CSV, TBX or the YAML file)."""
    ext = os.path.splitext(filename.lower())[1]
    if ext == ".csv":
        return exchange.read_csv(data)
    if ext in (".tbx", ".xml"):
        items, rows = exchange.read_tbx(data)
        return items, rows, []
    if ext in (".yaml", ".yml"):
        items = exchange.read_yaml(data.decode("utf-8"))
        return items, list(range(1, len(items) + 1)), []
    raise exchange.ReadError(_("Choose a .csv or .tbx file."))


@bp.route("/import", methods=["GET", "POST"])
@role_required(*GLOSSARY_EDITORS)
def import_file():
    """Import CSV or TBX: a dry run first, per-row errors, nothing half-imported."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(IMPORT_MAX + 1) if upload else b""
        name = getattr(upload, "filename", "") or ""
        if not data:
            form.file.errors = [_("Choose a file.")]
        elif len(data) > IMPORT_MAX:
            form.file.errors = [_("The file is too large (2 MB at most).")]
        elif not name.lower().endswith((".csv", ".tbx", ".xml")):
            form.file.errors = [_("Choose a .csv or .tbx file.")]
        else:
            try:
                items, rows, errors = read_file(name, data)
            except exchange.ReadError as exc:
                form.file.errors = [_("The file cannot be read: %(reason)s", reason=str(exc))]
            else:
                result = svc.apply(
                    items,
                    current_user,
                    dry_run=bool(form.dry_run.data),
                    rows=rows,
                    read_errors=errors,
                )
                if result.ok and not form.dry_run.data:
                    db.session.commit()
                    flash(
                        _(
                            "Imported: %(c)s new, %(u)s changed, %(n)s unchanged.",
                            c=result.created,
                            u=result.updated,
                            n=result.unchanged,
                        ),
                        "success",
                    )
                    return redirect(url_for("glossary.index"))
                db.session.rollback()
    return render_template("glossary/import.html", form=form, result=result)


@bp.route("/reviewers", methods=["GET", "POST"])
@role_required(ADMIN)
def reviewers():
    """University staff set which side each scientist reviews for."""
    scientists = list(
        db.session.scalars(select(User).where(User.role == SCIENTIST).order_by(User.display_name))
    )
    if request.method == "POST":
        form = CountryForm()
        user = db.session.get(User, bounded_int(request.form.get("user_id"), default=0) or 0)
        if user is None or user.role != SCIENTIST:
            abort(404)
        if form.validate_on_submit():
            with attempt() as done:
                svc.set_country(current_user, user, form.country.data or None)
            if done:
                flash(_("Saved."), "success")
            return redirect(url_for("glossary.reviewers"))
        flash(_("Choose Kazakhstan or Belarus."), "error")
    forms = {u.id: CountryForm(formdata=None, country=u.country or "") for u in scientists}
    return render_template("glossary/reviewers.html", scientists=scientists, forms=forms)


@bp.cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file, change nothing.")
def load_command(path: str, dry_run: bool) -> None:
    """Load or update concepts from a data file (YAML, CSV or TBX); idempotent."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        items, rows, errors = read_file(path, data)
    except exchange.ReadError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    result = svc.apply(items, None, dry_run=dry_run, rows=rows, read_errors=errors)
    if not result.ok:
        for row, column, message in result.errors[:50]:
            click.echo(f"  item {row}, {column}: {message}", err=True)
        db.session.rollback()
        raise click.ClickException(f"{len(result.errors)} problem(s); nothing loaded")
    if not dry_run:
        db.session.commit()
    click.echo(
        f"glossary{' (dry run)' if dry_run else ''}: {result.created} new, "
        f"{result.updated} changed, {result.unchanged} unchanged"
    )
