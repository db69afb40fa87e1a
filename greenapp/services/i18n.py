"""Choosing the interface language and formatting numbers for it."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, format_decimal, get_domain, get_locale
from flask_login import current_user

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "be": "Беларуская", "en": "English"}


def select_locale() -> str:
    """The user's stored choice, else this session's choice, else Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/v1/") and not (request.endpoint or "").startswith(
        "api_docs."
    ):  # a script (not the docs page): its Accept-Language, no cookie
        asked = request.accept_languages.best_match(languages)
        if asked:
            return str(asked)
        user = g.get("_login_user")
        return (
            user.locale if user is not None and getattr(user, "locale", None) in languages else "en"
        )
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or "en"


# --- translations, looked up once per request and locale --------------------------------
#
# Flask-Babel finds the translations anew on every gettext: three lookups of the
# request-global `g`, then str(locale) to key its cache, about 9 µs, and a page asks
# dozens of times (every _() of its templates, every form label). They are remembered
# on the request's Babel namespace (g._flask_babel) next to the Locale object they are
# for, compared by identity: force_locale (a mail in its reader's language, an import
# template in the language asked for) puts another Locale object there, so it gets that
# locale's translations, and the request's again when it ends.


def translations() -> NullTranslations:
    """The current locale's translations (Flask-Babel's get_translations, remembered)."""
    try:
        space = g._flask_babel
    except (AttributeError, RuntimeError):  # before Babel's first use, or no app context
        return Domain.get_translations(get_domain())
    known = getattr(space, "greenapp_translations", None)
    if known is not None and known[0] is getattr(space, "babel_locale", None):
        return known[1]
    found = Domain.get_translations(get_domain())  # sets space.babel_locale if unset
    space.greenapp_translations = (space.babel_locale, found)
    return found


class RequestDomain(Domain):
    """Flask-Babel's message domain, whose gettext family reads translations()."""

    def get_translations(self) -> NullTranslations:
        return translations()


class GreenBabel(Babel):
    """Flask-Babel on RequestDomain, and the templates' _() and friends on translations()."""

    @cached_property
    def domain_instance(self) -> Domain:
        return RequestDomain(domain=self.domain)

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda s: translations().ugettext(s),
            ngettext=lambda s, p, n: translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        )


def select_timezone() -> str:
    """Dates and times are shown in the programme's local time zone."""
    return current_app.config["DEFAULT_TIMEZONE"]


def fmt_quantity(value: Decimal | int | None) -> str:
    """Format an exact quantity for the current locale without losing digits."""
    if value is None:
        return ""
    value = Decimal(value)
    # Show up to 3 decimals, and no trailing zeros: 1500, 1 500,5, 0.25.
    exponent = value.normalize().as_tuple().exponent
    places = max(0, -exponent) if value and isinstance(exponent, int) else 0
    if places <= 6 and value.is_finite() and not value.is_signed():
        # What Babel's pattern below gives, ~10x faster (a dashboard formats a thousand
        # numbers): Python groups by three, then the locale's symbols replace , and .
        return f"{value:,.{places}f}".translate(_symbols(str(get_locale() or "en")))
    pattern = "#,##0" + ("." + "#" * min(places, 6) if places else "")
    return format_decimal(value, format=pattern)


@lru_cache(maxsize=32)
def _symbols(locale: str) -> dict[int, str]:
    """str.translate table: Python's group and decimal signs to the locale's."""
    return {ord(","): get_group_symbol(locale), ord("."): get_decimal_symbol(locale)}
