"""`newsmon export`: every format and filter through CliRunner, round trips, formula escaping, output safety."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.commands.export import escape_formula
from storage.export import FIELDS, build_query
from tests.helpers import ARTICLES, ZX_BODY, make_db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_db(tmp_path_factory.mktemp("export") / "news.db")


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def unescape(v: str) -> str:
    return v[1:] if v.startswith("'") and v[1:].startswith(("=", "+", "-", "@")) else v


def test_default_is_one_row_per_story_with_copies_and_first_publisher(db: Path) -> None:
    rows = [json.loads(line) for line in run("export", "--db", str(db), "-f", "jsonl").splitlines()]
    assert len(rows) == 4  # three copies of one story collapse into one row
    zx = next(r for r in rows if "乡村振兴" in r["title"])
    assert zx["site"] == "gov-cn" and zx["copies"] == 3 and zx["title"] == "国务院部署乡村振兴重点工作"
    assert zx["copy_sites"] == "changchun-gov,jilin-gov"
    assert zx["body_text"] == ZX_BODY
    assert [r["published_at"] for r in rows] == sorted((r["published_at"] for r in rows), reverse=True)


def test_all_copies_resolve_the_body_of_exact_copies(db: Path) -> None:
    rows = [json.loads(x) for x in run("export", "--db", str(db), "-f", "jsonl", "--all-copies").splitlines()]
    assert len(rows) == len(ARTICLES)
    copies = [r for r in rows if "乡村振兴" in r["title"]]
    assert {r["role"] for r in copies} == {"first", "copy"}
    assert all(r["body_text"] == ZX_BODY for r in copies)
    assert all(r["first_site"] == "gov-cn" for r in copies)
    assert sum(r["duplicate_of"] is not None for r in copies) == 2


@pytest.mark.parametrize(
    ("args", "titles"),
    [
        (["--site", "beijing-gov"], {"北京市发布冬季供暖保障方案"}),
        (["--site", "beijing-gov", "--site", "changchun-gov"],
         {"北京市发布冬季供暖保障方案", "长春市召开优化营商环境工作推进会议", "国务院部署乡村振兴重点工作"}),
        (["--region", "吉林省"], {"长春市召开优化营商环境工作推进会议", "国务院部署乡村振兴重点工作",
                                "=HYPERLINK(\"http://evil\")"}),
        (["--region", "吉林省/长春市"], {"长春市召开优化营商环境工作推进会议", "国务院部署乡村振兴重点工作"}),
        (["--region", "吉林"], set()),  # a region is matched whole, not as a string prefix
        (["--since", "2023-11-22", "--until", "2023-11-23"],
         {"长春市召开优化营商环境工作推进会议", "北京市发布冬季供暖保障方案"}),
        (["--until", "2023-11-20T12:00:00+08:00"], {"国务院部署乡村振兴重点工作"}),
        (["--query", "振兴"], {"国务院部署乡村振兴重点工作"}),
        (["--query", "长春"], {"长春市召开优化营商环境工作推进会议"}),
        (["--query", "营商环境 长春市"], {"长春市召开优化营商环境工作推进会议"}),
        (["--query", "振兴", "--site", "beijing-gov"], set()),
    ],
)  # fmt: skip
def test_filters(db: Path, args: list[str], titles: set[str]) -> None:
    out = run("export", "--db", str(db), "-f", "jsonl", "--fields", "title", *args)
    assert {json.loads(x)["title"] for x in out.splitlines()} == titles


def test_a_site_name_like_sql_is_an_unknown_site(db: Path) -> None:
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--site", "x' OR 1=1 --"])
    assert result.exit_code == 2 and 'no site named "x\' OR 1=1 --"' in result.output


def test_story_filter_and_all_copies(db: Path) -> None:
    first = json.loads(run("export", "--db", str(db), "-f", "jsonl", "--query", "振兴").splitlines()[0])
    out = run("export", "--db", str(db), "-f", "jsonl", "--story", str(first["story_id"]), "--all-copies")
    assert sorted(json.loads(x)["site"] for x in out.splitlines()) == ["changchun-gov", "gov-cn", "jilin-gov"]


def test_fields_pick_columns_in_order_and_reject_unknown(db: Path) -> None:
    out = run("export", "--db", str(db), "--fields", "site,title,copies")
    assert out.splitlines()[0] == "site,title,copies"
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--fields", "title,nope"])
    assert result.exit_code == 2 and "unknown field(s) nope" in result.output


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "xlsx"])
def test_round_trip_every_format(db: Path, tmp_path: Path, fmt: str) -> None:
    """export → re-read → the same rows as the JSON Lines export (the reference)."""
    fields = list(FIELDS)
    ref = [json.loads(x) for x in run("export", "--db", str(db), "-f", "jsonl", "--all-copies",
                                      "--fields", ",".join(fields)).splitlines()]  # fmt: skip
    out = tmp_path / f"out.{fmt}"
    run("export", "--db", str(db), "--all-copies", "--fields", ",".join(fields), "-o", str(out))
    if fmt == "csv":
        back = [{k: unescape(v) for k, v in r.items()} for r in csv.DictReader(out.open(encoding="utf-8"))]
        want = [{k: "" if v is None else str(v) for k, v in r.items()} for r in ref]
    elif fmt == "jsonl":
        back = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        want = ref
    elif fmt == "json":
        back = json.loads(out.read_text(encoding="utf-8"))
        want = ref
    else:
        from openpyxl import load_workbook

        ws = load_workbook(out, read_only=True).active
        header, *data = [list(r) for r in ws.iter_rows(values_only=True)]
        back = [
            {k: unescape(v) if isinstance(v, str) else v for k, v in zip(header, r, strict=True)}
            for r in data
        ]
        want = ref
    assert back == want
    assert len(back) == len(ARTICLES)


def test_formula_cells_are_escaped_in_csv_and_xlsx(db: Path, tmp_path: Path) -> None:
    out = run("export", "--db", str(db), "--site", "jilin-gov", "--all-copies", "--fields", "title,source")
    rows = list(csv.reader(io.StringIO(out)))
    assert ['\'=HYPERLINK("http://evil")', "'+861012345"] in rows
    run("export", "--db", str(db), "--site", "jilin-gov", "--fields", "title", "-o", str(tmp_path / "f.xlsx"))
    from openpyxl import load_workbook

    cells = [c for r in load_workbook(tmp_path / "f.xlsx").active.iter_rows(values_only=True) for c in r]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)
    assert escape_formula("-3") == "'-3" and escape_formula(-3) == -3 and escape_formula("正文") == "正文"


def test_bom_for_excel_and_stdout(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.csv"
    run("export", "--db", str(db), "--bom", "-o", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbfstory_id,")
    assert run("export", "--db", str(db), "--bom").startswith("\ufeffstory_id,")
    assert not (tmp_path / "plain.csv").exists()
    run("export", "--db", str(db), "-o", str(tmp_path / "plain.csv"))
    assert (tmp_path / "plain.csv").read_bytes().startswith(b"story_id,")


def test_output_safety(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "exists.csv"
    target.write_text("keep")
    r = CliRunner().invoke(main, ["export", "--db", str(db), "-o", str(target)])
    assert r.exit_code == 2 and "exists" in r.output and target.read_text() == "keep"
    run("export", "--db", str(db), "-o", str(target), "--force")
    assert target.read_text(encoding="utf-8").startswith("story_id,")
    r = CliRunner().invoke(main, ["export", "--db", str(db), "-o", str(tmp_path)])
    assert r.exit_code == 2 and "directory" in r.output
    r = CliRunner().invoke(main, ["export", "--db", str(db), "-o", str(tmp_path / "no" / "such" / "x.csv")])
    assert r.exit_code == 2 and "does not exist" in r.output
    r = CliRunner().invoke(main, ["export", "--db", str(db), "-o", str(tmp_path / "a\nb.csv")])
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["export", "--db", str(db), "-f", "xlsx"])
    assert r.exit_code == 2 and "xlsx needs a file" in r.output
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_bad_dates_and_missing_db(tmp_path: Path, db: Path) -> None:
    r = CliRunner().invoke(main, ["export", "--db", str(db), "--since", "yesterday"])
    assert r.exit_code == 2 and "not a date" in r.output
    r = CliRunner().invoke(main, ["export", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code == 1 and "no such database" in r.output


def test_queries_bind_every_value() -> None:
    sql, params = build_query(fields=["title"], sites=["a'b"], region="吉%_", since="2023-01-01",
                              until="2023-02-01", query="振兴", story=7)  # fmt: skip
    assert "a'b" not in sql and "吉" not in sql and "振兴" not in sql and "2023" not in sql
    assert params[:3] == ["a'b", "吉%_", "吉\\%\\_/%"]


def test_export_streams_from_the_cursor(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are fetched in chunks of FETCH, never all at once."""
    from storage import export as mod

    monkeypatch.setattr(mod, "FETCH", 2)
    seen: list[int] = []
    real = mod.iter_rows

    def spy(conn, sql, params):  # type: ignore[no-untyped-def]
        for i, row in enumerate(real(conn, sql, params)):
            seen.append(i)
            yield row

    monkeypatch.setattr(mod, "iter_rows", spy)
    out = run("export", "--db", str(db), "-f", "jsonl", "--all-copies")
    assert len(out.splitlines()) == len(seen) == len(ARTICLES)
