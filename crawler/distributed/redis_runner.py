"""The scheduler's runner for cluster mode: a run is queued in Redis instead of crawled here. Imports no Scrapy.

`Scheduler` expects a subprocess per run; here it is `newsmon enqueue --wait`, which queues the site and
waits until the ingest writer has recorded the run's end. So the scheduler's rules hold unchanged: one run
per site at a time, the global limit, time limits (SIGTERM cancels the run in Redis), and the run row
(written by the ingest writer with this subprocess's pid and host) tells how it ended.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from crawler.runner import crawl_env
from crawler.sites import Site

logger = logging.getLogger(__name__)


def enqueue_argv(
    redis_url: str,
    sites_path: str | Path,
    names: Sequence[str] = (),
    *,
    wait: bool = False,
    prefix: str | None = None,
    record_skips: str | None = None,
) -> list[str]:
    """argv of `newsmon enqueue` for the named sites (all when none are named)."""
    argv = [sys.executable, "-m", "crawler.cli", "enqueue", "--redis", redis_url, "--sites", str(sites_path)]
    if prefix:
        argv += ["--prefix", prefix]
    if record_skips:
        argv += ["--record-skips", record_skips]
    if wait:
        argv.append("--wait")
    return argv + (list(names) or ["--all"])


class RedisRunner:
    """Starts `newsmon enqueue --wait SITE` for each due site."""

    def __init__(
        self,
        redis_url: str,
        sites_path: str,
        prefix: str | None = None,
        quiet: bool = True,
        db_path: str | None = None,
    ) -> None:
        self.db_path = db_path
        self.redis_url = redis_url
        self.sites_path = sites_path
        self.prefix = prefix
        self.quiet = quiet

    def argv(self, site: Site) -> list[str]:
        """The enqueue-and-wait command for a site; a site still running in the cluster is then recorded
        as `skipped` (with the waiter's pid), not `crashed`."""
        return enqueue_argv(
            self.redis_url,
            self.sites_path,
            [site.name],
            wait=True,
            prefix=self.prefix,
            record_skips=self.db_path,
        )

    def start(self, site: Site) -> subprocess.Popen[bytes]:
        """Queue the site's run; the returned process ends when the run is recorded."""
        out: IO[bytes] | int | None = subprocess.DEVNULL if self.quiet else None
        target: Any = out
        logger.info("queueing a cluster run of %s", site.name)
        return subprocess.Popen(
            self.argv(site),
            env=crawl_env(),
            stdin=subprocess.DEVNULL,
            stdout=target,
            stderr=target,
            start_new_session=True,
        )

    def close(self) -> None:
        """Nothing to release: each run is an `enqueue --wait` process of its own."""
