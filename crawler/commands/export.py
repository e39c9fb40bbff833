"""`newsmon export`: stories (one row each) or every copy, as CSV, JSON Lines, JSON or XLSX, streamed."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import click

from crawler.commands.common import check_sites, db_option, friendly_errors
from storage import changes as versions_log
from storage import export as exports
from storage.db import StorageError, connect, open_db
from storage.export import COPY_FIELDS, FIELDS, STORY_FIELDS, BadTimeBound

FORMATS = ("csv", "jsonl", "json", "xlsx")
XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's sheet limit, minus the header
XLSX_MAX_CELL = 32_767  # Excel's cell text limit

# column widths (in characters) for the spreadsheet; CJK titles need room, ids little
XLSX_WIDTHS = {"title": 48, "body_text": 60, "url": 40, "site_title": 20, "region": 16, "source": 18,
               "claimed_origin": 18, "copy_sites": 24, "published_at": 20, "first_published_at": 20,
               "fetched_at": 20, "column_name": 14, "story_id": 9, "article_id": 10, "copies": 7}  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula (= + - @, tab, CR) with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(out: IO[str], fields: Sequence[str], rows: Iterator[tuple]) -> int:
    """CSV with a header row; formula-like text escaped."""
    writer = csv.writer(out)
    writer.writerow(fields)
    n = 0
    for row in rows:
        writer.writerow([escape_formula(v) for v in row])
        n += 1
    return n


def write_jsonl(out: IO[str], fields: Sequence[str], rows: Iterator[tuple]) -> int:
    """One JSON object per line."""
    n = 0
    for row in rows:
        out.write(json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False) + "\n")
        n += 1
    return n


def write_json(out: IO[str], fields: Sequence[str], rows: Iterator[tuple]) -> int:
    """A JSON array of objects, written row by row."""
    n = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if n else "\n")
        out.write(json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def write_xlsx(path: str, fields: Sequence[str], rows: Iterator[tuple]) -> int:
    """XLSX through openpyxl's write-only mode (rows go to a temporary file, not memory)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("newsmon")
    ws.freeze_panes = "A2"  # the header stays in view while scrolling
    for i, name in enumerate(fields, 1):
        ws.column_dimensions[get_column_letter(i)].width = XLSX_WIDTHS.get(name, 14)
    ws.append(list(fields))
    n = truncated = 0
    for row in rows:
        if n >= XLSX_MAX_ROWS:
            raise click.ClickException(f"more than {XLSX_MAX_ROWS:,} rows do not fit in one sheet; use csv")
        cells = []
        for v in row:
            if isinstance(v, str):
                v = _ILLEGAL_XML.sub("", v)
                if len(v) > XLSX_MAX_CELL:
                    v = v[:XLSX_MAX_CELL]
                    truncated += 1
                v = escape_formula(v)
            cells.append(v)
        ws.append(cells)
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(fields), 1))}{n + 1}"
    wb.save(path)
    if truncated:
        click.echo(f"Warning: {truncated} cell(s) cut to Excel's {XLSX_MAX_CELL:,} characters", err=True)
    return n


def _check_output(output: str, force: bool) -> Path:
    """The output path, refusing directories, odd characters and (without --force) existing files."""
    if any(ord(ch) < 32 for ch in output):
        raise click.BadParameter("control characters in the file name", param_hint="-o")
    path = Path(output)
    if path.is_dir():
        raise click.BadParameter(f"{output} is a directory", param_hint="-o")
    if path.exists() and not path.is_file():
        raise click.BadParameter(
            f"{output} is not a regular file (a device, pipe or socket)", param_hint="-o"
        )
    if path.exists() and not force:
        raise click.BadParameter(f"{output} exists (use --force to replace it)", param_hint="-o")
    if not path.resolve().parent.is_dir():
        raise click.BadParameter(f"folder of {output} does not exist", param_hint="-o")
    return path


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[str]:
    """A temporary file next to `path`, renamed onto it only when writing succeeded."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.resolve().parent)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an export is a normal file of the user
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    """The process umask (reading it means setting it; put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _parse_fields(value: str | None, all_copies: bool) -> list[str]:
    if not value:
        return list(COPY_FIELDS if all_copies else STORY_FIELDS)
    fields = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in fields if f not in FIELDS]
    if unknown or not fields:
        raise click.BadParameter(
            f"unknown field(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(FIELDS)}",
            param_hint="--fields",
        )
    return fields


@click.command()
@db_option
@click.option(
    "-f", "--format", "fmt", type=click.Choice(FORMATS), help="Output format [default: from -o, else csv]."
)
@click.option(
    "-o", "--output", default="-", show_default=True, help="Output file; - is stdout (not for xlsx)."
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--bom", is_flag=True, help="CSV: start with a UTF-8 byte order mark, so Excel reads Chinese right."
)
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option("--region", help="Only sites in this region or below it (吉林省 matches 吉林省/长春市).")
@click.option("--since", help="Published on or after this date or ISO time.")
@click.option("--until", help="Published on or before this date (whole day) or ISO time.")
@click.option("--query", help="Full-text query over title and body (as in `newsmon search`).")
@click.option("--story", type=int, help="Only this story.")
@click.option("--all-copies", is_flag=True, help="Every copy of every story instead of one row per story.")
@click.option("--fields", help=f"Comma-separated columns to export, from: {', '.join(FIELDS)}.")
@click.option(
    "--versions",
    is_flag=True,
    help="Previous versions of edited articles (old fields, diff, story before/after) instead of stories; "
    "--since then means seen on or after.",
)
@friendly_errors
def export(
    db_path: str,
    fmt: str | None,
    output: str,
    force: bool,
    bom: bool,
    sites: tuple[str, ...],
    region: str | None,
    since: str | None,
    until: str | None,
    query: str | None,
    story: int | None,
    all_copies: bool,
    fields: str | None,
    versions: bool = False,
) -> None:
    """Export stories (one row each: first publisher, number of copies) or, with --all-copies, every copy.

    Filters combine (AND); in story mode a story is kept when any of its copies matches. Rows are streamed,
    newest first; text starting with = + - @ is escaped in CSV and XLSX so spreadsheets never run it.

    Example: newsmon export --db news.db --region 吉林省 --since 2023-11-01 --bom -o stories.csv
    """
    suffix = Path(output).suffix.lower().lstrip(".")
    if fmt is None:
        fmt = suffix if output != "-" and suffix in FORMATS else "csv"
    elif output != "-" and suffix in FORMATS and suffix != fmt:
        raise click.BadParameter(
            f"-f {fmt} would write {fmt.upper()} into a file named .{suffix}; name it .{fmt} or drop -f",
            param_hint="-o",
        )
    if fmt == "xlsx" and output == "-":
        raise click.BadParameter("xlsx needs a file: -o stories.xlsx", param_hint="-o")
    if bom and fmt != "csv":
        raise click.BadParameter("--bom is for csv", param_hint="--bom")
    if versions:
        columns, sql, params = _versions_query(
            since, sites, all_copies or region or until or query or story or fields
        )
    else:
        columns = _parse_fields(fields, all_copies)
        try:
            sql, params = exports.build_query(
                fields=columns, all_copies=all_copies, sites=sites, region=region, since=since, until=until,
                query=query, story=story,
            )  # fmt: skip
        except BadTimeBound as exc:
            raise click.BadParameter(str(exc)) from exc
    if not Path(db_path).is_file():
        raise StorageError(f"{db_path}: no such database")
    ready = open_db(db_path)  # apply pending migrations (the full-text index) before reading
    try:
        check_sites(ready.conn, sites)
    finally:
        ready.conn.close()
    path = None if output == "-" else _check_output(output, force)
    db = connect(db_path, readonly=True)
    try:
        rows = exports.iter_rows(db.conn, sql, params)
        writer = {"csv": write_csv, "jsonl": write_jsonl, "json": write_json}.get(fmt)
        if path is None:
            assert writer is not None
            out = sys.stdout
            if bom:
                out.write("\ufeff")
            n = writer(out, columns, rows)
            out.flush()
        else:
            with _atomic(path) as tmp:
                if writer is None:
                    n = write_xlsx(tmp, columns, rows)
                else:
                    with open(tmp, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
                        n = writer(fh, columns, rows)
    finally:
        db.conn.close()
    click.echo(f"exported {n} row(s)" + (f" to {output}" if path else ""), err=True)


def _versions_query(since: str | None, sites: tuple[str, ...], others: object) -> tuple[list[str], str, list]:
    """Columns, SQL and parameters of `export --versions` (only --site and --since combine with it)."""
    if others:
        raise click.BadParameter("combines only with --site and --since", param_hint="--versions")
    try:
        bound = exports.time_bound(since, upper=False) if since else None
    except BadTimeBound as exc:
        raise click.BadParameter(str(exc)) from exc
    sql, params = versions_log.version_query(bound[1] if bound else None, sites)
    return list(versions_log.VERSION_FIELDS), sql, params


COMMANDS = [export]
