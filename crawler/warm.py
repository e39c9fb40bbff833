"""Warm crawl worker: imports Scrapy and newsmon's crawl code once, then forks a fresh child per run.

The fixed cost of a crawl process is mostly starting Python and importing Scrapy, Twisted, lxml and the
extractor (~0.9 CPU-s, issue #18). This process pays it once. For each run it forks; the child starts
its own session (process group = its pid, so the scheduler stops it exactly like a `scrapy crawl`
subprocess), installs the reactor (never installed here: Twisted's reactor cannot restart, scrapy#2941)
and runs what `scrapy crawl site -a … -s …` runs (a CrawlerProcess with the arguments and command-line
settings, exit code 1 when the crawl could not start), so a run behaves as the subprocess did: the same
settings, run row, exit code. A crash, leak or hang stays inside that child; this parent never
crawls, opens no database and runs no thread, so forking it is safe and it does not grow.

Protocol on stdin/stdout, one JSON object per line (crawler/runtime.py is the other side):

    -> {"id": 7, "args": {"site": ...}, "settings": {...}, "log": "/path/or/null", "max_mb": 0}
    <- {"ready": true, "pid": 123}            once, after the imports
    <- {"id": 7, "pid": 4567}                 the child exists (or {"id": 7, "error": "..."})
    <- {"id": 7, "exit": 0}                   the child ended: exit code, or -signal

End of input: no new runs; the worker exits once its children have ended.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import json
import os
import resource
import selectors
import signal
import sys
import traceback
from typing import Any

# What a crawl imports; none of these installs a reactor (checked at start).
PRELOAD = (
    "scrapy.cmdline",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.core.scraper",
    "scrapy.core.downloader",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.extensions.throttle",
    "scrapy.downloadermiddlewares.httpcompression",
    "scrapy.commands.crawl",
    "twisted.internet.asyncioreactor",
    "crawler.settings",
    "crawler.pipelines",
    "crawler.extensions",
    "crawler.middlewares",
    "crawler.robots",
    "spiders.site",
    "crawler.watchconfig",
    "storage.watches",
    "storage.watch_events",
    "storage.watch_notify",
)

# settings naming one class or function each that a run loads (the scheduler, its queues, the stats, the
# robots.txt parser …); the component dicts (middlewares, handlers) are walked separately in preload()
COMPONENT_SETTINGS = (
    "DOWNLOADER",
    "DUPEFILTER_CLASS",
    "ITEM_PROCESSOR",
    "LOG_FORMATTER",
    "REQUEST_FINGERPRINTER_CLASS",
    "ROBOTSTXT_PARSER",
    "SCHEDULER",
    "SCHEDULER_DISK_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_START_DISK_QUEUE",
    "SCHEDULER_START_MEMORY_QUEUE",
    "SPIDER_LOADER_CLASS",
    "STATS_CLASS",
)


_SETTINGS: Any = None


def preload() -> None:
    """Import the crawl code once; fail loudly if anything installed a reactor in this parent."""
    for name in PRELOAD:
        importlib.import_module(name)
    from scrapy.utils.misc import load_object, walk_modules_iter
    from scrapy.utils.project import get_project_settings

    global _SETTINGS
    settings = _SETTINGS = get_project_settings()  # each child changes its own (forked) copy
    # per-run work that is the same for every run of this worker: the versions line of the log, and
    # Scrapy's check of the callbacks' source for `return` in a generator (parsed again for each new
    # spider instance; the process runtime and the tests still run it)
    settings.setdict({"LOG_VERSIONS": [], "WARN_ON_GENERATOR_RETURN_VALUE": False}, priority="project")
    # every component a Crawler builds by dotted path (middlewares, extensions, handlers, pipelines)
    paths: list[object] = [settings.get(key) for key in COMPONENT_SETTINGS]
    for key in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES"):
        paths += settings.getwithbase(key)
    paths += settings.getwithbase("DOWNLOAD_HANDLERS").values()  # scheme -> handler: the values
    for path in paths:
        if isinstance(path, str):
            with contextlib.suppress(Exception):  # an optional component missing is the child's business
                load_object(path)
    for module in settings.getlist("SPIDER_MODULES"):
        with contextlib.suppress(Exception):
            list(walk_modules_iter(module))
    _warm_caches()
    # sqlite-utils finds its plugins (entry points: a scan of every installed distribution) when a
    # process makes its first Database; done here, no run pays it
    from sqlite_utils.plugins import ensure_plugins_loaded

    ensure_plugins_loaded()
    import gc

    gc.collect()
    gc.freeze()  # the children's collections then leave these objects' pages alone (copy-on-write)
    if "twisted.internet.reactor" in sys.modules:
        raise RuntimeError(
            "a preloaded module installed a Twisted reactor; children could not install theirs"
        )


_SAMPLE = (
    '<html><head><meta name="ArticleTitle" content="示例"><meta name="PubDate" content="2026-11-30 09:00">'
    '</head><body><ul><li><a href="/art/2026/11/30/art_1_1.html">示例新闻标题一</a></li>'
    '<li><a href="/art/2026/11/30/art_1_2.html">示例新闻标题二</a></li></ul><div class="content">'
    "<p>会议指出，要深入推进各项工作，确保任务落地见效。发布时间：2026-11-30 来源：示例</p></div></body></html>"
)


def _warm_caches() -> None:
    """Fill per-process caches a run would otherwise fill each time (the children inherit them): Scrapy's
    check of each callback's source for `return` in a generator (it parses the source), compiled regexes
    and lazy tables of extraction and link discovery, time-zone data."""
    with contextlib.suppress(Exception):
        from scrapy.utils.misc import warn_on_generator_with_return_value

        from spiders.site import SiteSpider

        spider = SiteSpider.__new__(SiteSpider)
        for name in dir(SiteSpider):
            if name.startswith(("parse", "start")) and callable(getattr(SiteSpider, name, None)):
                warn_on_generator_with_return_value(spider, getattr(SiteSpider, name))
    with contextlib.suppress(Exception):
        from crawler import discovery
        from crawler.extract import extract_article

        url = "http://127.0.0.1/art/2026/11/30/art_1_1.html"
        extract_article(_SAMPLE.encode(), url)
        discovery.article_links(_SAMPLE, "http://127.0.0.1/col/col1/index.html", ["127.0.0.1"])
    with contextlib.suppress(Exception):
        from storage.store_time import iso_utc

        iso_utc()
    codecs.lookup("utf-8-sig")  # the codec robots.txt bodies are decoded with


def _send(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _child(job: dict[str, Any]) -> None:
    """In the forked child: own session, log as stdout/stderr, memory cap, then `scrapy crawl`. Never returns."""
    code = 1
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(job.get("log") or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.closerange(3, 4096)  # the protocol pipe, the selector: nothing of the parent's leaks into a run
        max_mb = int(job.get("max_mb") or 0)
        if max_mb:
            # a leaking run hits MemoryError (or is killed) alone instead of growing without bound
            resource.setrlimit(resource.RLIMIT_AS, (max_mb * 2**20, max_mb * 2**20))
        from scrapy.crawler import CrawlerProcess

        # as scrapy.commands.crawl does, minus finding the command: settings at command-line priority
        settings = _SETTINGS
        settings.setdict(job.get("settings") or {}, priority="cmdline")
        process = CrawlerProcess(settings)
        process.crawl("site", **(job.get("args") or {}))
        process.start()
        code = 1 if process.bootstrap_failed else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _reap(children: dict[int, Any]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        job_id = children.pop(pid, None)
        if job_id is not None:
            _send({"id": job_id, "exit": os.waitstatus_to_exitcode(status)})


def serve() -> int:
    """Preload, then fork one child per job line until stdin ends and the children are gone."""
    preload()
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    os.set_blocking(read_end, False)
    signal.set_wakeup_fd(write_end)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through the wakeup fd
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the scheduler stops runs by their groups, not us
    sel = selectors.DefaultSelector()
    stdin = sys.stdin.buffer
    sel.register(stdin.fileno(), selectors.EVENT_READ, "in")
    sel.register(read_end, selectors.EVENT_READ, "sig")
    children: dict[int, Any] = {}
    pending = b""
    open_input = True
    _send({"ready": True, "pid": os.getpid()})
    while open_input or children:
        for key, _ in sel.select(timeout=1.0):
            if key.data == "sig":
                with contextlib.suppress(BlockingIOError):
                    os.read(read_end, 4096)
                continue
            chunk = os.read(stdin.fileno(), 65536)
            if not chunk:
                open_input = False
                sel.unregister(stdin.fileno())
                continue
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    _start(json.loads(line), children)
        _reap(children)
    return 0


def _start(job: dict[str, Any], children: dict[int, Any]) -> None:
    sites_path = (job.get("args") or {}).get("sites")
    if sites_path:
        # read (and remember) the config's watches once here; every child forked from now inherits them
        with contextlib.suppress(Exception):  # a bad file is the run's to report, not this worker's
            from crawler.watchconfig import load_watches

            load_watches(sites_path)
    try:
        pid = os.fork()
    except OSError as exc:
        _send({"id": job.get("id"), "error": f"fork failed: {exc}"})
        return
    if pid == 0:
        _child(job)
    children[pid] = job.get("id")
    _send({"id": job.get("id"), "pid": pid})


if __name__ == "__main__":
    sys.exit(serve())
