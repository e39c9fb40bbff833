"""`newsmon serve` (datasette), `newsmon search` (full text) and `newsmon stats` (counts)."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import logging
import socket
from pathlib import Path
from typing import Any

import click

from crawler.commands.common import db_option, friendly_errors, pad, require_db, rpad
from storage.db import StorageError, connect, open_db

logger = logging.getLogger(__name__)

SETTINGS = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "max_returned_rows": 1000,
    "allow_download": False,
    "suggest_facets": False,
}


def _ready_db(db_path: str) -> None:
    """Refuse a missing file (serving must not create an empty database) and apply pending migrations."""
    if not Path(db_path).is_file():
        raise StorageError(f"{db_path}: no such database (crawl first, or pass --db)")
    open_db(db_path).conn.close()


async def _get(ds: Any, path: str) -> tuple[int, str]:
    await ds.invoke_startup()
    response = await ds.client.get(path)
    return response.status_code, response.text


def build_datasette(db_path: str, *, settings: dict[str, Any] | None = None, allow_sql: bool = True) -> Any:
    """A Datasette instance over one newsmon database: mutable (read while crawls write), with metadata."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from storage import datasette_plugin
    from storage.datasette_meta import build_metadata

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="newsmon")
    name = Path(db_path).stem
    combined = {**SETTINGS, "allow_sql": allow_sql, **(settings or {})}
    # files= (not immutables=): datasette opens it read-only (mode=ro), never immutable, so rows written
    # by a running crawl show up; it has no write path unless a plugin adds one.
    ds = Datasette([db_path], metadata=build_metadata(name), settings=combined)
    from storage.datasette_db import QuotedPathDatabase

    route = ds.databases[name].route
    ds.remove_database(name)  # the same file, opened through a quoted URI ('%41.db' is not 'A.db')
    ds.add_database(QuotedPathDatabase(ds, path=db_path, is_mutable=True), name=name, route=route)
    return ds


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option(
    "--page-size", default=SETTINGS["default_page_size"], show_default=True, type=click.IntRange(1, 1000)
)
@click.option(
    "--sql-time-limit-ms", default=SETTINGS["sql_time_limit_ms"], show_default=True, type=click.IntRange(10)
)
@click.option("--no-sql", is_flag=True, help="Disable custom SQL (canned queries and the UI stay available).")
@click.option("--get", "get_path", metavar="PATH", help="Print the response for PATH and exit (no server).")
@friendly_errors
def serve(
    db_path: str,
    host: str,
    port: int,
    page_size: int,
    sql_time_limit_ms: int,
    no_sql: bool,
    get_path: str | None,
) -> None:
    """Browse the database in datasette: stories, articles, facets, canned queries, Chinese search.

    Read-only: datasette opens the file with mode=ro, so a crawl can write while you browse, and custom SQL
    can only read. Binds 127.0.0.1 unless --host says otherwise.

    Example: newsmon serve --db news.db --port 8001
    """
    _ready_db(db_path)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        click.echo(f"Warning: serving on {host}: anyone who can reach it can read the database.", err=True)
    ds = build_datasette(
        db_path,
        settings={"default_page_size": page_size, "sql_time_limit_ms": sql_time_limit_ms},
        allow_sql=not no_sql,
    )
    if get_path is not None:
        status, text = asyncio.run(_get(ds, get_path))
        click.echo(text)
        raise SystemExit(0 if status == 200 else 1)
    asyncio.run(ds.invoke_startup())
    import uvicorn

    sock = _bind(host, port)  # a busy port stops here, before "serving on" is printed
    shown = sock.getsockname()[1]
    click.echo(f"newsmon: serving {db_path} on http://{host}:{shown}/ (Ctrl-C to stop)", err=True)
    config = uvicorn.Config(ds.app(), log_level="warning", lifespan="on", workers=1)
    uvicorn.Server(config).run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a clear error naming the address (in use, not local, …)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        busy = exc.errno == errno.EADDRINUSE
        hint = " (is another newsmon serve running? pick another with --port)" if busy else ""
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from exc
    sock.set_inheritable(True)
    return sock


@click.command()
@click.argument("query", required=False)
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1), help="Most results.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--rebuild", is_flag=True, help="Rebuild the full-text index from the articles first.")
@friendly_errors
def search(query: str | None, db_path: str, limit: int, as_json: bool, rebuild: bool) -> None:
    """Full-text search over titles and bodies, newest first; two-character words work (长春, 振兴).

    Words separated by spaces must all occur; a longer word matches as an exact phrase.

    Example: newsmon search "乡村振兴 长春" --db news.db --limit 10
    """
    from storage import search as fts

    require_db(db_path)
    db = open_db(db_path)
    try:
        if rebuild:
            n = fts.rebuild(db)
            click.echo(f"indexed {n} article(s)", err=True)
        if query is None:
            if not rebuild:
                raise click.UsageError("give a QUERY (or --rebuild)")
            return
        rows = fts.search(db, query, limit=limit)
    finally:
        db.conn.close()
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"{(r['published_at'] or '')[:16]:<16}  {pad(r['site'] or '', 16)} {r['copies']:>3}x  "
            f"#{r['id']:<7} {r['title']}"
        )
    click.echo(f"{len(rows)} result(s)" + (" (limit reached)" if len(rows) == limit else ""), err=True)


def collect_stats(db_path: str, days: int = 14, top: int = 10) -> dict[str, Any]:
    """Counts of articles, stories and sites; articles per publish day; top sources."""
    db = connect(db_path, readonly=True)
    conn = db.conn
    try:

        def one(sql: str, *params: Any) -> Any:
            return conn.execute(sql, params).fetchone()[0]

        out: dict[str, Any] = {
            "articles": one("SELECT count(*) FROM articles"),
            "originals": one("SELECT count(*) FROM articles WHERE duplicate_of IS NULL"),
            "exact_copies": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            "stories": one("SELECT count(*) FROM stories"),
            "stories_with_copies": one("SELECT count(*) FROM stories WHERE size > 1"),
            "sites": one("SELECT count(*) FROM sites"),
            "sites_with_articles": one("SELECT count(DISTINCT site) FROM articles"),
            "runs": one("SELECT count(*) FROM runs"),
            "failures": one("SELECT count(*) FROM failures"),
            "first_published": one("SELECT min(published_at) FROM articles"),
            "last_published": one("SELECT max(published_at) FROM articles"),
        }
        out["per_day"] = [
            {"day": d, "articles": a, "stories": s}
            for d, a, s in conn.execute(
                "SELECT substr(published_at, 1, 10) AS day, count(*), count(DISTINCT story_id) FROM articles "
                "WHERE published_at IS NOT NULL GROUP BY day ORDER BY day DESC LIMIT ?",
                (days,),
            )
        ]
        out["top_sources"] = [
            {"source": src, "articles": n}
            for src, n in conn.execute(
                "SELECT source, count(*) AS n FROM articles WHERE coalesce(source, '') != '' "
                "GROUP BY source ORDER BY n DESC, source LIMIT ?",
                (top,),
            )
        ]
        out["top_sites"] = [
            {"site": site, "articles": n}
            for site, n in conn.execute(
                "SELECT site, count(*) AS n FROM articles GROUP BY site ORDER BY n DESC, site LIMIT ?", (top,)
            )
        ]
    finally:
        conn.close()
    return out


@click.command()
@db_option
@click.option("--days", default=14, show_default=True, type=click.IntRange(1), help="Publish days to list.")
@click.option(
    "--top", default=10, show_default=True, type=click.IntRange(1), help="Sources and sites to list."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def stats(db_path: str, days: int, top: int, as_json: bool) -> None:
    """Articles, stories, sites, articles per publish day and top sources.

    Example: newsmon stats --db news.db --days 7 --json
    """
    _ready_db(db_path)
    s = collect_stats(db_path, days=days, top=top)
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=2))
        return
    w = 22
    for key in ("articles", "originals", "exact_copies", "stories", "stories_with_copies", "sites",
                "sites_with_articles", "runs", "failures", "first_published", "last_published"):  # fmt: skip
        click.echo(f"{key.replace('_', ' '):<{w}} {s[key] if s[key] is not None else '-'}")
    click.echo(f"\n{'day':<12} {'articles':>9} {'stories':>8}")
    for r in s["per_day"]:
        click.echo(f"{r['day']:<12} {r['articles']:>9} {r['stories']:>8}")
    click.echo(f"\n{pad('top sources', 30)} {rpad('articles', 9)}")
    for r in s["top_sources"]:
        click.echo(f"{pad(r['source'], 30)} {rpad(str(r['articles']), 9)}")
    click.echo(f"\n{pad('top sites', 30)} {rpad('articles', 9)}")
    for r in s["top_sites"]:
        click.echo(f"{pad(r['site'], 30)} {rpad(str(r['articles']), 9)}")


COMMANDS = [serve, search, stats]
