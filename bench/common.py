"""What the benchmarks share: the project on sys.path, fast local crawl settings, a demo crawl, the machine.

Import it first in a bench script, before any project import:

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.common import ...
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A script run as `python bench/x.py` has bench/ first on sys.path, where bench/incremental.py would shadow
# the `incremental` package that Twisted imports; the project root replaces it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawler.commands.demo import DEMO_SETTINGS  # noqa: E402
from crawler.runner import CrawlJob, run_crawls  # noqa: E402
from crawler.sites import load_sites  # noqa: E402

# the demo's own fast local settings, with more requests at once and no retries
FAST: dict[str, str | int | float] = {
    **DEMO_SETTINGS,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_TIMES": 0,
    "TELNETCONSOLE_ENABLED": "False",
}


def crawl_all(
    config: Path, db: Path, settings: Mapping[str, str | int | float] = FAST, parallel: int = 0
) -> float:
    """Seconds for one run of every site in `config` into `db`, one process per site as `newsmon crawl`."""
    jobs = [CrawlJob(s, str(db), str(config), dict(settings)) for s in load_sites(config)]
    t0 = time.perf_counter()
    run_crawls(jobs, parallel=parallel or os.cpu_count() or 2)
    return time.perf_counter() - t0


def machine() -> str:
    """One line naming the machine the figures come from."""
    return f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
