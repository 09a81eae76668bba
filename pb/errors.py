"""Error pages in the user's language, with the right status code and never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

#: Codes with their own page in ``templates/errors/<code>.html``.
PAGES: tuple[int, ...] = (400, 403, 404, 405, 413, 429, 500)

_FALLBACK = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Error {code}</title></head><body><main id=\"main\"><h1>Error {code}</h1>"
    "</main></body></html>"
)


def _rollback_database() -> None:
    # A failed request must not leave a broken transaction behind for the error page.
    try:
        from pb.extensions import db  # noqa: PLC0415 (the database may not exist yet)
    except ImportError:
        return
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the error page must render whatever happened)
        log.exception("rollback after an error failed")


def _template(code: int) -> str:
    return f"errors/{code}.html" if code in PAGES else "errors/generic.html"


def render_error(error: HTTPException):
    """Render the page for an HTTP error, keeping headers such as Allow and Retry-After."""
    code = error.code or 500
    if code >= 500:
        _rollback_database()
    try:
        body = render_template(
            _template(code),
            error=error,
            code=code,
            is_csrf=isinstance(error, CSRFError),
        )
    except Exception:  # noqa: BLE001 (a broken layout must not turn into a traceback)
        log.exception("error page %s failed to render", code)
        body = _FALLBACK.format(code=code)
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    headers.append(("Content-Type", "text/html; charset=utf-8"))
    headers.append(("Cache-Control", "no-store"))
    return body, code, headers


def init_app(app: Flask) -> None:
    """Register the error pages."""
    # Any HTTP error gets a page (the specific ones through templates/errors/<code>.html);
    # a CSRF failure is a BadRequest, so it gets the 400 page with its own explanation.
    # An exception a view did not handle reaches this handler as InternalServerError (Flask
    # logs it first); with PROPAGATE_EXCEPTIONS (testing, debug) Flask re-raises it instead.
    app.register_error_handler(HTTPException, render_error)
