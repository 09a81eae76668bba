"""Every page reachable by following links, for every kind of visitor, answers without a
server error: the demo's rounds in four phases (proposals, screening, voting, published results),
crawled as an anonymous visitor and as each role, in each language."""

from __future__ import annotations

import re
from collections import deque
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
