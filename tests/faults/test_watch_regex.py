"""Watch regexes cannot take a process down: RE2 runs them in linear time, what RE2 cannot run is a config
error, and a crawl with catastrophic-looking patterns finishes (and evaluates them) in seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_SETTINGS, ROOT, newsmon
from tests.faults.hostile import PARA, article
from tests.helpers import RouteServer, page

pytestmark = pytest.mark.faults

# the classic exponential shapes for a backtracking engine, and some that slip past shape heuristics
CATASTROPHIC = ["((a+))+$", "(a|a)+$", "(a+){12}$", "(a+)+$", "(a*)*$", "(a|aa)+$", r"(\w+\s?)*$",
                "(.*a){20}$", "(x+x+)+y", "((a|b)*)*c$", "(?:a+)+b", "(a?){25}a{25}"]  # fmt: skip
TEXTS = ["a" * 5000 + "!", "a" * 30 + "!", ("ab" * 2000) + "!", PARA * 20 + "a" * 3000 + "。"]
_EVAL = """
import json, sys, time
from storage.watch_match import Matcher, Watch
pats, texts = json.loads(sys.stdin.read())
m = Matcher(Watch(name=f"w{i}", regex=p) for i, p in enumerate(pats))
t0 = time.monotonic()
for t in texts:
    m.match("标题", t)
print(len(m), time.monotonic() - t0)
"""


def test_catastrophic_patterns_are_linear_in_the_matcher() -> None:
    """The Matcher the crawl and the scheduler both use: every pattern compiled, evaluated in well under a second."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _EVAL], input=json.dumps([CATASTROPHIC, TEXTS]), cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    compiled, seconds = proc.stdout.split()
    assert int(compiled) == len(CATASTROPHIC)
    assert float(seconds) < 5, seconds
    assert time.monotonic() - t0 < 30


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?<=a)b", "(?!x)y", "(?P<n>a)(?P=n)"])
def test_what_re2_cannot_run_is_a_config_error(tmp_path: Path, pattern: str) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        '[[site]]\nname = "a"\nsources = [{ url = "http://127.0.0.1:9/list.html" }]\n'
        f"[[watch]]\nname = \"w\"\nregex = '{pattern}'\n",
        encoding="utf-8",
    )
    for args in (("sites",), ("schedule", "--once", "--db", str(tmp_path / "n.db"))):
        proc = newsmon(*args, "--sites", str(config), timeout=60)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "watch 'w', key 'regex'" in proc.stderr and "RE2" in proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_crawl_with_catastrophic_watches_finishes(tmp_path: Path) -> None:
    bodies = {f"/a/t20231128_{i}.html": page(article(f"测试文章第{i}号", extra=f"<p>{'a' * 6000}!</p>"))
              for i in range(3)}  # fmt: skip
    links = "".join(f'<li><a href="{p}">测试文章标题第{p[-6]}号</a></li>' for p in bodies)
    with RouteServer(routes={**bodies, "/list.html": page(f"<ul>{links}</ul>")}) as site:
        watches = "".join(f"[[watch]]\nname = \"w{i}\"\nregex = '{p}'\n" for i, p in enumerate(CATASTROPHIC))
        config = tmp_path / "sites.toml"
        config.write_text(
            f'[[site]]\nname = "mine"\nsources = [{{ url = "{site.base}/list.html" }}]\n{watches}',
            encoding="utf-8",
        )
        db = tmp_path / "n.db"
        sets = [f"--set={k}={v}" for k, v in DEMO_SETTINGS.items()]
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--sites", str(config), *sets, "--all"],
            cwd=ROOT, capture_output=True, text=True, timeout=90,
            env={**os.environ, "NEWSMON_WATCH_NOTIFY": "0"},
        )  # fmt: skip
        elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert elapsed < 60, elapsed
    import sqlite3

    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM watches").fetchone()[0] == len(CATASTROPHIC)
    hits = conn.execute("SELECT count(*) FROM watch_hits").fetchone()[0]
    assert hits >= 3  # "(a+){12}$"-like patterns do not match, "(a?){25}a{25}" does, on each article
