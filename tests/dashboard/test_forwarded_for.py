"""X-Forwarded-For counts only behind a proxy the admin declared (#11 follow-up)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dashboard import auth
from maraude.config import load_config
from maraude.errors import ConfigError


@pytest.fixture
def request_from(monkeypatch):
    """Pretend a Streamlit request from ``peer`` carrying ``header``."""

    def make(peer: str, header: str | None) -> None:
        headers = {} if header is None else {"X-Forwarded-For": header}
        context = SimpleNamespace(headers=headers, ip_address=peer)
        monkeypatch.setattr(auth, "st", SimpleNamespace(context=context))

    return make


def test_without_a_proxy_the_header_is_ignored(request_from):
    request_from("203.0.113.7", "198.51.100.1")
    assert auth.client_key() == "203.0.113.7"
    assert auth.client_key(trust_proxy=False) == "203.0.113.7"


def test_behind_a_declared_proxy_the_first_forwarded_address_counts(request_from):
    request_from("127.0.0.1", " 198.51.100.1 , 10.0.0.2")
    assert auth.client_key(trust_proxy=True) == "198.51.100.1"
    request_from("127.0.0.1", None)  # the proxy sent none: the peer
    assert auth.client_key(trust_proxy=True) == "127.0.0.1"


def test_a_forwarded_address_is_bounded():
    assert auth.forwarded_client("x" * 500) == "x" * 64
    assert auth.forwarded_client(" , 1.2.3.4") is None
    assert auth.forwarded_client(None) is None


def test_trust_proxy_is_off_by_default_and_set_in_the_config(tmp_path):
    assert load_config(None).dashboard.trust_proxy is False
    own = tmp_path / "maraude.toml"
    own.write_text("[dashboard]\ntrust_proxy = true\n", encoding="utf-8")
    assert load_config(own).dashboard.trust_proxy is True
    own.write_text('[dashboard]\ntrust_proxy = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="trust_proxy"):
        load_config(own)
