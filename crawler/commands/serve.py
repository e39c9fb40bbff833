"""`newsmon serve`: datasette over a newsmon database, with newsmon's metadata and plugin."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from pathlib import Path
from typing import Any

import click

from crawler.commands.common import db_option, friendly_errors, ready_db

logger = logging.getLogger(__name__)

SETTINGS = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "max_returned_rows": 1000,
    "allow_download": False,
    "suggest_facets": False,
    "default_facet_size": 6,  # facets stay short, so the first rows are on the first screen
    "truncate_cells_html": 160,  # a body column must not make one row a screen tall
}


async def _get(ds: Any, path: str) -> tuple[int, str]:
    await ds.invoke_startup()
    response = await ds.client.get(path)
    return response.status_code, response.text


def build_datasette(db_path: str, *, settings: dict[str, Any] | None = None, allow_sql: bool = True) -> Any:
    """A Datasette instance over one newsmon database: mutable (read while crawls write), with metadata."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from storage import datasette_plugin, desk
    from storage.datasette_meta import build_metadata, only_real_columns
    from storage.reads import table_columns

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="newsmon")
    if not pm.is_registered(desk):
        pm.register(desk, name="newsmon_desk")
    from storage import datasette_guard

    if not pm.is_registered(datasette_guard):
        pm.register(datasette_guard, name="newsmon_guard")
    name = Path(db_path).stem
    combined = {**SETTINGS, "allow_sql": allow_sql, **(settings or {})}
    # files= (not immutables=): datasette opens it read-only (mode=ro), never immutable, so rows written
    # by a running crawl show up; it has no write path unless a plugin adds one.
    metadata = only_real_columns(build_metadata(name), table_columns(db_path))
    ds = Datasette([db_path], metadata=metadata, settings=combined)
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
    ready_db(db_path)
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
    app = ds.app()
    if loopback:  # DNS rebinding: a page of another name resolved to 127.0.0.1 must not read the database
        from storage.datasette_guard import host_guard, loopback_hosts

        app = host_guard(app, loopback_hosts(shown))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", workers=1)
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


COMMANDS = [serve]
