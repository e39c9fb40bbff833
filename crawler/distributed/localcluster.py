"""A whole cluster on one machine, for tests, the benchmark and trying it out: Debian's redis-server on
127.0.0.1 (a free port), N `newsmon worker` processes and one `newsmon ingest`, each in its own process
group so a test can SIGKILL one of them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crawler.runner import crawl_env, wait_for


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """redis-server on 127.0.0.1; with `aof` it keeps its data in `workdir` across restart()."""

    def __init__(self, workdir: str | Path, aof: bool = False, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.aof = aof
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """redis:// URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start and wait until it answers PING."""
        exe = shutil.which("redis-server")
        if exe is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            exe,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.workdir),
        ]
        argv += ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)

        def ping() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(ping, 20, "redis-server to answer")
        client.close()
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server (SIGTERM: a clean shutdown; SIGKILL: a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM, down_seconds: float = 0.0) -> None:
        """Stop, stay down a moment, start again on the same port."""
        self.stop(sig)
        time.sleep(down_seconds)
        self.start()


class LocalCluster:
    """Worker and ingest processes of one cluster, started with `python -m crawler.cli`."""

    def __init__(
        self,
        redis_url: str,
        db: str | Path,
        workdir: str | Path,
        settings: Mapping[str, Any] | None = None,
        lease: float = 3.0,
    ) -> None:
        self.redis_url = redis_url
        self.db = str(db)
        self.workdir = Path(workdir)
        self.settings = dict(settings or {})
        self.lease = lease
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.ingest_proc: subprocess.Popen[bytes] | None = None

    def _popen(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        out = open(log, "ab")  # noqa: SIM115 - the child keeps its own copy
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", *args],
                env=crawl_env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                cwd=str(Path(__file__).resolve().parents[2]),
            )
        finally:
            out.close()

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        """Start `newsmon worker --id name`."""
        sets = [a for k, v in self.settings.items() for a in ("-s", f"{k}={v}")]
        log = self.workdir / f"{name}.log"
        proc = self._popen(
            [
                "worker",
                "--redis",
                self.redis_url,
                "--id",
                name,
                "--lease",
                str(self.lease),
                "--log-file",
                str(log),
                *sets,
            ],
            self.workdir / f"{name}.out",
        )
        self.workers[name] = proc
        return proc

    def start_ingest(self, *extra: str) -> subprocess.Popen[bytes]:
        """Start `newsmon ingest`."""
        self.ingest_proc = self._popen(
            ["-v", "ingest", "--redis", self.redis_url, "--db", self.db, *extra], self.workdir / "ingest.log"
        )
        return self.ingest_proc

    def enqueue(
        self, sites_toml: str | Path, *names: str, wait: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`newsmon enqueue` of the named sites (or all)."""
        from crawler.distributed.redis_runner import enqueue_argv

        argv = enqueue_argv(self.redis_url, sites_toml, names, wait=wait)
        return subprocess.run(argv, env=crawl_env(), capture_output=True, text=True, timeout=600)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal a process's whole group (the worker wrapper and its scrapy child) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=60)

    def stop(self) -> None:
        """SIGTERM everything (SIGKILL what does not stop within 30 s)."""
        procs = [*self.workers.values(), *([self.ingest_proc] if self.ingest_proc else [])]
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill(proc)
