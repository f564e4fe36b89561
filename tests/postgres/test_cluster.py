"""The throwaway cluster's own checks (no server needed)."""

from __future__ import annotations

import pytest

from tests.postgres import cluster


def test_without_postgresql_the_reason_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(cluster, "DEBIAN_ROOT", tmp_path / "absent")
    monkeypatch.setattr(cluster.shutil, "which", lambda name: None)
    with pytest.raises(cluster.ClusterUnavailable, match="apt-get install postgresql"):
        cluster.find_bindir()


def test_the_newest_debian_version_is_chosen(monkeypatch, tmp_path):
    for version in ("13", "15", "9"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        (bindir / "pg_ctl").write_text("")
    monkeypatch.setattr(cluster, "DEBIAN_ROOT", tmp_path)
    assert cluster.find_bindir() == tmp_path / "15" / "bin"
