"""`newsmon runs` and `newsmon health` on prepared databases (CliRunner), and the health rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.health import assess_site
from storage.store import Store

SITES = """
[[site]]
name = "good"
every = "30m"
sources = [{ kind = "listing", url = "http://127.0.0.1:9/a/" }]

[[site]]
name = "broken"
every = "30m"
sources = [{ kind = "listing", url = "http://127.0.0.1:9/b/" }]

[[site]]
name = "stale"
every = "30m"
sources = [{ kind = "listing", url = "http://127.0.0.1:9/c/" }]
"""


def add_run(store: Store, site: str, status: str, ago: timedelta, reason: str = "", new: int = 0) -> int:
    run_id = store.start_run(site, pid=1)
    store.finish_run(run_id, status, reason=reason or status, counts={"new_items": new, "pages": new + 1})
    when = (datetime.now(UTC) - ago).isoformat(timespec="seconds")
    store.db.conn.execute(
        "UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?", (when, when, run_id)
    )
    return run_id


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    db, sites = tmp_path / "news.db", tmp_path / "sites.toml"
    sites.write_text(SITES)
    with Store(db) as store:
        add_run(store, "good", "failed", timedelta(hours=2), "no source could be fetched")
        add_run(store, "good", "ok", timedelta(minutes=40), new=3)
        add_run(store, "good", "skipped", timedelta(minutes=10), "previous run (pid 9) still running")
        add_run(store, "good", "failed", timedelta(minutes=5), "shutdown: stopped before the crawl finished")
        add_run(store, "broken", "ok", timedelta(hours=1))
        add_run(store, "broken", "crashed", timedelta(minutes=30), "process killed by SIGKILL mid-run")
        add_run(store, "broken", "timeout", timedelta(minutes=1), "timeout: still running after 3600s")
        add_run(store, "stale", "ok", timedelta(hours=2))
        store.save_articles(
            [{"url": "http://127.0.0.1:9/a/1", "site": "good", "title": "t", "body_text": "b"}]
        )
    return db, sites


def test_runs_table_filters_and_json(setup: tuple[Path, Path]) -> None:
    db, _ = setup
    res = CliRunner().invoke(main, ["runs", "--db", str(db), "--last", "3"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split()[:3] == ["id", "site", "status"] and len(lines) == 4
    assert lines[1].split()[1:3] == ["stale", "ok"]  # newest first
    res = CliRunner().invoke(
        main, ["runs", "--db", str(db), "--site", "broken", "--status", "timeout", "--json"]
    )
    (row,) = [json.loads(line) for line in res.output.splitlines()]
    assert row["site"] == "broken" and row["status"] == "timeout" and "stats" not in row
    res = CliRunner().invoke(main, ["runs", "--db", str(db), "--status", "nonsense"])
    assert res.exit_code == 2


def test_health_exit_code_and_reasons(setup: tuple[Path, Path]) -> None:
    db, sites = setup
    res = CliRunner().invoke(main, ["health", "--db", str(db), "--sites", str(sites), "--json"])
    assert res.exit_code == 1
    verdicts = {v["site"]: v for v in json.loads(res.stdout)}
    assert verdicts["good"]["healthy"] and verdicts["good"]["articles_24h"] == 1
    assert verdicts["good"]["last_status"] == "ok"  # shutdown-interrupted and skipped runs do not count
    assert not verdicts["broken"]["healthy"] and verdicts["broken"]["consecutive_failures"] == 2
    assert verdicts["broken"]["problem"].startswith("2 failed run(s) in a row; last timeout")
    assert not verdicts["stale"]["healthy"] and "3× its period" in verdicts["stale"]["problem"]
    res = CliRunner().invoke(main, ["health", "--db", str(db), "--sites", str(sites), "--max-failures", "2"])
    health_of = {ln.split()[0]: ln.split()[1] for ln in res.stdout.splitlines()[1:]}
    assert health_of == {"good": "ok", "broken": "ok", "stale": "UNHEALTHY"}  # two failures tolerated
    assert res.exit_code == 1 and "1 of 3 site(s) unhealthy" in res.stderr


def test_health_all_good_exits_zero(tmp_path: Path) -> None:
    db, sites = tmp_path / "news.db", tmp_path / "sites.toml"
    sites.write_text(SITES.split('[[site]]\nname = "broken"')[0])
    with Store(db) as store:
        add_run(store, "good", "ok", timedelta(minutes=3))
    res = CliRunner().invoke(main, ["health", "--db", str(db), "--sites", str(sites)])
    assert res.exit_code == 0, res.output
    # without the config file, the sites recorded in the database are judged
    with Store(db) as store:
        config = {"name": "good", "every": "10s", "sources": [{"url": "http://127.0.0.1:9/a/"}]}
        store.upsert_sites([{"name": "good", "config": config}])
    res = CliRunner().invoke(main, ["health", "--db", str(db), "--sites", str(tmp_path / "none.toml")])
    assert res.exit_code == 1 and "no successful run since" in res.stdout  # 3 min > 3 × 10 s


def test_assess_site_rules() -> None:
    now = datetime.now(UTC)

    def run(status: str, minutes: int, reason: str = "") -> dict:
        t = (now - timedelta(minutes=minutes)).isoformat()
        return {"status": status, "started_at": t, "finished_at": t, "reason": reason}

    assert assess_site("s", [], 1800, 0, now).problem == "never run"
    first = assess_site("s", [run("running", 1)], 1800, 0, now)
    assert first.healthy  # first run still going: give it time
    assert not assess_site("s", [run("failed", 200)], 1800, 0, now, max_failures=5).healthy  # no success yet
    skipped_only = [run("skipped", m) for m in range(0, 300, 30)] + [run("ok", 300)]
    assert "no successful run since" in assess_site("s", skipped_only, 1800, 0, now).problem


def test_commands_have_help_with_examples() -> None:
    for name in ("schedule", "runs", "health"):
        res = CliRunner().invoke(main, [name, "--help"])
        assert res.exit_code == 0 and "Example" in res.output


def test_runs_on_missing_database(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["runs", "--db", str(tmp_path / "nope.db")])
    assert res.exit_code == 1 and "no such database" in res.output
