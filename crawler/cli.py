"""The `newsmon` command line: a thin click group over the crawler, storage and scheduler."""

from __future__ import annotations

import importlib
import logging
import sys

import click

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="newsmon")
def main(verbose: int) -> None:
    """newsmon: monitor Chinese government news sites into SQLite.

    Example: newsmon crawl --sites sites.toml --all --db news.db
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


# every sub-command module exposes COMMANDS; one list, imported by name, so a new module is added once
COMMAND_MODULES = (
    "changes", "crawl", "demo", "export", "extract", "health", "runs", "scaleout",
    "schedule", "search", "serve", "sites", "stats", "stories", "watch",
)  # fmt: skip


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"crawler.commands.{name}")
        for cmd in module.COMMANDS:
            main.add_command(cmd)


_register()

if __name__ == "__main__":
    main()
