"""Hostile configuration files (#11, item 10): a clean ConfigError, never a
traceback. Each file of ``tests/data/bad/config/`` is one case; large or deep
payloads are placeholders expanded here, so the repository stays light."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from maraude.cli import cli
from maraude.config import Config, load_config
from maraude.errors import ConfigError
from maraude.sources import load_sources

CASES = sorted((Path(__file__).parents[1] / "data" / "bad" / "config").glob("*.toml"))
PLACEHOLDERS = {
    b"@@DEEP_ARRAY@@": b"[" * 100_000 + b"]" * 100_000,
    b"@@DEEP_INLINE@@": b"{ a = " * 5_000 + b"1" + b" }" * 5_000,
    b"@@HUGE_INT@@": b"9" * 5_000,
    b"@@BIG_STRING@@": b"x" * 2_000_000,
}


def _expand(case: Path, tmp_path: Path) -> Path:
    data = case.read_bytes()
    for mark, payload in PLACEHOLDERS.items():
        data = data.replace(mark, payload)
    out = tmp_path / case.name
    out.write_bytes(data)
    return out


def test_the_corpus_is_there():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_hostile_config_file_is_read_or_refused_cleanly(case, tmp_path):
    path = _expand(case, tmp_path)
    try:
        config = load_config(path)
    except ConfigError as e:
        message = str(e)
    else:
        assert isinstance(config, Config)
        return
    assert str(path) in message  # the message names the file


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_the_cli_never_shows_a_traceback_for_it(case, tmp_path):
    path = _expand(case, tmp_path)
    result = CliRunner().invoke(
        cli, ["--config", str(path), "purge", "--dry-run", "--db", str(tmp_path / "m")]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_the_same_bytes_as_a_sources_file_are_refused_cleanly(case, tmp_path):
    path = _expand(case, tmp_path)
    with contextlib.suppress(ConfigError):
        load_sources(path)


def test_a_folder_given_as_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config(tmp_path)
