from __future__ import annotations

import dataclasses
import tomllib
import typing

import pytest

from maraude.config import DEFAULT_CONFIG, Config, load_config, resolve_db_path
from maraude.errors import ConfigError


def test_defaults_load():
    config = load_config()
    assert config.dashboard.address == "127.0.0.1"
    assert config.privacy.posts_days == 7


def test_every_dataclass_field_appears_in_default_toml():
    data = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for name, section in typing.get_type_hints(Config).items():
        fields = {f.name for f in dataclasses.fields(section)}
        assert set(data[name]) == fields, name


def test_user_file_overrides_only_its_keys(tmp_path):
    user = tmp_path / "me.toml"
    user.write_text("[dashboard]\nport = 9000\n", encoding="utf-8")
    config = load_config(user)
    assert config.dashboard.port == 9000
    assert config.dashboard.address == "127.0.0.1"


def test_maraude_config_env_is_read(tmp_path, monkeypatch):
    user = tmp_path / "me.toml"
    user.write_text("[crawl]\ndelay = 5\n", encoding="utf-8")
    monkeypatch.setenv("MARAUDE_CONFIG", str(user))
    assert load_config().crawl.delay == 5.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[dashboard]\nprot = 1\n", "unknown key 'dashboard.prot'"),
        ("[nope]\nx = 1\n", "unknown key 'nope'"),
        ('[dashboard]\nport = "80"\n', "key 'dashboard.port' must be int"),
        ("[crawl]\nautothrottle = 1\n", "key 'crawl.autothrottle' must be bool"),
        ("[dashboard]\nport = true\n", "key 'dashboard.port' must be int"),
        ("dashboard = 3\n", "must be a [dashboard] table"),
        ("[dashboard\n", "is not valid TOML"),
        ("[crawl]\ndelay = nan\n", "key 'crawl.delay' must be a finite number"),
        ("[crawl]\ndelay = inf\n", "key 'crawl.delay' must be a finite number"),
    ],
)
def test_bad_user_file_names_the_key_and_the_file(tmp_path, content, message):
    user = tmp_path / "bad.toml"
    user.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(user)
    assert message in str(err.value)
    assert str(user) in str(err.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[privacy]\nposts_days = 0\n", "'privacy.posts_days' must be at least 1"),
        ("[dashboard]\nclaim_minutes = -5\n", "'dashboard.claim_minutes' must be"),
        ("[crawl]\ndelay = -1\n", "'crawl.delay' must be at least 0"),
    ],
)
def test_values_out_of_range_are_refused(tmp_path, content, message):
    user = tmp_path / "bad.toml"
    user.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(user)


def test_missing_user_file(tmp_path):
    with pytest.raises(ConfigError, match="Config file not found"):
        load_config(tmp_path / "absent.toml")


def test_db_path_resolution(monkeypatch, tmp_path):
    assert resolve_db_path("x.db").name == "x.db"
    monkeypatch.setenv("MARAUDE_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"
    monkeypatch.delenv("MARAUDE_DB")
    assert str(resolve_db_path(None)) == "maraude.db"
