"""Site configuration: valid files load; every kind of mistake names the file, the site and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.sites import ConfigError, adhoc_site, load_sites, parse_duration, parse_sites

GOOD = """
[[site]]
name = "changchun-gov"
title = "长春市人民政府"
region = "吉林省/长春市"
level = "city"
every = "30m"
sources = [
  { kind = "listing", url = "http://127.0.0.1:8001/col/xwdt/index.html", max_pages = 3 },
  { kind = "feed", url = "http://127.0.0.1:8001/rss.xml" },
]
[site.extract]
body = "div.TRS_Editor"
drop = [".share"]

[[site]]
name = "jilin-gov"
cron = "0 */2 * * *"
sources = [{ kind = "sitemap", url = "http://127.0.0.1:8002/sitemap.xml" }]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sites.toml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_good_config_loads(tmp_path: Path) -> None:
    sites = load_sites(write(tmp_path, GOOD))
    assert [s.name for s in sites] == ["changchun-gov", "jilin-gov"]
    cc, jl = sites
    assert cc.every_seconds == 1800 and cc.cron is None
    assert cc.sources[0].max_pages == 3 and cc.sources[1].kind == "feed"
    assert cc.extract["body"] == "div.TRS_Editor"
    assert cc.hosts == {"127.0.0.1:8001"}
    assert jl.cron == "0 */2 * * *" and jl.every_seconds is None
    assert len(cc.config_hash) == 16 and cc.config_hash != jl.config_hash


@pytest.mark.parametrize(
    ("snippet", "key", "fragment"),
    [
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\ncolour = "red"', "colour", "unknown key"),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\nevery = 30', "every", "expected a string"),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\nevery = "soon"', "every", "duration"),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\ncron = "99 * * * *"', "cron", ""),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\ncron = "* *"', "cron", "5-field"),
        ('name = "x"\nsources = [{ url = "ftp://127.0.0.1/" }]', "url", "http(s)"),
        ('name = "x"\nsources = [{ url = "not a url" }]', "url", "http(s)"),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/", kind = "news" }]', "kind", "not one of"),
        ('name = "x"\nsources = []', "sources", "non-empty"),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\nlevel = "galaxy"', "level", "not one of"),
        ('name = "Bad Name"\nsources = [{ url = "http://127.0.0.1/" }]', "name", "slug"),
        ('name = "x"\nsources = [{ url = "http://127.0.0.1/", max_pages = 0 }]', "max_pages", "between"),
        (
            'name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\n[site.extract]\nbodyy = "p"',
            "extract.bodyy",
            "unknown key",
        ),
        (
            'name = "x"\nsources = [{ url = "http://127.0.0.1/" }]\nconcurrency = true',
            "concurrency",
            "boolean",
        ),
    ],
)
def test_errors_name_file_site_and_key(tmp_path: Path, snippet: str, key: str, fragment: str) -> None:
    path = write(tmp_path, "[[site]]\n" + snippet + "\n")
    with pytest.raises(ConfigError) as err:
        load_sites(path)
    msg = str(err.value)
    assert str(path) in msg
    assert f"key '{key}'" in msg
    assert "site 'x'" in msg or "site 'Bad Name'" in msg
    assert fragment in msg


def test_duplicate_names(tmp_path: Path) -> None:
    text = '[[site]]\nname = "a"\nsources = [{ url = "http://127.0.0.1/" }]\n' * 2
    with pytest.raises(ConfigError, match="duplicate site name"):
        load_sites(write(tmp_path, text))


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = '[[site]]\nname = "a"\nevery = "x"\nsources = [{ url = "nope" }]\nfoo = 1\n'
    with pytest.raises(ConfigError) as err:
        load_sites(write(tmp_path, text))
    assert len(err.value.problems) == 3


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_sites(write(tmp_path, "[[site]\nname="))
    with pytest.raises(ConfigError, match="file not found"):
        load_sites(tmp_path / "absent.toml")
    bad = tmp_path / "latin.toml"
    bad.write_bytes('name = "caf\xe9"'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_sites(bad)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="key 'sitez'"):
        load_sites(write(tmp_path, '[[sitez]]\nname = "a"\n'))


def test_adhoc_site_rejects_bad_urls() -> None:
    site = adhoc_site(["http://127.0.0.1:9/list.html"])
    assert site.sources[0].kind == "auto"
    with pytest.raises(ConfigError):
        adhoc_site(["javascript:alert(1)"])


def test_shipped_configs_are_valid() -> None:
    root = Path(__file__).resolve().parent.parent
    sites = load_sites(root / "sites.toml")
    names = {s.name for s in sites}
    assert {"gov-cn", "jilin-gov", "changchun-gov"} <= names
    assert all(not s.verified for s in sites), (
        "real sites stay unverified until `newsmon sites check` ran live"
    )


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from(["s", "m", "h", "d"]))
def test_duration_roundtrip(n: int, unit: str) -> None:
    seconds = n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    if seconds > 3650 * 86400:  # past ten years: refused (issue #15: "3000000d" overflowed the scheduler)
        with pytest.raises(ValueError, match="longer than"):
            parse_duration(f"{n}{unit}")
        return
    assert parse_duration(f"{n}{unit}") == seconds


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8), st.one_of(st.text(), st.integers(), st.booleans()), max_size=5
    )
)
def test_arbitrary_site_tables_never_crash(data: dict) -> None:
    """Whatever a user writes, validation either returns sites or raises ConfigError."""
    try:
        parse_sites({"site": [data]}, "fuzz.toml")
    except ConfigError as exc:
        assert all(p.startswith("fuzz.toml: ") for p in exc.problems)


def test_extract_override_keys_match_the_extractor() -> None:
    """Every [site.extract] key the config accepts is one the extractor applies, and the other way round."""
    from crawler.extract.overrides import KNOWN_KEYS
    from crawler.sites import EXTRACT_KEYS

    assert set(EXTRACT_KEYS) == set(KNOWN_KEYS)


def test_host_aliases_map_to_the_first_source_host() -> None:
    site = parse_sites(
        {
            "site": [
                {
                    "name": "cc",
                    "aliases": ["Changchun.gov.cn", "www.changchun.gov.cn"],
                    "sources": [{"url": "http://www.changchun.gov.cn/zw/index.html"}],
                }
            ]
        }  # fmt: skip
    )[0]
    assert site.host_aliases == {"changchun.gov.cn": "www.changchun.gov.cn"}
    assert (
        parse_sites({"site": [{"name": "x", "sources": [{"url": "http://127.0.0.1:9/"}]}]})[0].host_aliases
        == {}
    )
