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
from typing import IO, Any

from crawler.runner import crawl_env
from crawler.sites import Site

logger = logging.getLogger(__name__)


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
        """The enqueue-and-wait command for a site."""
        argv = [
            sys.executable,
            "-m",
            "crawler.cli",
            "enqueue",
            "--redis",
            self.redis_url,
            "--sites",
            self.sites_path,
        ]
        if self.prefix:
            argv += ["--prefix", self.prefix]
        if self.db_path:
            # a site still running in the cluster is then recorded as `skipped` (with this pid), not `crashed`
            argv += ["--record-skips", self.db_path]
        return [*argv, "--wait", site.name]

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
