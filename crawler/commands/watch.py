"""`newsmon watch …`: keyword watches (add, list, remove, test), evaluation and notifications (run, hits)."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from crawler.commands.common import db_option, friendly_errors, sites_option
from crawler.sites import ConfigError
from crawler.watchconfig import describe, run_watches, sync_watches, watch_from_options
from storage import watch_hits
from storage import watches as store_watches
from storage.db import open_db
from storage.watch_targets import target_label


def _config_path(ctx: click.Context, sites_path: str) -> str | None:
    """The config file to sync watches from: the given one, or the default when it exists."""
    explicit = ctx.get_parameter_source("sites_path") not in (
        click.core.ParameterSource.DEFAULT,
        click.core.ParameterSource.DEFAULT_MAP,
    )
    if explicit or os.path.exists(sites_path):
        return sites_path
    return None


def _definition_options(fn: Any) -> Any:
    for decl, help_text in reversed([
        ("--all", "A word that must occur (repeatable)."),
        ("--any", "At least one of these words must occur (repeatable)."),
        ("--none", "A word that must not occur (repeatable)."),
        ("--site", "Only copies on this site (repeatable)."),
        ("--region", "Only copies on sites whose region starts with this, e.g. 吉林省 (repeatable)."),
    ]):  # fmt: skip
        dest = {"--all": "all_", "--any": "any_", "--none": "none_", "--site": "sites", "--region": "regions"}
        fn = click.option(decl, dest[decl], multiple=True, help=help_text)(fn)
    return click.option("--regex", help="A Python regular expression on title + body.")(fn)


@click.group(name="watch")
def watch_group() -> None:
    """Keyword watches: be told once when a new story matches, not again for its reposts.

    Watches come from [[watch]] tables in the site configuration (synced into the database) or from
    `newsmon watch add`. See docs/watches.md.

    Example: newsmon watch add 东北振兴 --all 振兴 --all 东北 --notify json://127.0.0.1:8080/hook
    """


@watch_group.command(name="add")
@click.argument("name")
@_definition_options
@click.option("--notify", multiple=True, help="Apprise URL to notify, e.g. json://host/path (repeatable).")
@click.option("--digest", help="Send at most one message per this period, e.g. 6h.")
@click.option("--max-age", help="Ignore stories first published longer ago than this, e.g. 7d.")
@click.option(
    "--on",
    "on",
    multiple=True,
    type=click.Choice(("new", "edited", "removed")),
    help="Alert on a new story (default), an edit or a removal of a matching one (repeatable).",
)
@click.option("--replace", is_flag=True, help="Replace a watch of the same name added before.")
@db_option
@friendly_errors
def add_cmd(name: str, all_: tuple[str, ...], any_: tuple[str, ...], none_: tuple[str, ...],
            sites: tuple[str, ...], regions: tuple[str, ...], regex: str | None, notify: tuple[str, ...],
            digest: str | None, max_age: str | None, on: tuple[str, ...], replace: bool,
            db_path: str) -> None:  # fmt: skip
    """Add a watch to the database; it alerts on stories stored from now on.

    Example: newsmon watch add 东北振兴 --all 振兴 --all 东北 --none 招聘 --digest 6h --notify json://127.0.0.1:8080/hook
    """
    watch = watch_from_options(name, all=all_, any=any_, none=none_, sites=sites, regions=regions,
                               regex=regex, notify=notify, digest=digest, max_age=max_age, on=on)  # fmt: skip
    db = open_db(db_path)
    old = store_watches.get_watch(db, name)
    if old is not None and old["source"] == "config":
        raise click.ClickException(f"watch {name!r} is defined in {old['config_path']}; edit it there")
    if old is not None and not replace:
        raise click.ClickException(f"watch {name!r} exists; use --replace to change it")
    store_watches.save_watch(db, watch, source="cli")
    click.echo(f"{'replaced' if old else 'added'} watch {name}: " + "; ".join(describe(watch)))


@watch_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of text.")
@db_option
@sites_option
@click.pass_context
@friendly_errors
def list_cmd(ctx: click.Context, as_json: bool, db_path: str, sites_path: str) -> None:
    """List watches (config file synced first) with their hit counts.

    Example: newsmon watch list --sites sites.toml --db news.db
    """
    db = open_db(db_path)
    sync_watches(db, _config_path(ctx, sites_path))
    counts = watch_hits.hit_counts(db)
    rows = store_watches.list_watches(db)
    for w in rows:
        hits = counts.get(w["name"], 0)
        if as_json:
            shown = w["watch"].definition()
            if shown.get("notify"):  # labels only: the URLs may hold tokens
                shown["notify"] = [target_label(u) for u in shown["notify"]]
            click.echo(json.dumps({"name": w["name"], "source": w["source"], "enabled": w["enabled"],
                                   "hits": hits, **shown}, ensure_ascii=False))  # fmt: skip
            continue
        state = "" if w["enabled"] else " (disabled)"
        click.echo(f"{w['name']}{state}  [{w['source']}, {hits} hits]")
        for line in describe(w["watch"]):
            click.echo(f"    {line}")
    if not rows and not as_json:
        click.echo("(no watches)")


@watch_group.command(name="remove")
@click.argument("name")
@db_option
@friendly_errors
def remove_cmd(name: str, db_path: str) -> None:
    """Remove a watch added with `watch add` (its hits stay recorded).

    Example: newsmon watch remove 东北振兴 --db news.db
    """
    db = open_db(db_path)
    old = store_watches.get_watch(db, name)
    if old is None:
        raise click.ClickException(f"no watch named {name!r}")
    if old["source"] == "config":
        raise click.ClickException(f"watch {name!r} is defined in {old['config_path']}; remove it there")
    store_watches.remove_watch(db, name)
    click.echo(f"removed watch {name}")


def parse_query(query: str) -> dict[str, list[str]]:
    """'振兴 东北 -招聘 政策|规划' -> all 振兴 东北, none 招聘, any 政策 规划."""
    out: dict[str, list[str]] = {"all": [], "any": [], "none": []}
    for word in query.split():
        if word.startswith("-") and len(word) > 1:
            out["none"].append(word[1:])
        elif "|" in word:
            if out["any"]:
                raise ConfigError(["command line: only one a|b group per query (use --any for more)"])
            out["any"].extend(w for w in word.split("|") if w)
        else:
            out["all"].append(word)
    return out


@watch_group.command(name="test")
@click.argument("query", required=False, default="")
@_definition_options
@click.option("--watch", "watch_name", help="Test a stored (or configured) watch instead of a query.")
@click.option("--limit", type=int, default=30, show_default=True, help="At most this many stories (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@db_option
@sites_option
@click.pass_context
@friendly_errors
def test_cmd(ctx: click.Context, query: str, all_: tuple[str, ...], any_: tuple[str, ...],
             none_: tuple[str, ...], sites: tuple[str, ...], regions: tuple[str, ...], regex: str | None,
             watch_name: str | None, limit: int, as_json: bool, db_path: str, sites_path: str) -> None:  # fmt: skip
    """Show which stored stories a query (or a watch) would match, newest first.

    QUERY: words that must all occur; -word must not occur; a|b means either (one group). A QUERY that
    is the name of a watch tests that watch (as --watch NAME does).
    Matching is the same as full-text search: Chinese words match anywhere, no segmentation.

    Example: newsmon watch test "振兴 东北 -招聘 政策|规划" --region 吉林省 --db news.db
    """
    db = open_db(db_path)
    if not watch_name and query and len(query.split()) == 1 and not (all_ or any_ or none_ or regex):
        sync_watches(db, _config_path(ctx, sites_path))
        if store_watches.get_watch(db, query) is not None:  # `watch test NAME` tests the watch NAME
            watch_name = query
            click.echo(f"testing watch {query!r} (use --all {query} to search for the word)", err=True)
    if watch_name:
        sync_watches(db, _config_path(ctx, sites_path))
        stored = store_watches.get_watch(db, watch_name)
        if stored is None:
            raise click.ClickException(f"no watch named {watch_name!r}")
        watch = stored["watch"]
    else:
        q = parse_query(query)
        watch = watch_from_options("test", all=[*q["all"], *all_], any=[*q["any"], *any_],
                                   none=[*q["none"], *none_], sites=sites, regions=regions,
                                   regex=regex)  # fmt: skip
    rows = store_watches.stories_matching(db, watch, limit=limit)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"story {r['story']:>6}  {r['copies'] or 1:>3} copies  {r['first_published_at'] or '-':25}  "
                   f"{r['first_site'] or '-':16}  [{'、'.join(r['matched'])}]  {r['title'] or ''}")  # fmt: skip
    click.echo(f"{len(rows)} stories match" + (f" (limit {limit})" if limit and len(rows) >= limit else ""))


@watch_group.command(name="run")
@click.option("--no-notify", is_flag=True, help="Only record hits; send nothing.")
@click.option("--retry-failed", is_flag=True, help="Try again deliveries that gave up after all attempts.")
@db_option
@sites_option
@click.pass_context
@friendly_errors
def run_cmd(ctx: click.Context, no_notify: bool, retry_failed: bool, db_path: str, sites_path: str) -> None:
    """Evaluate articles stored since the last run against the watches and send due notifications.

    Safe to run from cron or after every crawl: each article is evaluated once, each story alerts a
    watch once, and failed notifications are retried with backoff on later runs.

    Example: newsmon watch run --sites sites.toml --db news.db
    """
    db = open_db(db_path)
    out = run_watches(db, _config_path(ctx, sites_path), notify=not no_notify, retry_failed=retry_failed)
    click.echo(", ".join(f"{k}: {v}" for k, v in out.items()))


@watch_group.command(name="hits")
@click.option("--watch", "watch_name", help="Only this watch.")
@click.option("--limit", type=int, default=30, show_default=True, help="At most this many hits.")
@db_option
@friendly_errors
def hits_cmd(watch_name: str | None, limit: int, db_path: str) -> None:
    """List recorded hits, newest first, with the state of their notifications.

    Example: newsmon watch hits --watch 东北振兴 --db news.db
    """
    db = open_db(db_path)
    rows = watch_hits.recent_hits(db, watch_name, limit)
    for hit_id, created, watch, site, title, status in rows:
        click.echo(f"{hit_id:>5}  {created}  {watch}  {site}  {status or 'no notify'}  {title or ''}")
    if not rows:
        click.echo("(no hits)")


COMMANDS = [watch_group]
