"""What a new user hits first: wrong paths and names get a clear error, output files behave like files,
tables line up in a terminal, and the hints the commands print work as written."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from crawler.cli import main
from tests.conftest import ROOT
from tests.helpers import commands, make_db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_db(tmp_path_factory.mktemp("edges") / "news.db")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("cmd", [["stories"], ["search", "振兴"], ["dedup"], ["dedup", "--rebuild"]])
def test_reading_commands_refuse_a_missing_database(cmd: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    code, out = invoke(*cmd, "--db", str(missing))
    assert code == 1 and "no such database" in out and str(missing) in out
    assert not missing.exists()  # no empty database left behind


@pytest.mark.parametrize(
    "cmd",
    [["runs", "--site", "nope-gov"], ["stories", "--site", "nope-gov"], ["export", "--site", "nope-gov"]],
)
def test_unknown_site_filter_is_an_error_with_the_known_sites(cmd: list[str], db: Path) -> None:
    code, out = invoke(*cmd, "--db", str(db))
    assert code == 2, out
    assert "no site named 'nope-gov'" in out and "changchun-gov" in out and "gov-cn" in out


def test_known_site_filter_still_works(db: Path) -> None:
    code, out = invoke("stories", "--site", "changchun-gov", "--db", str(db))
    assert code == 0 and "长春市召开优化营商环境工作推进会议" in out


def test_exported_files_honour_the_umask(db: Path, tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        code, out = invoke("export", "--db", str(db), "-o", str(tmp_path / "a.csv"))
    finally:
        os.umask(old)
    assert code == 0, out
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o640
    os.umask(0o022)
    try:
        code, _ = invoke("export", "--db", str(db), "-o", str(tmp_path / "b.xlsx"))
    finally:
        os.umask(old)
    assert code == 0 and stat.S_IMODE((tmp_path / "b.xlsx").stat().st_mode) == 0o644


def test_export_refuses_devices_and_unwritable_places(db: Path, tmp_path: Path) -> None:
    code, out = invoke("export", "--db", str(db), "-o", "/dev/null", "--force")
    assert code == 2 and "not a regular file" in out
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device
    code, out = invoke("export", "--db", str(db), "-o", "/proc/newsmon-export.csv")
    assert code == 1 and "cannot write /proc/newsmon-export.csv" in out and "Traceback" not in out


def test_export_format_and_file_name_must_agree(db: Path, tmp_path: Path) -> None:
    code, out = invoke("export", "--db", str(db), "-f", "xlsx", "-o", str(tmp_path / "out.csv"))
    assert code == 2 and "name it .xlsx" in out
    assert not (tmp_path / "out.csv").exists()
    code, _ = invoke("export", "--db", str(db), "-f", "csv", "-o", str(tmp_path / "out.txt"))
    assert code == 0  # a suffix that is no format of ours says nothing


def test_xlsx_has_frozen_header_filter_and_widths(db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "s.xlsx"
    code, msg = invoke("export", "--db", str(db), "-o", str(out))
    assert code == 0, msg
    ws = load_workbook(out).active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    title_col = next(c.column_letter for c in ws[1] if c.value == "title")
    assert ws.column_dimensions[title_col].width >= 40


def test_stats_columns_line_up_by_display_width(db: Path) -> None:
    code, out = invoke("stats", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("top sources")))
    block = lines[start : start + 1 + 4]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in block[1:])
    assert len({cell_len(line) for line in block}) == 1, block  # counts end in the same terminal column


def test_stories_table_lines_up_by_display_width(db: Path) -> None:
    code, out = invoke("stories", "--db", str(db))
    lines = [x for x in out.splitlines() if x.strip()]
    # the title column starts at the same display column on every line
    starts = {
        cell_len(line[: line.index(t)])
        for line in lines[1:]
        for t in ["国务院", "长春市", "北京市"]
        if t in line
    }
    assert code == 0 and len(starts) == 1, lines


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("notaurl", "Expected a site name"),
        ("www.gov.cn/x", "Did you mean: newsmon crawl http://www.gov.cn/x"),
    ],
)
def test_crawl_of_neither_site_nor_url_says_what_was_expected(target: str, hint: str, tmp_path: Path) -> None:
    code, out = invoke(
        "crawl", target, "--sites", str(tmp_path / "none.toml"), "--db", str(tmp_path / "x.db")
    )
    assert code == 2 and hint in out and "http://" in out, out
    assert "file not found" not in out and not (tmp_path / "x.db").exists()


def test_crawl_of_a_host_like_name_hints_even_with_a_config(tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text((ROOT / "sites.toml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out = invoke("crawl", "www.gov.cn/x", "--sites", str(config), "--db", str(tmp_path / "x.db"))
    assert code == 2 and "http://www.gov.cn/x" in out


def test_sites_check_takes_sites_after_the_sub_command(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text((ROOT / "sites.toml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out = invoke("sites", "check", "no-such-site", "--sites", str(config))
    assert code == 2 and f"{config}: no site named 'no-such-site'" in out, out


def test_help_texts_point_at_files_that_exist() -> None:
    import re

    for path, _cmd in commands(main):
        code, out = invoke(*path, "--help")
        for doc in re.findall(r"(docs/[\w.-]+\.md|README\.md)", out):
            assert (ROOT / doc).is_file(), f"newsmon {' '.join(path)} --help names {doc}"
    code, out = invoke("runs", "--help")
    out = " ".join(out.split())
    assert "Run statuses" in out and "README.md" in out


def test_serve_on_a_busy_port_fails_before_saying_it_serves(db: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        busy.close()
    assert proc.returncode == 1
    assert "serving" not in proc.stderr and f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_watch_test_name_tests_that_watch(db: Path, tmp_path: Path) -> None:
    import shutil

    mine = tmp_path / "w.db"
    shutil.copy(db, mine)
    code, out = invoke("watch", "add", "长春动态", "--all", "长春", "--db", str(mine))
    assert code == 0, out
    # as a word, 长春动态 occurs nowhere; as the watch (长春) it matches the 长春 story
    code, out = invoke("watch", "test", "长春动态", "--db", str(mine))
    assert code == 0 and "testing watch '长春动态'" in out and "长春市召开优化营商环境工作推进会议" in out, (
        out
    )
    code, out = invoke("watch", "test", "振兴", "--db", str(mine))
    assert code == 0 and "testing watch" not in out and "国务院部署乡村振兴重点工作" in out


def test_dev_py_runs_newsmon_and_the_demo_hint_names_a_working_command(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / "newsmon").exists():
        pytest.skip("no .venv here (python3 dev.py setup makes it)")
    proc = subprocess.run([sys.executable, "dev.py", "newsmon", "--version"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0 and "newsmon, version" in proc.stdout, proc.stderr
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # as after the README's two commands: no venv on PATH
    code = "from crawler.commands.common import newsmon_command as c; print(c())"
    hint = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60).stdout.strip()  # fmt: skip
    assert hint == ".venv/bin/newsmon"
    proc = subprocess.run(f"{hint} --version", shell=True, cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and "newsmon, version" in proc.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/newsmon" in readme and "python3 dev.py shell" in readme
