"""Languages: Finnish (default), Swedish and English through Flask-Babel.

The active language is, in order: the logged-in user's preferred language (the switcher
saves the choice there too), the explicit choice made with the switcher in this session,
the explicit choice remembered in a long-lived cookie, the browser's Accept-Language among
the supported languages, and finally Finnish.

Content written by people (titles, descriptions, reasons) is stored in columns named
``<name>_fi``, ``<name>_sv`` and ``<name>_en``; :func:`localized` picks the version for the
active language and falls back to the one given.

``init_app`` also adds the few layout helpers that ``templates/base.html`` needs
(``endpoint_url``, ``current_language``, ``csrf_token``), so that the base layout renders in
any app that initialises languages, even before every blueprint exists.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import Babel, format_currency, format_percent, get_locale
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.routing import BuildError
from wtforms.validators import ValidationError

log = logging.getLogger(__name__)

babel = Babel()

#: Supported languages, in fallback order for content (fi, then sv, then en).
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
#: Each language's name in that language, as the switcher shows it.
LANGUAGE_NAMES: dict[str, str] = {"fi": "Suomi", "sv": "Svenska", "en": "English"}

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")
SESSION_KEY = "lang"
COOKIE_NAME = "pb_lang"
COOKIE_MAX_AGE = timedelta(days=365)

bp = Blueprint("lang", __name__)


def _supported(value: object) -> str | None:
    if isinstance(value, str) and value in LANGUAGES:
        return value
    return None


def select_locale() -> str:
    """Return the language code for the current request."""
    # A logged-in user's saved preference is their explicit choice (the switcher updates it),
    # so that it follows them to every device and to the emails they are sent.
    user = getattr(g, "user", None)
    if user is not None:
        preferred = _supported(getattr(user, "preferred_language", None))
        if preferred:
            return preferred
    if not has_request_context():  # a CLI command or a background job: the default
        return DEFAULT_LANGUAGE
    chosen = _supported(session.get(SESSION_KEY))
    if chosen:
        return chosen
    remembered = _supported(request.cookies.get(COOKIE_NAME))
    if remembered:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The active language code (fi, sv or en), also outside a request."""
    locale = get_locale()
    code = locale.language if locale is not None else DEFAULT_LANGUAGE
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def _field_value(obj: Any, name: str, lang: str) -> Any:
    key = f"{name}_{lang}"
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _pick(obj: Any, name: str) -> tuple[str, str | None]:
    active = current_language()
    for lang in (active, *LANGUAGES):
        value = _field_value(obj, name, lang)
        if value is not None and str(value).strip():
            return value, lang
    return "", None


def localized(obj: Any, name: str) -> str:
    """The ``<name>_<lang>`` value of ``obj`` for the active language, else fi, sv, en.

    Works on objects (model rows) and mappings; returns "" when no version is given.
    """
    return _pick(obj, name)[0]


def localized_lang(obj: Any, name: str) -> str:
    """The language code of the value :func:`localized` returns.

    Templates put it in a ``lang`` attribute so that a screen reader pronounces a
    fallback (say, a Finnish title on the Swedish page) in the right language.
    """
    return _pick(obj, name)[1] or current_language()


def endpoint_url(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint)``, or None when the app has no such endpoint (yet)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def euros(amount: int | None) -> str:
    """An integer amount of euros formatted for the active language (no decimals)."""
    if amount is None:
        return ""
    pattern = get_locale().currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(amount, "EUR", format=pattern, currency_digits=False)


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal, rounded half up in integers (no
    floats), in the active language's style (``54,0 %`` in Finnish, ``54.0%`` in English).
    Empty when ``whole`` is 0."""
    if not whole:
        return ""
    tenths = (2000 * part + whole) // (2 * whole)  # round(1000 * part / whole), halves up
    pattern = get_locale().percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
    return format_percent(Decimal(tenths).scaleb(-3), format=pattern)


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _home_url() -> str:
    return endpoint_url("public.index") or "/"


@bp.post("/language")
def set_language():
    """Remember the language chosen with the switcher and go back to the page."""
    # CSRFProtect has usually checked already; this keeps the view safe in an app without it.
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as error:
            raise CSRFError(error.args[0] if error.args else None) from None
    lang = _supported(request.form.get("lang"))
    target = _safe_next(request.form.get("next")) or _home_url()
    response = redirect(target, code=303)
    if lang is None:
        # An unknown language is ignored rather than refused: the page stays usable.
        return response
    session[SESSION_KEY] = lang
    _save_user_language(getattr(g, "user", None), lang)
    response.set_cookie(
        COOKIE_NAME,
        lang,
        max_age=int(COOKIE_MAX_AGE.total_seconds()),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response


def _save_user_language(user: Any, lang: str) -> None:
    """Store the choice as a logged-in user's preferred language (through the accounts service)."""
    if user is None or getattr(user, "preferred_language", None) == lang:
        return
    try:
        from pb.models import User
        from pb.services.accounts import update_profile
    except ImportError:  # an app without accounts: the session and cookie remember the choice
        return
    if isinstance(user, User):
        update_profile(user, preferred_language=lang)


def compile_catalogs(directory: str = TRANSLATIONS_DIR) -> list[str]:
    """Compile each ``.po`` catalog whose ``.mo`` is missing or older; return those compiled.

    ``scripts/test`` and installation run ``pybabel compile``; this keeps a fresh checkout
    translated when started some other way. Binaries are never committed.
    """
    compiled = []
    if not os.path.isdir(directory):
        return compiled
    for lang in sorted(os.listdir(directory)):
        po_path = os.path.join(directory, lang, "LC_MESSAGES", "messages.po")
        if not os.path.isfile(po_path):
            continue
        mo_path = po_path[:-3] + ".mo"
        if os.path.isfile(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
            continue
        try:
            with open(po_path, "rb") as po_file:
                catalog = read_po(po_file, locale=lang)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(mo_path), suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(tmp, mo_path)
            compiled.append(lang)
        except OSError as error:  # a read-only install: run `pybabel compile` instead
            log.warning("could not compile %s: %s", po_path, error)
    return compiled


def init_app(app: Flask) -> None:
    """Configure Flask-Babel, the ``lang`` blueprint and the layout's template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Helsinki")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS_DIR)
    app.config.setdefault("LANGUAGES", LANGUAGES)
    if app.config.get("PB_COMPILE_TRANSLATIONS", True):
        compile_catalogs()
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.add_template_filter(localized, "localized")
    app.add_template_filter(euros, "euros")
    app.add_template_filter(share, "share")
    app.jinja_env.globals.update(
        localized=localized,
        localized_lang=localized_lang,
        current_language=current_language,
        endpoint_url=endpoint_url,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        LANGUAGES=LANGUAGES,
    )
    # CSRFProtect registers csrf_token too; this keeps the layout's forms working without it.
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
