"""`newsmon extract`: run the article extractor on saved pages or URLs, printing JSON Lines."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("pages", nargs=-1, required=True)
@click.option("--url", default=None, help="The address a saved FILE was fetched from (for links and dates).")
def extract(pages: tuple[str, ...], url: str | None) -> None:
    """Extract title, publish time, source, author, body… from saved pages or URLs, one JSON object each.

    Use it to debug a site without crawling it.

    Example: newsmon extract saved.html --url http://www.changchun.gov.cn/zw/202311/t20231128_1.html
    """
    from crawler.extract.cli import run_extract

    raise SystemExit(run_extract(list(pages), url, sys.stdout))


COMMANDS = [extract]
