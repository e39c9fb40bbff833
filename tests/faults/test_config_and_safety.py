"""Bad configuration stops everything before a request; crawls touch only their own sites."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.dates import parse_date
from tests.conftest import crawl_sites, newsmon
from tests.helpers import RouteServer, page

pytestmark = pytest.mark.faults

BAD_CONFIGS = {
    "unknown key": ('name = "a"\ncolour = "red"', "colour"),
    "wrong type": ('name = "a"\nevery = 5', "every"),
    "invalid url": ('name = "a"\nsources = [{ url = "htp:/nowhere" }]', "url"),
    "invalid cron": ('name = "a"\ncron = "61 25 * * *"', "cron"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_and_crawls_nothing(demo_server, tmp_path: Path, case: str) -> None:
    body, key = BAD_CONFIGS[case]
    good = demo_server.sites_toml()
    config = tmp_path / "sites.toml"
    sources = 'sources = [{ url = "http://127.0.0.1:9/x.html" }]\n' if "sources" not in body else ""
    config.write_text(good + "\n[[site]]\n" + body + "\n" + sources, encoding="utf-8")
    demo_server.reset_log()
    db = ("--db", str(tmp_path / "n.db"))
    for args in (("crawl", "--all", *db), ("sites",), ("schedule", "--once", *db)):
        proc = newsmon(*args, "--sites", str(config))
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert str(config) in proc.stderr and "site 'a'" in proc.stderr and f"key '{key}'" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert demo_server.request_log() == []


def test_duplicate_site_names(tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        '[[site]]\nname = "a"\nsources = [{ url = "http://127.0.0.1:9/" }]\n' * 2, encoding="utf-8"
    )
    proc = newsmon("crawl", "--all", "--sites", str(config), "--db", str(tmp_path / "n.db"))
    assert proc.returncode == 2 and "duplicate site name" in proc.stderr


def _recorder(host: str, listing: str) -> RouteServer:
    """A server that answers /list.html with `listing`, /robots.txt with a page, anything else 404."""
    return RouteServer(
        host, {"/list.html": page(listing), "/robots.txt": page("<html><body>no</body></html>")}
    )


@pytest.mark.slow
def test_crawls_request_only_configured_hosts(tmp_path: Path) -> None:
    """Links to other hosts on a list page (even on this machine) are never requested."""
    with _recorder("127.0.0.2", "") as other:
        links = "".join(
            f'<li><a href="{other.base}/a/t20231128_{i}.html">别的网站的文章标题{i}</a></li>'
            for i in range(5)
        )
        links += f'<li><a href="http://127.0.0.1:{other.port}/a/t20231128_9.html">另一个端口的文章</a></li>'
        with _recorder("127.0.0.1", f"<html><body><ul>{links}</ul></body></html>") as site:
            config = tmp_path / "sites.toml"
            config.write_text(
                f'[[site]]\nname = "mine"\nsources = [{{ url = "{site.base}/list.html" }}]\n',
                encoding="utf-8",
            )
            proc = crawl_sites(tmp_path / "n.db", config)
            assert other.seen == []
            assert set(site.seen) <= {"/robots.txt", "/list.html"}
    assert proc.returncode == 1  # no article links of its own: a failed run, said clearly
    status, reason = sqlite3.connect(tmp_path / "n.db").execute("SELECT status, reason FROM runs").fetchone()
    assert status == "failed" and "no article links" in reason


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M"]),
)
def test_date_parsing_roundtrip(dt: datetime, fmt: str) -> None:
    text = dt.strftime(fmt)
    got = parse_date(text)
    assert got is not None and got.tzinfo is not None
    want = dt.replace(second=dt.second if "%S" in fmt else 0, microsecond=0)
    assert got.replace(tzinfo=None) == want
    # Asia/Shanghai, including China's daylight saving time of 1986-1991 (+09:00 in summer)
    assert got.utcoffset() == ZoneInfo("Asia/Shanghai").utcoffset(want)


@given(st.text(max_size=200))
def test_date_parsing_never_crashes(text: str) -> None:
    got = parse_date(text)
    assert got is None or got.tzinfo is not None
