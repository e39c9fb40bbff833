"""Option bundles and error handling shared by newsmon commands."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
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
