"""A plain `pip install .` (no extras) crawls: the cluster code and `redis` stay out of local crawls, and a
crawl that dies makes `newsmon demo` fail and say why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from crawler.runner import crawl_env, last_error_line
from tests.conftest import ROOT

# what a source checkout holds that is not the project (a copy keeps `pip install` from writing build/ here)
_NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "__pycache__", "*.db", "*.db-*", ".*_cache", ".hypothesis"
)


def _blocker(tmp_path: Path, blocked: str) -> dict[str, str]:
    """A crawl environment in which importing the `blocked` modules fails, as when they are not installed."""
    d = tmp_path / "blocker"
    d.mkdir()
    (d / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        f"    names = {blocked.split(',')!r}\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in self.names or name in self.names:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r} (blocked by the test)')\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    env = crawl_env()
    env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + str(d)
    return env


def test_scrapy_lists_the_local_spider_without_redis(tmp_path: Path) -> None:
    """Scrapy's spider loader imports every SPIDER_MODULES module: none of them may need redis."""
    env = _blocker(tmp_path, "redis,scrapy_redis")
    check = subprocess.run([sys.executable, "-c", "import redis"], env=env, capture_output=True, text=True)
    assert check.returncode != 0 and "blocked by the test" in check.stderr  # the blocker works
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["site"]


def test_worker_loads_the_cluster_spider() -> None:
    """The worker's spider is found under crawler/distributed (and only there)."""
    env = crawl_env()
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "list", "-s", "SPIDER_MODULES=crawler.distributed.spider"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if "No module named 'redis'" in proc.stderr or "No module named 'scrapy_redis'" in proc.stderr:
        pytest.skip("the scaleout extra is not installed")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "redis_site" in proc.stdout.split()


def test_last_error_line() -> None:
    """The line that says why a crawl died: a Scrapy ERROR record or a traceback's last line."""
    log = (
        "2026-01-01 00:00:00 [scrapy.utils.log] INFO: Scrapy started\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'redis'\n"
    )
    assert last_error_line(log) == "ModuleNotFoundError: No module named 'redis'"
    log2 = "a [x] ERROR: first\nb [y] ERROR: database is locked\nc [z] INFO: Closing spider\n"
    assert last_error_line(log2) == "b [y] ERROR: database is locked"
    assert last_error_line("only info\n\n") == "only info"
    assert last_error_line("") == ""


@pytest.mark.slow
def test_demo_fails_and_says_why_when_crawls_die(tmp_path: Path) -> None:
    """Crawls that cannot start make `newsmon demo` exit non-zero with each crawl's last error line."""
    env = {**_blocker(tmp_path, "spiders.site"), "NO_PROXY": "127.0.0.1"}
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--db", str(tmp_path / "d.db"), "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode != 0
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["articles_stored"] == 0
    assert (
        len(summary["crawls_died"]) >= summary["sites"] >= 7
    )  # every configured site, some without articles
    assert all("blocked by the test" in d["error"] for d in summary["crawls_died"]), summary["crawls_died"]
    assert "crawl of" in proc.stderr and "died (exit code 1)" in proc.stderr
    assert "No module named 'spiders.site' (blocked by the test)" in proc.stderr


@pytest.mark.slow
def test_plain_install_crawls_the_demo(tmp_path: Path) -> None:
    """A fresh venv, `pip install .` with no extras, `newsmon demo --json` from another folder: every demo
    article is stored (pip's own cache and configured indexes are reused)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=_NOT_SHIPPED)
    env_dir = tmp_path / "venv"
    # no pip of its own (seeding one takes seconds): this environment's pip installs into it (`--python`)
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", str(src)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-3000:]
    no_extra = subprocess.run([str(py), "-c", "import redis"], capture_output=True, text=True)
    assert no_extra.returncode != 0, "redis is installed: this is not a plain install"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    proc = subprocess.run(
        [str(env_dir / "bin" / "newsmon"), "demo", "--json", "--db", "demo.db"],
        cwd=elsewhere, env={**env, "NO_PROXY": "127.0.0.1"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["crawls_died"] == [], summary["crawls_died"]
    assert summary["articles_expected"] >= 60
    assert summary["articles_stored"] == summary["articles_expected"], summary["details"]
    assert summary["missing"] == 0 and summary["extra"] == 0, summary["details"]
    assert proc.returncode == 0, proc.stderr[-2000:]
