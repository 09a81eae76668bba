"""Accessibility of the rendered pages: landmarks, skip link, labels, headings, no inline code,
form errors tied to their fields, colour contrast of the style sheet."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from tests.pb.test_i18n import make_language_app

REPO = Path(__file__).resolve().parents[2]
STYLE = REPO / "pb" / "static" / "style.css"

FOCUSABLE = {"a", "button", "input", "select", "textarea"}
LABELLABLE = {"input", "select", "textarea"}
NO_LABEL_NEEDED = {"hidden", "submit", "button", "reset", "image"}


class PageAudit(HTMLParser):
    """Collects what the checks need from one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.mains: list[dict] = []
        self.first_focusable: tuple[str, dict] | None = None
        self.controls: list[tuple[str, dict]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.text_by_id: dict[str, list[str]] = {}
        self.headings: list[int] = []
        self.images: list[dict] = []
        self.inline_scripts = 0
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.event_handlers: list[str] = []
        self.buttons_without_text: list[dict] = []
        self._open_label_depth = 0
        self._label_stack: list[bool] = []
        self._button: dict | None = None
        self._button_text = ""
        self._open_ids: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.append(a["id"])
            self.text_by_id.setdefault(a["id"], [])
            self._open_ids.append((tag, a["id"]))
        if "style" in a:
            self.style_attributes.append(tag)
        self.event_handlers += [f"{tag}[{k}]" for k in a if k.startswith("on")]
        if tag == "main":
            self.mains.append(a)
        if tag == "script" and not a.get("src"):
            self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1
        if tag == "img":
            self.images.append(a)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "label":
            self._label_stack.append(True)
            if "for" in a:
                self.label_for.add(a["for"])
        if self.first_focusable is None and tag in FOCUSABLE and a.get("type") != "hidden":
            self.first_focusable = (tag, a)
        if tag in LABELLABLE:
            self.controls.append((tag, {**a, "_inside_label": bool(self._label_stack)}))
        if tag == "button":
            self._button, self._button_text = a, ""

    def handle_endtag(self, tag):
        if tag == "label" and self._label_stack:
            self._label_stack.pop()
        if tag == "button" and self._button is not None:
            if not (self._button_text.strip() or self._button.get("aria-label") or self._button.get("aria-labelledby")):
                self.buttons_without_text.append(self._button)
            self._button = None
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data):
        if self._button is not None:
            self._button_text += data
        for _tag, element_id in self._open_ids:
            self.text_by_id[element_id].append(data)

    def text_of(self, element_id: str) -> str:
        return " ".join("".join(self.text_by_id.get(element_id, [])).split())


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    parser.close()
    return parser


def problems(html: str) -> list[str]:
    """Every accessibility problem the checks find in one page."""
    page = audit(html)
    found = []
    if not page.html_lang:
        found.append("no <html lang>")
    if len(page.mains) != 1 or page.mains[0].get("id") != "main":
        found.append(f'expected exactly one <main id="main">, found {len(page.mains)}')
    first = page.first_focusable
    if not first or first[0] != "a" or first[1].get("href") != "#main":
        found.append(f"the first focusable element is not a skip link to #main: {first}")
    for tag, attrs in page.controls:
        if attrs.get("type") in NO_LABEL_NEEDED:
            continue
        labelled = (
            (attrs.get("id") and attrs["id"] in page.label_for)
            or attrs["_inside_label"]
            or attrs.get("aria-label", "").strip()
            or attrs.get("aria-labelledby")
        )
        if not labelled:
            found.append(f"unlabelled <{tag} name={attrs.get('name')!r}>")
    for button in page.buttons_without_text:
        found.append(f"button without text: {button}")
    for img in page.images:
        if "alt" not in img:
            found.append(f"img without alt: {img.get('src')}")
    for reference in page.label_for:
        if reference not in page.ids:
            found.append(f"label for missing id {reference!r}")
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    if duplicates:
        found.append(f"duplicate ids: {sorted(duplicates)}")
    if page.headings and page.headings[0] != 1:
        found.append(f"the first heading is h{page.headings[0]}, not h1")
    if page.headings.count(1) != 1:
        found.append(f"{page.headings.count(1)} h1 headings instead of one")
    for before, after in zip(page.headings, page.headings[1:]):
        if after > before + 1:
            found.append(f"heading level skips from h{before} to h{after}")
    if page.inline_scripts:
        found.append(f"{page.inline_scripts} inline script(s)")
    if page.style_elements or page.style_attributes:
        found.append(f"inline styles: <style> x{page.style_elements}, style= on {page.style_attributes}")
    if page.event_handlers:
        found.append(f"inline event handlers: {page.event_handlers}")
    for _tag, attrs in page.controls:
        for reference in attrs.get("aria-describedby", "").split():
            if reference not in page.ids:
                found.append(f"aria-describedby points to missing id {reference!r}")
    return found


BAD_PAGE = """<!doctype html><html><head><style>p{}</style></head><body>
<button>Go</button><a href="#main">Skip</a>
<main><h2>Title</h2><h4>Deep</h4><input name="q" aria-describedby="nowhere"><img src="x.png">
<label for="gone">Gone</label><button></button>
<p style="color:red" onclick="x()">Hi</p><script>alert(1)</script></main><main></main></body></html>"""


def test_the_checks_find_each_kind_of_problem():
    """The page audit reports every problem planted in a bad page (so a pass means something)."""
    found = "\n".join(problems(BAD_PAGE))
    for expected in (
        "no <html lang>",
        'exactly one <main id="main">',
        "skip link",
        "unlabelled <input name='q'>",
        "img without alt",
        "label for missing id 'gone'",
        "button without text",
        "the first heading is h2",
        "0 h1 headings",
        "skips from h2 to h4",
        "inline script",
        "inline styles",
        "inline event handlers",
        "missing id 'nowhere'",
    ):
        assert expected in found, expected


class DemoForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Regexp(r"[^@\s]+@[^@\s]+$")], description="We never show it.")
    name = StringField("Name", validators=[Length(max=5)])
    colour = RadioField("Colour", choices=["Red", "Green"], validators=[DataRequired()])
    agree = BooleanField("I agree", validators=[DataRequired()])
    submit = SubmitField("Send")


FORM_PAGE = """{% extends "base.html" %}{% from "_forms.html" import render_field, render_form_errors %}
{% block title %}Form{% endblock %}{% block content %}<h1>Form</h1>{{ render_form_errors(form) }}
<form method="post" novalidate>{{ form.hidden_tag() }}{% for field in form if field.type != "CSRFTokenField" %}
{{ render_field(field, autocomplete="off") }}{% endfor %}</form>{% endblock %}"""


@pytest.fixture
def a11y_app():
    app = make_language_app()

    @app.route("/form", methods=["GET", "POST"])
    def form_page():
        """A form using the macros, with errors after a POST."""
        form = DemoForm()
        form.validate_on_submit()
        return render_template_string(FORM_PAGE, form=form)

    return app


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("path", ["/", "/deep/page", "/form", "/no/such/page"])
def test_layout_pages_pass_the_checks(a11y_app, path, lang):
    """Pages built on base.html (content, forms, errors) pass every check in every language."""
    response = a11y_app.test_client().get(path, headers={"Accept-Language": lang})
    assert response.mimetype == "text/html"
    assert problems(response.get_data(as_text=True)) == []


def test_form_errors_are_tied_to_their_fields(a11y_app):
    """After a failed POST each invalid control is aria-invalid, described by its own error text,
    and the summary at the top links to it."""
    client = a11y_app.test_client()
    page = client.get("/form", headers={"Accept-Language": "en"}).get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/form", data={"csrf_token": token, "email": "not-an-email", "name": "too long"}, headers={"Accept-Language": "en"}
    )
    html = response.get_data(as_text=True)
    assert problems(html) == []
    page = audit(html)
    invalid = {attrs.get("id") or attrs.get("name"): attrs for _tag, attrs in page.controls if attrs.get("aria-invalid") == "true"}
    assert set(invalid) == {"email", "name", "agree"}
    for field_id, attrs in invalid.items():
        described = attrs["aria-describedby"].split()
        assert f"{field_id}-error" in described
        assert page.text_of(f"{field_id}-error"), f"{field_id} has an empty error"
    assert "email-help" in invalid["email"]["aria-describedby"].split()
    assert "We never show it." in page.text_of("email-help")
    # The radio group reports its error on the fieldset; the summary links to its first option.
    assert re.search(r'<fieldset[^>]*id="colour"[^>]*aria-describedby="colour-error"', html)
    summary_links = re.findall(r'<div class="error-summary"[^>]*>.*?</div>', html, re.S)[0]
    for target in ("email", "name", "colour-0", "agree"):
        assert f'href="#{target}"' in summary_links
        assert target in page.ids


def test_required_fields_are_marked_and_valid_fields_are_not_invalid(a11y_app):
    """Before any POST no control is aria-invalid, and required fields say so in their label."""
    html = a11y_app.test_client().get("/form", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "aria-invalid" not in html
    assert 'class="error-summary"' not in html
    label = re.search(r'<label for="email">(.*?)</label>', html, re.S).group(1)
    assert "required" in label
    assert "required" not in re.search(r'<label for="name">(.*?)</label>', html, re.S).group(1)


def _hex_luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rgb or #rrggbb colours (a display measure, not money)."""
    light, dark = sorted((_hex_luminance(foreground), _hex_luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_ratio_matches_known_values():
    """The contrast formula gives WCAG's 21:1 for black on white and 1:1 for equal colours."""
    assert round(contrast_ratio("#000", "#fff"), 2) == 21.0
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert 4.4 < contrast_ratio("#777777", "#ffffff") < 4.5  # the classic just-failing grey


def test_style_sheet_colour_pairs_have_enough_contrast():
    """Every text/background pair the style sheet declares has a contrast ratio of at least 4.5:1."""
    css = STYLE.read_text()
    root = re.search(r":root\s*{(.*?)}", css, re.S).group(1)
    colours = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\s*;", root))
    pairs = re.findall(r"contrast:\s*(--[\w-]+)\s+on\s+(--[\w-]+)", css)
    assert len(pairs) >= 10
    low = [
        (fg, bg, round(contrast_ratio(colours[fg], colours[bg]), 2))
        for fg, bg in pairs
        if contrast_ratio(colours[fg], colours[bg]) < 4.5
    ]
    assert not low


def test_style_sheet_has_focus_styles_and_fits_320_px():
    """The style sheet shows keyboard focus, and nothing in it is wider than a 320 px screen."""
    css = STYLE.read_text()
    assert re.search(r":focus-visible\s*{[^}]*outline:\s*3px solid", css)
    assert ".skip-link:focus" in css
    assert not re.search(r"outline:\s*(none|0)\s*;", css.replace("main:focus {\n  outline: none;", ""))
    fixed = [int(n) for n in re.findall(r"(?<![\w-])(?:min-)?width:\s*(\d+)px", css)]
    assert all(n <= 320 for n in fixed), fixed


def test_layout_has_a_viewport_and_no_javascript(a11y_app):
    """The layout scales to small screens and needs no script at all."""
    html = a11y_app.test_client().get("/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "<script" not in html


# ---- The real app (fixtures from tests/pb/conftest.py) ----


def _get_pages(app, client, lang: str, *, extra: dict[str, dict] | None = None) -> dict[str, str]:
    """GET every page the client can reach: each GET endpoint without arguments, plus ``extra``
    (endpoint -> arguments); returns path -> HTML for the HTML pages that answer 200."""
    from flask import url_for

    with app.test_request_context():
        paths = [
            url_for(rule.endpoint)
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
        ]
        for endpoint, values in (extra or {}).items():
            if endpoint in app.view_functions:
                paths.append(url_for(endpoint, **values))
    pages = {}
    for path in paths:
        response = client.get(path, headers={"Accept-Language": lang})
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[path] = response.get_data(as_text=True)
    return pages


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_anonymous_page_passes_the_checks(app, lang):
    """Every page an anonymous visitor can open (with a round to show) passes every check."""
    from tests.pb.factories import make_proposal

    with app.app_context():
        proposal = make_proposal()
        round_id = proposal.round.id
    client = app.test_client()
    pages = _get_pages(app, client, lang, extra={"public.show_round": {"round_id": round_id}})
    assert "/" in pages and len(pages) >= 3
    found = {path: problems(html) for path, html in pages.items()}
    assert {path: p for path, p in found.items() if p} == {}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_administrator_page_passes_the_checks(app, lang):
    """Every page an administrator can open, with the admin and logout links, passes every check."""
    from pb.models import Role
    from tests.pb.factories import log_in, make_user

    client = app.test_client()
    with app.app_context():
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        other = make_user()
        log_in(client, admin)
        other_id = other.id
    pages = _get_pages(app, client, lang, extra={"admin.show_user": {"user_id": other_id}})
    assert "/" in pages and len(pages) >= 3
    found = {path: problems(html) for path, html in pages.items()}
    assert {path: p for path, p in found.items() if p} == {}
    front = pages["/"]
    assert 'action="/account/logout"' in front
    with app.test_request_context():
        from flask import url_for

        assert f'href="{url_for("admin.index")}"' in front


def test_administration_link_is_only_for_administrators(app):
    """The navigation shows the administration link to administrators only."""
    from flask import url_for

    from tests.pb.factories import log_in, make_user

    with app.test_request_context():
        admin_href = f'href="{url_for("admin.index")}"'
    client = app.test_client()
    assert admin_href not in client.get("/").get_data(as_text=True)
    with app.app_context():
        log_in(client, make_user())
    assert admin_href not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("endpoint", ["account.register", "account.login", "account.request_reset"])
def test_real_forms_with_errors_pass_the_checks(app, endpoint):
    """The app's forms, posted empty, show errors tied to their fields and still pass every check."""
    from flask import url_for

    with app.test_request_context():
        path = url_for(endpoint)
    response = app.test_client().post(path, data={}, headers={"Accept-Language": "sv"})
    html = response.get_data(as_text=True)
    assert problems(html) == []
    page = audit(html)
    invalid = [attrs for _tag, attrs in page.controls if attrs.get("aria-invalid") == "true"]
    assert invalid, "an empty POST showed no field errors"
    for attrs in invalid:
        described = attrs.get("aria-describedby", "").split()
        assert any(page.text_of(ref) for ref in described), attrs.get("name")


# ---- Every template, including pages the walks above cannot reach ----

TEMPLATES = REPO / "templates"
#: Templates that are not pages: partials (``_*.html``), the layout itself, and mail bodies.
NOT_PAGES = ("base.html",)


def _page_templates() -> list[str]:
    names = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if path.name.startswith("_") or name in NOT_PAGES or name.split("/")[0] in ("mail", "email", "emails"):
            continue
        names.append(name)
    return names


def _extends(env, name: str) -> str | None:
    from jinja2 import nodes

    source = env.loader.get_source(env, name)[0]
    found = env.parse(source).find(nodes.Extends)
    return found.template.value if found is not None and isinstance(found.template, nodes.Const) else None


def test_every_page_template_builds_on_the_base_layout():
    """Every page template extends base.html (directly or through a layout), so each page has the
    skip link, the landmarks, <html lang> and the language switcher."""
    app = make_language_app()
    env = app.jinja_env
    pages = _page_templates()
    assert "errors/404.html" in pages
    orphans = []
    for name in pages:
        seen, current = set(), name
        while current not in (None, "base.html") and current not in seen:
            seen.add(current)
            current = _extends(env, current)
        if current != "base.html":
            orphans.append(name)
    assert orphans == []


@pytest.mark.parametrize("name", _page_templates() + ["base.html", "_forms.html"])
def test_templates_have_no_inline_scripts_styles_or_handlers(name):
    """No template carries an inline script, a style element or attribute, or an on* handler,
    which the Content Security Policy would block."""
    source = (TEMPLATES / name).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source)
    assert not re.search(r"<style\b", source)
    assert not re.search(r"\sstyle\s*=", source)
    assert not re.search(r"\son[a-z]+\s*=", source)
