"""The import contract (DESIGN.md §10), read from the source with `ast`: every import counts, also one
inside a function, so a function-level import cannot hide a forbidden edge or a cycle.

- storage/ never imports crawler, spiders or scrapy, and is layered without a cycle:
  connection → full-text → schema and views → stories/store/watches → datasette glue;
- crawler/extract imports nothing of ours outside itself;
- scheduler.py imports no scrapy (nor does anything it imports);
- crawler/commands holds no SQL and opens no raw connection: commands call storage functions;
- redis and scrapy-redis are imported only under crawler/distributed, and nothing Scrapy loads for a local
  crawl (spiders/, settings, pipelines, middlewares, extensions) imports crawler/distributed;
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.conftest import ROOT

OURS = ("crawler", "spiders", "storage", "scheduler", "demo")
PRODUCT = ("crawler", "spiders", "storage", "scheduler.py")

# storage/ layers, lowest first: a module may import only modules of its own or a lower layer
STORAGE_LAYERS: list[tuple[str, ...]] = [
    ("storage.connection", "storage.store_time", "storage.fts_tokens"),
    ("storage.search",),
    ("storage.attachments", "storage.views", "storage.schema", "storage.db"),
    (
        "storage.signatures",
        "storage.stories",
        "storage.store",
        "storage.watch_match",
        "storage.watch_targets",
        "storage.watches",
        "storage.watch_notify",
        "storage.reads",
        "storage.runs",
        "storage.story_rebuild",
        "storage.watch_hits",
        "storage.export",
        "storage.lookup",
        "storage.versions",
        "storage.revisit_store",
        "storage.changes",
        "storage.templates",
        "storage.watch_events",
    ),
    ("storage.datasette_meta", "storage.datasette_plugin", "storage.datasette_db", "storage.datasette_guard"),
    ("storage.desk.queries", "storage.desk.render", "storage.desk.feeds"),
    ("storage.desk.pages",),
    ("storage.desk",),
]


def module_name(path: Path) -> str:
    """Dotted module name of a file under ROOT."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_files() -> list[Path]:
    """Every product source file (no tests, benchmarks or demo)."""
    files: list[Path] = []
    for top in PRODUCT:
        p = ROOT / top
        files += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """Every import in a file, anywhere in it, as (module, names imported from it); relative imports
    resolved."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, [a.name for a in node.names]))
    return out


def graph() -> dict[str, set[str]]:
    """Our modules → our modules and third-party top-level names they import (`from pkg import mod`
    counts as importing pkg.mod; `from mod import func` as importing mod)."""
    files = {module_name(f): f for f in product_files()}
    known = set(files)
    edges: dict[str, set[str]] = {}
    for mod, path in files.items():
        deps = set()
        for target, names in imports_of(path):
            if target.split(".")[0] not in OURS:
                deps.add(target.split(".")[0])
                continue
            subs = {f"{target}.{n}" for n in names} & known
            deps |= subs
            if not subs or len(subs) < len(names):
                deps.add(target)
        edges[mod] = {d for d in deps if d and (d in known or d.split(".")[0] not in OURS)} - {mod}
    return edges


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    """Everything `start` imports, directly or through our modules (parent packages included)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        mod = todo.pop()
        for dep in edges.get(mod, ()):
            for name in _with_parents(dep):
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
    return seen


def _with_parents(name: str) -> Iterable[str]:
    parts = name.split(".")
    return (".".join(parts[: i + 1]) for i in range(len(parts)))


def cycles(edges: dict[str, set[str]], nodes: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), restricted to `nodes`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, set()) & nodes:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


EDGES = graph()


def test_the_walker_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    """The contract would be empty if the walker missed imports: check it on the real tree."""
    assert "storage.search" in EDGES["storage.db"]
    assert "crawler.extract.selectors" in EDGES["crawler.extract.core"]  # `from . import selectors`
    assert "redis" in EDGES["crawler.distributed.cluster"]
    assert "scrapy" in EDGES["spiders.site"]


def test_every_import_of_ours_names_a_module_that_exists() -> None:
    """An import of a module we do not have (a stale name after a rename) is caught here, not at run time."""
    files = {module_name(f): f for f in product_files()}
    missing = []
    for mod, path in files.items():
        for target, names in imports_of(path):
            if target.split(".")[0] in ("crawler", "spiders", "storage") and target not in files:
                missing.append(f"{mod}: {target}")
            elif target in files and path.name != "__init__.py":
                for n in names:
                    sub = f"{target}.{n}"
                    if (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() and sub not in files:
                        missing.append(f"{mod}: {sub}")
    assert not missing


def test_storage_imports_no_crawler_spiders_or_scrapy() -> None:
    """storage/ is below everything: it never imports the crawler, the spiders or Scrapy."""
    bad = {
        mod: sorted(d for d in deps if d.split(".")[0] in ("crawler", "spiders", "scrapy", "twisted"))
        for mod, deps in EDGES.items()
        if mod.startswith("storage")
    }
    assert not {m: d for m, d in bad.items() if d}


def test_storage_is_layered_without_a_cycle() -> None:
    """Each storage module imports only its own layer or lower ones, and no set of them forms a cycle."""
    layer = {mod: i for i, mods in enumerate(STORAGE_LAYERS) for mod in mods}
    storage = {m for m in EDGES if m.startswith("storage.")}
    unplaced = sorted(storage - set(layer))
    assert not unplaced, f"put these storage modules in a layer of STORAGE_LAYERS: {unplaced}"
    upward = [
        f"{m} (layer {layer[m]}) imports {d} (layer {layer[d]})"
        for m in sorted(storage)
        for d in sorted(EDGES[m])
        if d in layer and layer[d] > layer[m]
    ]
    assert not upward
    assert not cycles(EDGES, storage)


def test_no_cycle_among_our_modules_anywhere() -> None:
    """No import cycle anywhere in the product (a cycle is how layers silently dissolve)."""
    mods = set(EDGES)
    assert not cycles(EDGES, mods)


def test_extract_imports_nothing_of_ours_outside_itself() -> None:
    """crawler/extract is pure: bytes + URL in, article fields out."""
    bad = {
        mod: sorted(d for d in deps if d.split(".")[0] in OURS and not d.startswith("crawler.extract"))
        for mod, deps in EDGES.items()
        if mod.startswith("crawler.extract")
    }
    assert not {m: d for m, d in bad.items() if d}
    assert not {
        m: "scrapy" for m, deps in EDGES.items() if m.startswith("crawler.extract") and "scrapy" in deps
    }


def test_scheduler_imports_no_scrapy() -> None:
    """The scheduler dispatches subprocesses; neither it nor anything it imports loads Scrapy or Twisted."""
    seen = reachable(EDGES, "scheduler")
    assert not {"scrapy", "twisted", "scrapy_redis"} & seen, sorted(seen)


def test_redis_is_imported_only_by_the_cluster_code() -> None:
    """redis and scrapy-redis: only crawler/distributed; and a local crawl never reaches that code."""
    users = sorted(m for m, deps in EDGES.items() if {"redis", "scrapy_redis"} & deps)
    assert users and all(m.startswith("crawler.distributed.") for m in users), users
    local = ["spiders", "spiders.site", "crawler.settings", "crawler.pipelines", "crawler.middlewares",
             "crawler.extensions", "crawler.robots", "crawler.runner", "scheduler"]  # fmt: skip
    for mod in local:
        reached = reachable(EDGES, mod)
        assert not {"redis", "scrapy_redis"} & reached, mod
        assert not any(r.startswith("crawler.distributed") for r in reached), mod


# SQL statements, and executing or opening a connection directly (sqlite3 and sqlite-utils spellings)
SQL_IN_CODE = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE)\b|\.(execute|executemany|executescript|query)\(|sqlite3\.connect\b"
)


def test_commands_hold_no_sql() -> None:
    """The CLI parses options, calls storage and prints: the SQL of every command lives in storage/."""
    assert SQL_IN_CODE.search((ROOT / "storage" / "export.py").read_text("utf-8"))  # the pattern sees SQL
    commands = sorted((ROOT / "crawler" / "commands").glob("*.py"))
    assert len(commands) > 10
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in commands
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if SQL_IN_CODE.search(line)
    ]
    assert not found, "move these into a storage function the command calls:\n" + "\n".join(found)


def test_storage_has_no_function_level_import_of_storage() -> None:
    """Inside storage/ every import of another storage module is at the top of the file (a
    function-level one is how a cycle is hidden)."""
    late = []
    for f in product_files():
        if not module_name(f).startswith("storage"):
            continue
        tree = ast.parse(f.read_text("utf-8"))
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if node.__dict__.get("level") or any(n.startswith("storage") for n in names):
                    late.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not late


def test_scheduler_import_loads_no_scrapy_at_runtime() -> None:
    """The same rule, checked by importing: nothing the scheduler imports pulls in Scrapy."""
    import subprocess

    code = (
        "import sys, scheduler; bad = {'scrapy', 'twisted', 'redis'} & set(sys.modules); print(sorted(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-2000:])
    assert proc.stdout.strip() == "[]"
