"""Every page reachable by following links, and every form on those pages fed hostile text,
answers without a server error: the demo's rounds in four phases (proposals, screening,
voting, published results), crawled as an anonymous visitor and as each role."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import Role, User
from pb.services.demo import DEMO_ACCOUNTS
from tests.pb.factories import log_in

HREF = re.compile(r'href="([^"#]*)')
#: Links not followed: ones that end the session, and files that are not pages.
SKIP = re.compile(r"^/(static/|account/logout|identity/.*/(start|logout))")
MAX_PAGES = 400


def _crawl(client, lang: str) -> dict[str, int]:
    """Status of every same-site page reachable from ``/`` (at most MAX_PAGES)."""
    seen: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path, headers={"Accept-Language": lang})
        seen[path] = response.status_code
        if response.mimetype != "text/html":
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            parts = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.match(target) and target not in seen:
                queue.append(target)
    return seen


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_no_linked_page_fails_for_any_visitor(app, runner, lang):
    """From `/`, following every link as an anonymous visitor and as each role, no page answers
    with a 5xx status, and the crawl reaches the rounds, the published results and (for staff)
    the admin pages."""
    assert runner.invoke(args=["pb", "demo", "--all-phases"]).exit_code == 0
    with app.app_context():
        ids = {role: db.session.scalar(sa.select(User.id).where(User.email == email))
               for role, email in DEMO_ACCOUNTS.items()}
    reached: dict[str, set[str]] = {}
    for role in [None, *Role]:
        client = app.test_client()
        if role is not None:
            log_in(client, ids[role])
        statuses = _crawl(client, lang)
        failing = {path: status for path, status in statuses.items() if status >= 500}
        assert failing == {}, (role, failing)
        reached[str(role)] = set(statuses)
    assert any(p.startswith("/rounds/") for p in reached["None"])
    assert any(re.fullmatch(r"/rounds/\d+/results/\d+", p) for p in reached["None"])
    assert any(p.startswith("/admin") for p in reached[str(Role.ADMINISTRATOR)])


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name -> (kind, default value))."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, tuple[str, str]]]] = []
        self._fields: dict[str, tuple[str, str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._fields = {}
            self.forms.append((a.get("action", ""), self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._fields.setdefault(a["name"], (kind, ""))
            elif kind not in ("submit", "button"):
                self._fields[a["name"]] = (kind, a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._fields[a["name"]] = ("textarea", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._fields[a["name"]] = ("select", "")
        elif tag == "option" and self._select and not self._fields[self._select][1]:
            self._fields[self._select] = ("select", a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


#: One value per field that mixes what breaks naive code: NUL and control characters, quotes
#: and SQL, markup, a non-BMP character, digits with letters, and more than any limit allows.
HOSTILE = "1e9\x00\x1b'\"; DROP TABLE round; --<script>x</script>\U0001f600" + "9" * 3000
#: Forms that end the session or that would log the crawler out of its role.
NOT_SUBMITTED = re.compile(r"/(account/logout|identity/)")


@pytest.mark.parametrize("role", [None, Role.ADMINISTRATOR, Role.MODERATOR, Role.AUDITOR, Role.RESIDENT])
def test_no_form_fails_on_hostile_input(app, runner, role):
    """Every POST form an anonymous visitor or a role reaches by links over the demo's rounds,
    submitted with its own CSRF token and one field at a time set to hostile text (and once as
    shown), answers with a page, a redirect or a 4xx, never a 5xx."""
    assert runner.invoke(args=["pb", "demo", "--all-phases"]).exit_code == 0
    user_id = None
    if role is not None:
        with app.app_context():
            user_id = db.session.scalar(sa.select(User.id).where(User.email == DEMO_ACCOUNTS[role]))
    client = app.test_client()
    if user_id is not None:
        log_in(client, user_id)
    pages = [path for path, status in _crawl(client, "en").items() if status == 200]
    failures, submitted = [], 0
    for page in pages:
        response = client.get(page, headers={"Accept-Language": "en"})
        if response.mimetype != "text/html":
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for action, fields in parser.forms:
            target = urlsplit(urljoin(page, action.replace("&amp;", "&")))
            path = target.path + (f"?{target.query}" if target.query else "")
            if NOT_SUBMITTED.search(path):
                continue
            shown = {name: value for name, (kind, value) in fields.items()}
            editable = [name for name, (kind, _) in fields.items() if kind not in ("hidden", "checkbox", "radio")]
            for field in [None, *editable]:
                data = dict(shown)
                if field is not None:
                    data[field] = HOSTILE
                answer = client.post(path, data=data, headers={"Accept-Language": "en"})
                submitted += 1
                if answer.status_code >= 500:
                    failures.append((page, path, field, answer.status_code))
            if user_id is not None:  # a form may have changed the session (e.g. a code entered)
                log_in(client, user_id)
    assert failures == []
    assert submitted > 10
