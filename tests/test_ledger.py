"""The persistence seam (crawler/ledger.py): the local Store/RunState and the cluster's RunView implement
the same Ledger/RunLedger, and the spider's code asks its store for nothing else.

Before the seam, RunView duck-typed the Store: a Store method the spider started calling worked locally and
broke only cluster mode. These tests fail on that drift, statically, without Redis or a crawl.
"""

from __future__ import annotations

import ast
import inspect
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.distributed.runview import Run, RunStats, RunView
from crawler.ledger import Ledger, RunLedger
from crawler.runstate import RunState
from crawler.sites import adhoc_site
from storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
REVISITS = "spiders/revisiting.py"
# every spider module a worker runs (all but the revisits, see test_local_only_reasons_hold)
SPIDER_MODULES = tuple(
    rel
    for rel in (str(p.relative_to(ROOT)) for p in sorted((ROOT / "spiders").glob("*.py")))
    if rel != REVISITS
)
WORKER = ROOT / "crawler/distributed/spider.py"
# SiteSpider methods a cluster worker never runs although it does not override them, and why (each reason
# is checked below): they may use the local Store's other methods
LOCAL_ONLY = {
    "save_validators": "called only by RunRecorder at close, which the worker disables (the ingest writer "
    "saves validators)",
    "flush_template": "writes the template memory that only site_template() builds (the worker's returns None)",
}


def members(protocol: type) -> list[str]:
    """Public members a protocol declares (its own and inherited)."""
    names = set()
    for klass in protocol.__mro__:
        if klass.__module__.startswith("crawler."):
            names |= {n for n in vars(klass) if not n.startswith("_")}
    return sorted(names)


def params(fn: Any) -> list[tuple[str, Any, Any]]:
    """(name, kind, default) of a function's parameters: what a caller can rely on."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def a_view() -> RunView:
    """A RunView over an empty cluster (nothing stored, no failures, no validators)."""
    empty = SimpleNamespace(
        known_urls=lambda urls: set(), failed_attempts=lambda urls: {}, source_state=lambda url: None
    )
    site = adhoc_site(["http://127.0.0.1:1/"])
    return RunView(SimpleNamespace(cluster=empty), Run("t1", site, False), RunStats())


# -- both sides implement the protocols alike -------------------------------------------------------
def test_ledger_lists_what_the_spider_uses_of_its_store() -> None:
    assert members(Ledger) == [
        "failed_attempts",
        "known_attachments",
        "known_urls",
        "record_failure",
        "save_redirect",
        "source_state",
        "upsert_sites",
    ]
    assert members(RunLedger) == ["fail", "open", "run_id", "store"]


@pytest.mark.parametrize("impl", [Store, RunView], ids=["Store", "RunView"])
def test_store_and_runview_define_every_ledger_member_with_its_signature(impl: type) -> None:
    for name in members(Ledger):
        assert callable(getattr(impl, name, None)), f"{impl.__name__} lacks Ledger.{name}"
        assert params(getattr(impl, name)) == params(getattr(Ledger, name)), f"{impl.__name__}.{name}"


@pytest.mark.parametrize("impl", [RunState, RunView], ids=["RunState", "RunView"])
def test_runstate_and_runview_define_every_run_ledger_method_with_its_signature(impl: type) -> None:
    for name in ("open", "fail"):
        assert params(getattr(impl, name)) == params(getattr(RunLedger, name)), f"{impl.__name__}.{name}"


def test_instances_satisfy_the_protocols() -> None:
    local = RunState(SimpleNamespace(settings=Settings({"NEWSMON_DB": ":memory:"})))
    view = a_view()
    assert isinstance(local, RunLedger) and isinstance(view, RunLedger)
    assert isinstance(view, Ledger) and view.open("x") is view and view.store is view
    with Store(":memory:") as store:
        assert isinstance(store, Ledger)


def test_fail_counts_and_records_alike_in_both_modes(tmp_path: Path) -> None:
    """One `fail` (crawler.ledger.record_fail): same stats; the Store gets a row, the writer a message."""

    class Sink(Counter):
        def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
            self[key] += count

        def set_value(self, key: str, value: Any, spider: Any = None) -> None:
            self[key] = value

        def get_value(self, key: str, default: Any = None, spider: Any = None) -> Any:
            return self.get(key, default)

    local = RunState(SimpleNamespace(settings=Settings({"NEWSMON_DB": str(tmp_path / "a.db")}), stats=Sink()))
    local.open("s")
    local.fail("http://127.0.0.1:1/a.html", "http", "HTTP 503", 503)
    view = a_view()
    view.fail("http://127.0.0.1:1/a.html", "http", "HTTP 503", 503)
    assert (
        local.crawler.stats == Counter(view.stats.incs) == {"newsmon/failures": 1, "newsmon/failures/http": 1}
    )
    assert local.store is not None
    assert local.store.failed_attempts(["http://127.0.0.1:1/a.html"]) == {
        "http://127.0.0.1:1/a.html": (1, "http", 503)
    }
    assert view.failed_attempts(["http://127.0.0.1:1/a.html"]) == {
        "http://127.0.0.1:1/a.html": (1, "http", 503)
    }
    assert [m["type"] for m in view.messages] == ["failure"] and view.messages[0]["run"] == "t1"
    local.close()


# -- the spider's code calls only Ledger members on its store ---------------------------------------
def store_uses(tree: ast.AST) -> list[tuple[str, str, str, int]]:
    """(function, "store"|"state", attribute, line) of every attribute used on the spider's store
    (`self.state.store`, or a name `store`) and on its run state (`self.state`)."""
    out: list[tuple[str, str, str, int]] = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Attribute):
                continue
            recv = ast.unparse(node.value)
            if recv in ("store", "self.state.store", "self.state.open(self.site.name)"):
                out.append((fn.name, "store", node.attr, node.lineno))
            elif recv == "self.state":
                out.append((fn.name, "state", node.attr, node.lineno))
    return sorted(out, key=lambda use: use[3])


def worker_methods() -> dict[str, ast.FunctionDef]:
    """RedisSiteSpider's own methods, by name."""
    tree = ast.parse(WORKER.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "RedisSiteSpider")
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def replaced_by_worker() -> set[str]:
    """SiteSpider methods the worker overrides without calling the original (never run in a worker)."""
    return {
        name
        for name, fn in worker_methods().items()
        if not any(isinstance(n, ast.Name) and n.id == "super" for n in ast.walk(fn))
    }


def non_members(source: str, skip: set[str]) -> list[str]:
    """Uses of the store or run state outside the protocols, in functions not listed in skip."""
    allowed = {"store": set(members(Ledger)), "state": set(members(RunLedger))}
    return [
        f"{fn}:{line} {what}.{attr}"
        for fn, what, attr, line in store_uses(ast.parse(source))
        if fn not in skip and attr not in allowed[what]
    ]


def test_the_checker_notices_a_store_method_outside_the_ledger() -> None:
    src = (
        "def parse_article(self, response):\n"
        "    self.state.store.save_articles([])\n"
        "    store = self.state.store\n"
        "    store.count_due('s', 'now')\n"
        "    self.state.crawler\n"
        "def clear_complete_marks(self, store, urls):\n"
        "    store.set_sources_complete(urls, False)\n"
    )
    assert non_members(src, {"clear_complete_marks"}) == [
        "parse_article:2 store.save_articles",
        "parse_article:4 store.count_due",
        "parse_article:5 state.crawler",
    ]
    assert (
        non_members(
            "def f(self):\n    self.state.fail('u', 'parse')\n    self.state.store.known_urls([])\n", set()
        )
        == []
    )


def test_spider_code_a_worker_runs_uses_only_ledger_members_of_its_store() -> None:
    skip = replaced_by_worker() | set(LOCAL_ONLY)
    assert "clear_complete_marks" in skip and "parse_article" not in skip  # parse_* call the original
    found, used = [], set()
    for rel in SPIDER_MODULES:
        source = (ROOT / rel).read_text(encoding="utf-8")
        found += [f"{rel} {use}" for use in non_members(source, skip)]
        used |= {attr for _, what, attr, _ in store_uses(ast.parse(source)) if what == "store"}
    assert {"save_redirect", "upsert_sites", "source_state", "known_attachments"} <= used, (
        "the check sees them"
    )
    assert not found, "add these to crawler/ledger.py (and RunView), or keep them out of a worker's path"


def test_local_only_reasons_hold() -> None:
    """The exemptions above stay true: the worker disables RunRecorder, and has no template memory or
    revisits (spiders/revisiting.py may use any Store method for that reason)."""
    worker = WORKER.read_text(encoding="utf-8")
    assert '"crawler.extensions.RunRecorder": None' in worker
    replaced = replaced_by_worker()
    assert {"site_template", "remember_template", "note_list"} <= replaced
    start = worker_methods()["from_crawler"]
    assert any(
        isinstance(n, ast.Assign)
        and ast.unparse(n.targets[0]) == "spider.revisits_started"
        and ast.unparse(n.value) == "True"
        for n in ast.walk(start)
    ), "the worker must switch revisits off, or spiders/revisiting.py must use only the Ledger"
    defined = {
        n.name
        for rel in (*SPIDER_MODULES, REVISITS)
        for n in ast.walk(ast.parse((ROOT / rel).read_text(encoding="utf-8")))
        if isinstance(n, ast.FunctionDef)
    }
    assert set(LOCAL_ONLY) <= defined, "a LOCAL_ONLY entry names no function any more"
