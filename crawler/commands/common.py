"""Option bundles and error handling shared by newsmon commands."""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "news.db"
DEFAULT_SITES = "sites.toml"


def db_option(fn: F) -> F:
    """--db PATH, defaulting to $NEWSMON_DB or news.db."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=lambda: os.environ.get("NEWSMON_DB", DEFAULT_DB),
        show_default="$NEWSMON_DB or news.db",
        help="SQLite database file.",
    )(fn)


def sites_option(fn: F) -> F:
    """--sites FILE, defaulting to $NEWSMON_SITES or sites.toml."""
    return click.option(
        "--sites",
        "sites_path",
        type=click.Path(dir_okay=False),
        default=lambda: os.environ.get("NEWSMON_SITES", DEFAULT_SITES),
        show_default="$NEWSMON_SITES or sites.toml",
        help="Site configuration (TOML).",
    )(fn)


def _parse_settings(ctx: click.Context, param: click.Parameter, pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expects NAME=VALUE, got {pair!r}", ctx, param)
        out[key] = value
    return out


def settings_option(fn: F) -> F:
    """-s/--set NAME=VALUE (repeatable): extra Scrapy settings, handed to the command as a dict."""
    return click.option(
        "-s",
        "--set",
        "settings",
        multiple=True,
        metavar="NAME=VALUE",
        callback=_parse_settings,
        help="Extra Scrapy setting (repeatable).",
    )(fn)


def friendly_errors(fn: F) -> F:
    """Turn config and storage errors into a clean message and exit code 2 (config) or 1 (storage)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from crawler.sites import ConfigError
        from storage.db import StorageError

        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            raise SystemExit(2) from exc
        except StorageError as exc:
            click.echo(f"Error: {exc}", err=True)
            raise SystemExit(1) from exc

    return wrapper  # type: ignore[return-value]


def ready_db(db_path: str) -> None:
    """Refuse a missing file (reading must not create an empty database) and apply pending migrations."""
    from storage.db import open_db

    require_db(db_path)
    open_db(db_path).conn.close()


def require_db(db_path: str) -> None:
    """Stop with a clear error when the database file does not exist (reading must not create one)."""
    from storage.db import StorageError

    if not Path(db_path).is_file():
        raise StorageError(
            f"{db_path}: no such database (crawl first with `newsmon crawl`, or pass --db / set $NEWSMON_DB)"
        )


def check_sites(conn: sqlite3.Connection, names: Iterable[str]) -> None:
    """A --site filter naming no site of this database is a usage error listing the sites it has."""
    from storage.lookup import known_sites, unknown_sites

    names = [n for n in names if n]
    missing = unknown_sites(conn, names)
    if missing:
        known = sorted(known_sites(conn))
        shown = ", ".join(known[:12]) + (f", … ({len(known)} in all)" if len(known) > 12 else "")
        raise click.BadParameter(
            f"no site named {', '.join(map(repr, missing))} in this database "
            f"(sites: {shown or 'none yet'}; `newsmon sites` lists the configured ones)",
            param_hint="--site",
        )


def pad(text: str, width: int) -> str:
    """Pad or cut text to a terminal display width (a CJK character takes two columns)."""
    from rich.cells import cell_len, set_cell_size

    return set_cell_size(text, width) if cell_len(text) != width else text


def rpad(text: str, width: int) -> str:
    """Right-align text to a terminal display width."""
    from rich.cells import cell_len

    return " " * max(0, width - cell_len(text)) + text


def newsmon_command() -> str:
    """How to run newsmon from this shell: `newsmon` when it is on PATH, else the path of this one
    (.venv/bin/newsmon after `python3 dev.py demo`), so printed hints work as written."""
    here = Path(sys.executable).parent / "newsmon"
    found = shutil.which("newsmon")
    if found and (not here.exists() or Path(found).resolve() == here.resolve()):
        return "newsmon"
    if not here.exists():
        return "newsmon"
    try:
        return str(here.relative_to(Path.cwd()))
    except ValueError:
        return str(here)
