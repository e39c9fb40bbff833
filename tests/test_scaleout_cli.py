"""Cluster-mode commands without a Redis: help texts, the scheduler's enqueueing runner, job expansion."""

from __future__ import annotations

import inspect
import sys
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from scrapy.core.engine import ExecutionEngine

from crawler.cli import main
from crawler.sites import parse_sites


def test_every_cluster_command_has_help_with_an_example() -> None:
    """newsmon worker/ingest/enqueue/cluster-status and schedule --redis are documented."""
    runner = CliRunner()
    for cmd in ("worker", "ingest", "enqueue", "cluster-status"):
        out = runner.invoke(main, [cmd, "--help"]).output
        assert "Example:" in out and "--redis" in out, cmd
    assert "--redis" in runner.invoke(main, ["schedule", "--help"]).output


def test_enqueue_needs_a_redis_url(tmp_path) -> None:  # noqa: ANN001
    """Without --redis or $NEWSMON_REDIS the command stops with a usage error."""
    result = CliRunner().invoke(main, ["enqueue", "--all"], env={"NEWSMON_REDIS": ""})
    assert result.exit_code == 2 and "--redis" in result.output


def test_redis_runner_starts_enqueue_and_wait_in_its_own_group(monkeypatch) -> None:  # noqa: ANN001
    """The scheduler's cluster runner runs `newsmon enqueue --wait SITE`, a process group of its own."""
    from crawler.distributed import redis_runner as mod

    site = parse_sites(
        {"site": [{"name": "a", "title": "A", "sources": [{"url": "http://127.0.0.1:9/"}]}]}, "t"
    )[0]
    seen = {}

    def fake_popen(argv, **kw):  # noqa: ANN001, ANN003, ANN202
        seen.update(argv=argv, **kw)
        return object()

    monkeypatch.setattr(mod.subprocess, "Popen", fake_popen)
    mod.RedisRunner("redis://127.0.0.1:1/0", "sites.toml", "p").start(site)
    assert seen["argv"][:4] == [sys.executable, "-m", "crawler.cli", "enqueue"]
    assert seen["argv"][-2:] == ["--wait", "a"] and seen["argv"][-4:-2] == ["--prefix", "p"]
    assert seen["start_new_session"] is True


def test_drain_runs_sitespider_start_synchronously() -> None:
    """The worker expands a job with SiteSpider.start() itself; drain refuses a start() that awaits."""
    import asyncio

    import pytest

    from crawler.distributed.spider import drain

    async def gen():  # noqa: ANN202
        yield 1
        yield 2

    assert drain(gen()) == [1, 2]

    async def waits():  # noqa: ANN202
        await asyncio.sleep(0)
        yield 1

    with pytest.raises(RuntimeError, match="awaited"):
        drain(waits())


def test_the_engine_heartbeat_a_worker_quickens_is_still_scrapys() -> None:
    """Scrapy has no public setting for how often an idle engine asks its scheduler; a worker sets the
    private ExecutionEngine attribute (crawler/distributed/worker.py). This fails when Scrapy drops it or
    no longer reads it where request processing starts, so the worker's 0.2 s poll would silently be 5 s."""
    worker = pytest.importorskip("crawler.distributed.worker")  # needs the scale-out extra
    assert isinstance(getattr(ExecutionEngine, worker.ENGINE_HEARTBEAT, None), float)
    assert f"self.{worker.ENGINE_HEARTBEAT}" in inspect.getsource(ExecutionEngine._start_request_processing)
    engine = ExecutionEngine.__new__(ExecutionEngine)
    assert worker.quicken_engine_heartbeat(engine, 0.2) and getattr(engine, worker.ENGINE_HEARTBEAT) == 0.2
    assert getattr(ExecutionEngine, worker.ENGINE_HEARTBEAT) != 0.2, "the instance's, not every engine's"
    assert not worker.quicken_engine_heartbeat(SimpleNamespace(), 0.2)
