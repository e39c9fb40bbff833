"""load_watches remembers a config file per version: read once for many runs, read again once it changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawler import watchconfig
from crawler.sites import ConfigError

SITE = '[[site]]\nname = "s"\nsources = [{ url = "http://127.0.0.1:9/" }]\n'


def test_read_once_per_file_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "sites.toml"
    p.write_text(SITE + '[[watch]]\nname = "a"\nall = ["振兴"]\n', encoding="utf-8")
    reads = []
    real = watchconfig.read_toml
    monkeypatch.setattr(watchconfig, "read_toml", lambda path: reads.append(path) or real(path))
    assert [w.name for w in watchconfig.load_watches(p)] == ["a"]
    assert [w.name for w in watchconfig.load_watches(p)] == ["a"]
    assert len(reads) == 1
    p.write_text(SITE + '[[watch]]\nname = "b"\nall = ["长春"]\n', encoding="utf-8")
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 1_000_000))
    assert [w.name for w in watchconfig.load_watches(p)] == ["b"] and len(reads) == 2
    p.write_text(SITE + '[[watch]]\nname = "c"\nall = []\n', encoding="utf-8")  # now invalid: not cached
    with pytest.raises(ConfigError):
        watchconfig.load_watches(p)
