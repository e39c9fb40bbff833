"""The `newsmon` command line: a thin click group over the crawler, storage and scheduler."""

from __future__ import annotations

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


def _register() -> None:
    from crawler.commands import (
        changes,
        crawl,
        demo,
        export,
        extract,
        scaleout,
        schedule,
        search,
        serve,
        sites,
        stats,
        stories,
        watch,
    )

    for module in (
        crawl,
        changes,
        demo,
        export,
        extract,
        schedule,
        search,
        serve,
        sites,
        stats,
        stories,
        watch,
        scaleout,
    ):
        for cmd in module.COMMANDS:
            main.add_command(cmd)


_register()

if __name__ == "__main__":
    main()
