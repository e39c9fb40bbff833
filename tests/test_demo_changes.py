"""The demo server's edits and removals on command (control port), as a revisit will see them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from crawler import removals
from crawler.extract import extract_article
from demo.changes import ACTIONS, DEMO_PLAN, kind_of
from demo.server import DemoServer
from demo.world import build_world
from spiders.revisiting import page_text


@pytest.fixture
def srv() -> Iterator[DemoServer]:
    s = DemoServer(build_world(seed=7, scale=1)).start()
    yield s
    s.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:  # noqa: ANN401
        return None


def fetch(url: str) -> tuple[int, str, bytes]:
    """(status, Location, body) without following redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=5) as r:
            return r.status, r.headers.get("Location") or "", r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location") or "", e.read()


def post(srv: DemoServer, path: str) -> Any:  # noqa: ANN401
    req = urllib.request.Request(srv.control_url + path, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def test_control_port_changes_articles(srv: DemoServer) -> None:
    site = "changchun-gov"
    first_truth = srv.truth()
    before = {}
    order = (
        "unlist",
        *(a for a in ACTIONS if a != "unlist"),
    )  # the list entry first, while its neighbours are untouched
    for action in order:
        (rec,) = post(srv, f"/change?site={site}&action={action}")
        assert rec["action"] == action and rec["kind"] == kind_of(action)
        before[action] = rec["url"]
    base = srv.site_urls[site]
    assert fetch(before["404"])[0] == 404 and fetch(before["410"])[0] == 410
    assert fetch(before["home"])[:2] == (302, base + "/")
    status, location, _ = fetch(before["list"])
    assert status == 302 and location.startswith(base + "/col/")
    stored = {a["url"]: a["body_text"] for a in first_truth["articles"]}
    for action in ("soft404", "notice"):
        status, _, body = fetch(before[action])
        page = extract_article(body, before[action])
        text = page_text(body.decode("utf-8"))
        assert status == 200 and stored[before[action]] not in text
        # the extractor may take the footer for a body; the structural rule still calls it a removal
        assert removals.soft_404(
            stored[before[action]], text, page.to_dict().get("body_text"), page.is_article
        )
    # unlisted: the page still answers, the first list page no longer links it
    assert fetch(before["unlist"])[0] == 200
    listing = fetch(base + "/col/xwdt/index.html")[2].decode("utf-8", "replace")
    assert before["unlist"].rsplit("/", 1)[1] not in listing
    edited = extract_article(fetch(before["title"])[2], before["title"]).to_dict()
    assert edited["title"].endswith("（修订）")
    truth = srv.truth(bodies=False)
    assert [c["action"] for c in truth["changes"]] == list(order)
    bad = urllib.request.Request(
        srv.control_url + f"/change?site={site}&action=explode", data=b"", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=5)
    assert err.value.code == 400


def test_chrome_only_change_leaves_the_extracted_fields(srv: DemoServer) -> None:
    """The chrome change alters the page bytes (so no 304) but none of the fields an edit is judged on."""
    site = "gov-cn"
    art = next(a for a in srv.truth()["articles"] if a["site"] == site)
    keys = ("title", "body_text", "published_at", "source")
    first = fetch(art["url"])[2]
    item = next(it for it in srv.world.sites[site].items if art["url"].endswith(srv.world.item_path(it)))
    item.edit, item.views = "chrome", 4321
    second = fetch(art["url"])[2]
    assert first != second and "浏览次数：4321".encode() in second
    a, b = extract_article(first, art["url"]).to_dict(), extract_article(second, art["url"]).to_dict()
    assert {k: a.get(k) for k in keys} == {k: b.get(k) for k in keys}


def test_demo_plan_covers_every_change() -> None:
    planned = {a for actions in DEMO_PLAN.values() for a in actions}
    assert planned == set(ACTIONS)
