"""Webhook tokens never shown; datasette answers only for its own address, caps what one query may build,
and a bad sort column is a 400."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import start_server

pytestmark = pytest.mark.faults

TOKEN = "S3CRETT0KEN9f8e7d"
TARGETS = [f"json://127.0.0.1:9/hook/{TOKEN}", f"json://user:{TOKEN}@127.0.0.1:9/x",
           f"form://127.0.0.1:9/a?token={TOKEN}", f"jsons://127.0.0.1:9/{TOKEN}/x"]  # fmt: skip


def test_webhook_tokens_are_never_shown(tmp_path: Path) -> None:
    from crawler.cli import main
    from storage.db import open_db

    db = str(tmp_path / "n.db")
    run = CliRunner().invoke
    notify = [a for t in TARGETS for a in ("--notify", t)]
    added = run(main, ["watch", "add", "东北振兴", "--all", "振兴", *notify, "--db", db])
    assert added.exit_code == 0, added.output
    listed = run(main, ["watch", "list", "--db", db])
    as_json = run(main, ["watch", "list", "--json", "--db", db])
    for out in (added.output, listed.output, as_json.output):
        assert TOKEN not in out, out
    assert "127.0.0.1:9" in listed.output  # the labels still say where messages go
    from storage.watch_targets import target_label

    assert all(TOKEN not in target_label(t) for t in TARGETS)
    open_db(db).conn.close()


@pytest.mark.slow
def test_datasette_host_sort_and_size(tmp_path: Path) -> None:
    from storage.db import open_db

    db = tmp_path / "n.db"
    open_db(db).conn.close()
    proc, base = start_server(db)
    port = int(base.rsplit(":", 1)[1])

    def get(path: str, host: str | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, body

    try:
        assert get("/n/articles.json")[0] == 200
        assert get("/n/articles.json", f"localhost:{port}")[0] == 200
        for host in (
            f"evil.example:{port}",
            "evil.example",
            f"127.0.0.1:{port + 1}",
            f"127.0.0.1.evil.example:{port}",
        ):
            status, body = get("/n/articles.json", host)
            assert status == 421 and b"articles" not in body, (host, status)
        for sql in ("select randomblob(3e8)", "select length(randomblob(3e8))", "select zeroblob(2e8)",
                    "select printf('%.*c', 300000000, 'x')"):  # fmt: skip
            status, body = get(
                "/n.json?sql=" + sql.replace(" ", "+").replace("'", "%27").replace("%.", "%25.")
            )
            assert len(body) < 1_000_000, (sql, status, len(body))  # refused, or at most a NULL
            assert status != 200 or json.loads(body)["rows"] == [[None]], (sql, body[:300])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize(
    "q", ["_sort=%3Cscript%3Ealert(1)%3C/script%3E", "_sort_desc=%3Cimg%20src=x%3E", "_sort=nope"]
)
def test_bad_sort_is_a_400(tmp_path: Path, q: str) -> None:
    """Through `serve --get` (the same app; datasette prints the traceback of its error to stderr)."""
    from crawler.cli import main
    from storage.db import open_db

    db = tmp_path / "n.db"
    open_db(db).conn.close()
    for path in (f"/n/articles?{q}", f"/n/articles.json?{q}"):
        out = CliRunner().invoke(main, ["serve", "--db", str(db), "--get", path])
        page = out.stdout[
            max(out.stdout.find("<!DOCTYPE"), out.stdout.find('{"ok"'), 0) :
        ]  # the response, not the traceback print
        assert "Error 400" in page or '"status": 400' in page, page[-800:]
        if ".json" not in path:  # the HTML page escapes it (JSON carries it as a string)
            assert "<script>alert" not in page and "<img src=x>" not in page
