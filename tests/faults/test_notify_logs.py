"""A webhook token in a notify URL (path, user info or query) never reaches the logs, even at -vv: every
place a notification URL is logged names its redacted label (storage.watch_targets.target_label)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.store import Store
from tests.conftest import newsmon
from tests.helpers import Receiver, item, long_body

pytestmark = pytest.mark.faults

TOKEN = "S3CRETT0KEN4a7c1b"


@pytest.mark.parametrize("status", [200, 500])
def test_watch_run_at_vv_logs_no_token(tmp_path: Path, status: int) -> None:
    receiver = Receiver()
    receiver.status = status  # delivered, and refused (the failure is logged too)
    try:
        db = tmp_path / "n.db"
        with Store(db) as store:
            store.save_articles([item("http://127.0.0.1:9/a/1.html", long_body("东北振兴"))])
        targets = [f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}",
                   f"json://u:{TOKEN}@127.0.0.1:{receiver.port}/x",
                   f"json://127.0.0.1:{receiver.port}/a?token={TOKEN}"]  # fmt: skip
        notify = [a for t in targets for a in ("--notify", t)]
        added = newsmon("-vv", "watch", "add", "东北振兴", "--all", "振兴", *notify, "--db", str(db))
        assert added.returncode == 0, added.stderr[-1500:]
        config = tmp_path / "sites.toml"
        config.write_text('[[site]]\nname = "s1"\nsources = [{ url = "http://127.0.0.1:9/list.html" }]\n')
        ran = newsmon("-vv", "watch", "run", "--db", str(db), "--sites", str(config))
        said = added.stdout + added.stderr + ran.stdout + ran.stderr
        assert receiver.requests >= 3, said[-2000:]  # the messages really were sent
        assert "DEBUG" in ran.stderr  # -vv really logged at debug level
        assert TOKEN not in said, [line for line in said.splitlines() if TOKEN in line]
    finally:
        receiver.close()
