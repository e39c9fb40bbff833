"""The second pass of `newsmon demo`: edit and take down demo articles, revisit, count what was found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.canonical import canonicalize_url
from crawler.runner import CrawlJob, run_crawls
from crawler.sites import Site
from storage import changes as change_log
from storage.db import connect
from storage.runs import run_stats_since
from storage.store_time import iso_utc

# Revisits are due an hour after an article is first seen: the second pass checks as if two hours had
# passed, with no budget (the budget has its own tests and bench/revisit.py), so every article is checked.
REVISIT_SETTINGS = {"NEWSMON_REVISIT_SHARE": "1"}


def second_pass(srv: Any, sites: Sequence[Site], db_path: str, config: str, settings: dict[str, Any],
                log_dir: str) -> dict[str, Any]:  # fmt: skip
    """Make the planned changes, crawl every site again and compare the changes found with those made."""
    started = iso_utc()
    made = srv.demo_changes()
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat(timespec="seconds")
    extra = {**settings, **REVISIT_SETTINGS, "NEWSMON_REVISIT_NOW": later}
    run_crawls([CrawlJob(s, db_path, config, extra) for s in sites], quiet=True, log_dir=log_dir)
    db = connect(db_path, readonly=True)
    try:
        edited, removed = change_log.changed_urls(db.conn, started)
        stats = run_stats_since(db.conn, started)
    finally:
        db.conn.close()
    want_edit = {canonicalize_url(m["url"]) for m in made if m["kind"] == "edit"}
    want_gone = {canonicalize_url(m["url"]) for m in made if m["kind"] == "removal"}
    return {
        "edits_made": len(want_edit),
        "edits_found": len(want_edit & edited),
        "removals_made": len(want_gone),
        "removals_found": len(want_gone & removed),
        "chrome_changes_made": sum(1 for m in made if m["kind"] == "chrome"),
        "false_edits": len(edited - want_edit),
        "false_removals": len(removed - want_gone),
        "revisits_done": sum(int(s.get("newsmon/revisits/done", 0)) for s in stats),
        "revisits_not_modified": sum(int(s.get("newsmon/revisits/not_modified", 0)) for s in stats),
        "revisit_details": {
            "edits_missed": sorted(want_edit - edited)[:20],
            "removals_missed": sorted(want_gone - removed)[:20],
            "false_edits": sorted(edited - want_edit)[:20],
            "false_removals": sorted(removed - want_gone)[:20],
            "made": made,
        },
    }


def revisits_ok(s: dict[str, Any]) -> bool:
    """Whether the second pass found exactly the changes made."""
    return (
        s["edits_found"] == s["edits_made"]
        and s["removals_found"] == s["removals_made"]
        and not s["false_edits"]
        and not s["false_removals"]
    )
