"""`newsmon demo`: start the offline demo sites, crawl them all once, compare with the ground truth."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from crawler.canonical import canonicalize_url
from crawler.commands.common import friendly_errors, newsmon_command
from crawler.commands.demo_revisits import revisits_ok, second_pass
from crawler.runner import CrawlJob, describe_exit, run_crawls
from crawler.sites import load_sites
from storage import reads
from storage.db import open_db

# The demo sites live on this machine: no need to be slow, but keep robots.txt and retries on.
DEMO_SETTINGS: dict[str, str | int | float] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "DOWNLOAD_TIMEOUT": 2,
    "RETRY_TIMES": 1,
    "LOG_LEVEL": "WARNING",
}
FAULT_KINDS = {"http": {"http"}, "timeout": {"timeout"}, "robots": {"robots"}, "blocked": {"blocked"}}


def _same_time(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return a == b
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return a == b


def compare_with_truth(db_path: str, truth: dict[str, Any]) -> dict[str, Any]:
    """Stored articles and failures against the demo's ground truth."""
    outcome = reads.crawl_outcome(db_path)
    stored, failures, runs = outcome["articles"], outcome["failures"], outcome["runs"]
    expected = {canonicalize_url(a["url"]): a for a in truth["articles"]}
    failed_kinds: dict[str, set[str]] = {}
    for url, kind in failures:
        failed_kinds.setdefault(canonicalize_url(url), set()).add(kind)
    # an article behind a deliberately slow response is expected to time out, not to be stored
    for fault in truth.get("faults", []):
        url = canonicalize_url(fault["url"])
        if fault["kind"] == "timeout" and "timeout" in failed_kinds.get(url, set()) and url not in stored:
            expected.pop(url, None)
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    wrong: list[dict[str, Any]] = []
    for url in sorted(set(expected) & set(stored)):
        want, got = expected[url], stored[url]
        for field in ("title", "source"):
            if (want.get(field) or None) != (got.get(field) or None):
                wrong.append(
                    {"url": url, "field": field, "expected": want.get(field), "stored": got.get(field)}
                )
        if not _same_time(want.get("published_at"), got.get("published_at")):
            wrong.append(
                {
                    "url": url,
                    "field": "published_at",
                    "expected": want.get("published_at"),
                    "stored": got.get("published_at"),
                }
            )
    faults_missed = []
    for fault in truth.get("faults", []):
        kinds = FAULT_KINDS.get(fault["kind"])
        if kinds is None:
            continue  # e.g. a redirect: checked through the article list instead
        if not kinds & failed_kinds.get(canonicalize_url(fault["url"]), set()):
            faults_missed.append(fault)
    return {
        "sites": len({a["site"] for a in truth["articles"]}),
        "articles_expected": len(expected),
        "articles_stored": len(stored),
        "missing": len(missing),
        "extra": len(extra),
        "fields_wrong": len(wrong),
        "failures": len(failures),
        "failures_by_kind": dict(Counter(k for _, k in failures)),
        "faults_expected": sum(1 for f in truth.get("faults", []) if f["kind"] in FAULT_KINDS),
        "faults_missed": len(faults_missed),
        "runs": dict(Counter(status for _, status, _ in runs)),
        "details": {
            "missing": missing[:20],
            "extra": extra[:20],
            "fields_wrong": wrong[:20],
            "faults_missed": faults_missed[:20],
            "runs_not_ok": [{"site": s, "status": st, "reason": r} for s, st, r in runs if st != "ok"],
        },
    }


def _prepare_db(db_path: str) -> None:
    """Start from an empty database, refusing to delete one that holds non-demo data."""
    path = Path(db_path)
    if path.exists():
        split = reads.site_hosts_split(path, "127.0.0.1")
        marker, others = split if split is not None else (0, 1)
        if others or not marker:
            raise click.ClickException(f"{db_path} exists and is not a demo database; choose another --db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    open_db(db_path).conn.close()


@click.command()
@click.option(
    "--db",
    "db_path",
    default="demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Database to create (a previous demo database is replaced).",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the simulated sites.")
@click.option(
    "--scale",
    default=1,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Articles per column multiplier.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--revisits/--no-revisits",
    default=True,
    show_default=True,
    help="Then edit and take down articles on the demo sites and show what a second pass finds.",
)
@friendly_errors
def demo(db_path: str, seed: int, scale: int, as_json: bool, revisits: bool = True) -> None:
    """Start the offline demo government sites on 127.0.0.1, crawl each once, and check the result.

    The summary compares the database with the demo's ground truth: articles expected, stored,
    missing, extra, fields wrong, and whether every injected fault was recorded as a failure. A second
    pass then edits some articles (body, title, 来源; and some page chrome only, which must not count),
    takes others down (404, 410, redirect home or to the list, soft-404, dropped from the list) and
    revisits: edits and removals found against those made.

    Example: newsmon demo --db demo.db --json
    """
    from crawler.browser import unavailable_reason
    from demo.server import DemoServer
    from demo.sources_check import compare_sources
    from demo.sources_sites import SourcesSites
    from demo.world import build_world

    _prepare_db(db_path)
    with tempfile.TemporaryDirectory(prefix="newsmon-demo-") as tmp:
        config = Path(tmp) / "demo-sites.toml"
        with DemoServer(build_world(seed=seed, scale=scale)) as srv, SourcesSites() as more:
            # the seven original sites, then the JSONP, attachment and challenge sites of #16
            config.write_text(srv.sites_toml() + more.sites_toml(), encoding="utf-8")
            sites = load_sites(config)
            if not as_json:
                click.echo(f"demo: {len(sites)} sites on 127.0.0.1, crawling into {db_path} …")
            jobs = [CrawlJob(s, db_path, str(config), DEMO_SETTINGS) for s in sites]
            results = run_crawls(jobs, quiet=True, log_dir=tmp)
            rendering = unavailable_reason() is None
            more_truth = more.truth()
            truth = srv.truth()
            # without a browser the challenge site's articles cannot be had: blocked, not expected
            truth["articles"] += [a for a in more_truth["articles"] if rendering or a["kind"] != "rendered"]
            # a crawl that died says why: the last error line of its log (read before tmp is removed)
            died = [
                {"site": r.site, "exit": describe_exit(r.returncode), "error": r.last_error()}
                for r in results
                if r.returncode != 0
            ]
            summary = compare_with_truth(db_path, truth)
            summary["crawls_died"] = died
            summary.update(compare_sources(db_path, more_truth, rendering))
            if revisits:
                if not as_json:
                    click.echo("second pass: articles edited and taken down, revisiting …")
                summary.update(second_pass(srv, sites, db_path, str(config), DEMO_SETTINGS, tmp))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary, db_path)
    for d in died:
        click.echo(f"error: crawl of {d['site']} died ({d['exit']}): {d['error'] or 'no output'}", err=True)
    ok = not (summary["missing"] or summary["extra"] or summary["fields_wrong"] or summary["faults_missed"])
    ok = ok and summary["attachments_text_ok"] == summary["attachments_expected"]
    ok = ok and (not revisits or revisits_ok(summary))
    raise SystemExit(0 if ok and not died else 1)


def _print_summary(s: dict[str, Any], db_path: str) -> None:
    click.echo(f"sites crawled      {s['sites']}")
    click.echo(f"articles expected  {s['articles_expected']}")
    click.echo(f"articles stored    {s['articles_stored']}")
    click.echo(f"missing / extra    {s['missing']} / {s['extra']}")
    click.echo(f"fields wrong       {s['fields_wrong']}")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(s["failures_by_kind"].items())) or "none"
    click.echo(f"failures recorded  {s['failures']} ({kinds})")
    click.echo(f"faults recorded    {s['faults_expected'] - s['faults_missed']} of {s['faults_expected']}")
    click.echo(f"runs               {', '.join(f'{k} {v}' for k, v in sorted(s['runs'].items()))}")
    if "api_articles_expected" in s:
        click.echo(f"api articles       {s['api_articles_stored']} of {s['api_articles_expected']}")
        click.echo(f"rendered articles  {s['rendered_articles_stored']} of {s['rendered_articles_expected']}"
                   f" (browser: {s['renderer']})")  # fmt: skip
        click.echo(f"attachment texts   {s['attachments_text_ok']} of {s['attachments_expected']} read "
                   f"(bigram F1 >= 0.95)")  # fmt: skip
    for key in ("missing", "extra", "fields_wrong", "faults_missed", "runs_not_ok"):
        for item in s["details"][key][:5]:
            click.echo(f"  {key}: {item}")
    if "edits_made" in s:
        click.echo(f"second pass        edits found {s['edits_found']} of {s['edits_made']}, "
                   f"removals found {s['removals_found']} of {s['removals_made']}, "
                   f"false edits {s['false_edits']} ({s['chrome_changes_made']} chrome-only changes), "
                   f"false removals {s['false_removals']}; {s['revisits_done']} revisits "
                   f"({s['revisits_not_modified']} answered 304)")  # fmt: skip
        for key in ("edits_missed", "removals_missed", "false_edits", "false_removals"):
            for url in s["revisit_details"][key][:5]:
                click.echo(f"  {key}: {url}")
    nm = newsmon_command()
    click.echo(f"browse: {nm} serve --db {db_path}   export: {nm} export --db {db_path} -o stories.csv")


COMMANDS = [demo]
