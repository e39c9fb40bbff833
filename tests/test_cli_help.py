"""Every newsmon command explains itself: help text with an example, and `sites check` works end to end."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import newsmon
from tests.helpers import commands


@pytest.mark.parametrize(
    ("path", "cmd"), commands(main), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_with_an_example(path: tuple[str, ...], cmd: click.Command) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"newsmon {' '.join(path)} --help has no Example"


@pytest.mark.slow
def test_sites_check_reports_fill_rates(demo_server, tmp_path: Path) -> None:
    config = demo_server.write_sites_toml(tmp_path / "sites.toml")
    proc = newsmon(
        "sites", "--sites", str(config), "check", "changchun-gov", "gov-cn", "--max-articles", "5", "--json"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    report = {r["site"]: r for r in json.loads(proc.stdout)}
    for site in ("changchun-gov", "gov-cn"):
        r = report[site]
        # at most --max-articles requested per source (changchun-gov has two columns)
        assert r["status"] == "ok" and r["links_found"] >= 5 and 1 <= r["articles"] <= 2 * 5
        assert r["fill_rates"]["title"] == 1.0 and r["fill_rates"]["published_at"] == 1.0
        assert r["fill_rates"]["body_text"] == 1.0
