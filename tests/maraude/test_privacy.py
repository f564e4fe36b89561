from __future__ import annotations

import pytest

from maraude.errors import SecretMissingError
from maraude.privacy import author_hash, get_secret, mask_text

SECRET = "s" * 32


def test_author_hash_is_keyed_and_per_platform():
    a = author_hash(SECRET, "reddit", "www.reddit.com", "Loutre_75")
    assert a == author_hash(SECRET, "reddit", "www.reddit.com", "loutre_75")
    assert a != author_hash(SECRET, "mastodon", "mastodon.social", "loutre_75")
    assert a != author_hash("t" * 32, "reddit", "www.reddit.com", "loutre_75")
    assert "loutre" not in a
    assert len(a) == 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("écrivez à jean.dupont@example.org svp", "écrivez à [email] svp"),
        ("appelle le 06 12 34 56 78", "appelle le [téléphone]"),
        ("ou +33 6 12 34 56 78 !", "ou [téléphone] !"),
        ("0612345678", "[téléphone]"),
        ("merci @lou_75 !", "merci @[user] !"),
        ("cc @bob@mastodon.social", "cc @[user]"),
        ("IBAN FR76 3000 6000 0112 3456 7890 189", "IBAN [iban]"),
    ],
)
def test_mask_text(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "j'ai 1200 euros par mois et un loyer de 650",
        "le 12/03/2024 à 15h, dossier n° 2024",
        "voir https://www.reddit.com/user/loutre_75/ et https://x.fr/@bob",
        "code postal 75018",
    ],
)
def test_mask_text_keeps_what_is_not_personal(text):
    assert mask_text(text) == text


def test_secret_is_required_and_explained(monkeypatch):
    monkeypatch.delenv("MARAUDE_SECRET")
    with pytest.raises(SecretMissingError, match="MARAUDE_SECRET is not set"):
        get_secret()
    assert len(get_secret(allow_generate=True)) >= 32
    monkeypatch.setenv("MARAUDE_SECRET", "short")
    with pytest.raises(SecretMissingError, match="too short"):
        get_secret()


def test_an_optout_entry_matches_what_the_crawler_hashes():
    from crawlers.items import PostItem
    from crawlers.pipelines import pseudonymise_item
    from maraude.privacy import optout_entry

    kind, hashed = optout_entry(SECRET, "@Loutre_75", "reddit")
    assert kind == "author"
    post = PostItem(
        platform="reddit",
        site="www.reddit.com",
        source="s",
        native_id="1",
        text="x",
        author="loutre_75",
    )
    assert not pseudonymise_item(post, SECRET, {hashed})  # dropped: opted out
    url = "https://www.reddit.com/r/x/comments/1/"
    kind, hashed = optout_entry(SECRET, url, "reddit")
    assert kind == "url"
    post = PostItem(
        platform="reddit",
        site="www.reddit.com",
        source="s",
        native_id="1",
        text="x",
        url=url,
    )
    assert not pseudonymise_item(post, SECRET, {hashed})


def test_after_a_key_rotation_old_optout_entries_still_match(monkeypatch):
    from crawlers.items import PostItem
    from crawlers.pipelines import pseudonymise_item
    from maraude.privacy import old_secrets, optout_entry

    old, new = "o" * 32, "n" * 32
    _, entry = optout_entry(old, "loutre_75", "reddit")  # registered before
    monkeypatch.setenv("MARAUDE_OLD_SECRETS", f"{old}, ")
    assert old_secrets() == [old]

    def post():
        return PostItem(
            platform="reddit",
            site="www.reddit.com",
            source="s",
            native_id="1",
            text="x",
            author="loutre_75",
        )

    assert pseudonymise_item(post(), new, {entry})  # new key alone: missed
    item = post()
    assert not pseudonymise_item(item, new, {entry}, old_secrets())  # honoured
    assert item.author_hash == author_hash(new, "reddit", "www.reddit.com", "loutre_75")


# -- issue #11, item 9: personal data inside URLs; opt-out URL normalisation ------


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("voir https://ex.fr/contact?mail=jean.dupont@example.org ok", "jean.dupont"),
        ("https://ex.fr/c?to=jean.dupont%40example.org", "jean.dupont"),
        ("mailto:jean.dupont@example.org", "jean.dupont"),
        ("https://ex.fr/rappel?tel=0612345678", "0612345678"),
        ("https://ex.fr/rappel?tel=06.12.34.56.78&x=1", "06.12.34.56.78"),
        ("écris https://wa.me/33612345678", "33612345678"),
        ("tel:+33612345678", "33612345678"),
        ("https://ex.fr/a?n=%2B33612345678", "33612345678"),
    ],
)
def test_mask_text_masks_emails_and_phones_inside_urls(text, leaked):
    assert leaked not in mask_text(text)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.reddit.com/r/france/comments/1abc234/titre/",
        "https://forum.example.fr/viewtopic.php?t=123456&p=7654321",
        "https://t.me/canal/1234567890",
        "https://x.com/i/status/1876543210987654321",
    ],
)
def test_mask_text_keeps_post_urls_whole(url):
    assert mask_text(f"voir {url} merci") == f"voir {url} merci"


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.reddit.com/r/x/comments/abc/titre/?utm_source=share&utm_medium=web",
        "https://www.reddit.com/r/x/comments/abc/titre/#comment",
        "https://www.reddit.com/r/x/comments/abc/titre",
        "HTTPS://WWW.Reddit.com/r/x/comments/abc/titre/",
        " https://www.reddit.com/r/x/comments/abc/titre/?fbclid=XYZ&share_id=1 ",
    ],
)
def test_url_optout_matches_share_links_both_ways(variant):
    from maraude.privacy import url_hash

    clean = "https://www.reddit.com/r/x/comments/abc/titre/"
    assert url_hash(SECRET, variant) == url_hash(SECRET, clean)


def test_url_normalisation_keeps_meaningful_query_parameters():
    from maraude.privacy import url_hash

    a = "https://forum.example.fr/viewtopic.php?t=1&p=2"
    b = "https://forum.example.fr/viewtopic.php?t=1&p=3"
    assert url_hash(SECRET, a) != url_hash(SECRET, b)
    assert url_hash(SECRET, a) == url_hash(SECRET, a + "&utm_campaign=z#p2")
