"""Text normalisation: HTML to text, quote marking, own words, dates."""

from __future__ import annotations

import pytest

from crawlers.text import MAX_TEXT_CHARS, html_to_text, iso_date, normalise, own_words


def text(markup: str) -> str:
    return normalise(markup, is_html=True)


def test_blocks_and_breaks_become_lines_and_source_newlines_are_spaces():
    markup = (
        "<p>Bonjour,\n  je suis</p><div>perdue<br>depuis hier</div><ul><li>a</li></ul>"
    )
    assert text(markup) == "Bonjour, je suis\n\nperdue\ndepuis hier\n\na"


def test_scripts_styles_and_buttons_are_dropped():
    markup = "a<script>alert('x')</script><style>p{}</style><button>Citer</button>b"
    assert text(markup) == "ab"


def test_pre_keeps_its_lines_and_cells_are_spaced():
    assert text("<pre>ligne 1\nligne 2</pre>") == "ligne 1\nligne 2"
    assert text("<table><tr><td>RSA</td><td>600 €</td></tr></table>") == "RSA 600 €"


def test_entities_are_decoded_once():
    assert text("<p>R&amp;D &amp;lt;3</p>") == "R&D &lt;3"
    assert normalise("R&amp;D") == "R&D"


def test_nfc_invisible_characters_and_length():
    assert normalise("e\u0301te\u0301\u200b") == "été"
    long = normalise("mot " * MAX_TEXT_CHARS)
    assert len(long) <= MAX_TEXT_CHARS + 4
    assert long.endswith(" […]")


def test_empty_and_comment_only_markup():
    assert html_to_text("") == ""
    assert html_to_text("  ") == ""
    assert text("<!-- rien -->") == ""


QUOTES = {
    "phpbb": (
        '<blockquote cite="./viewtopic.php?p=1#p1"><div><cite><a href="#">Lucie</a>'
        ' a écrit : <span class="responsive-hide">10 mars</span></cite>Je suis'
        " perdue</div></blockquote>Réponse"
    ),
    "phpbb 3.0 / forumotion": (
        "<blockquote><div><cite>Lucie a écrit:</cite>Je suis perdue</div>"
        "</blockquote>Réponse"
    ),
    "vbulletin": (
        '<div class="bbcode_container"><div class="bbcode_quote"><div class="'
        'quote_container"><div class="bbcode_postedby">Zitat von <strong>Lucie'
        '</strong></div><div class="message">Je suis perdue</div></div></div></div>'
        "Réponse"
    ),
    "xenforo": (
        '<blockquote data-quote="Lucie" class="bbCodeBlock bbCodeBlock--expandable'
        ' bbCodeBlock--quote"><div class="bbCodeBlock-title"><a href="#">Lucie '
        'said:</a></div><div class="bbCodeBlock-content"><div class="bbCodeBlock-'
        'expandContent">Je suis perdue</div><div class="bbCodeBlock-expandLink">'
        "<a>Click to expand...</a></div></div></blockquote>Réponse"
    ),
    "smf 2.0": (
        '<div class="quoteheader"><div class="topslice_quote"><a href="#">Citation '
        'de: Lucie le 10 mars</a></div></div><blockquote class="bbc_standard_quote">'
        'Je suis perdue</blockquote><div class="quotefooter"></div>Réponse'
    ),
    "invision": (
        '<blockquote class="ipsQuote" data-ipsquote-username="Lucie"><div class="'
        'ipsQuote_citation">Lucie a dit :</div><div class="ipsQuote_contents">'
        "<p>Je suis perdue</p></div></blockquote><p>Réponse</p>"
    ),
    "discourse": (
        '<aside class="quote" data-username="lucie"><div class="title"><img alt="">'
        " lucie:</div><blockquote><p>Je suis perdue</p></blockquote></aside>"
        "<p>Réponse</p>"
    ),
    "a name line": "<blockquote>Lucie a écrit :<br>Je suis perdue</blockquote>Réponse",
}


@pytest.mark.parametrize("markup", QUOTES.values(), ids=QUOTES.keys())
def test_quotes_are_marked_and_lose_the_quoted_name(markup):
    lines = [line for line in text(markup).split("\n") if line]
    assert lines == ["@[user] a écrit :", "> Je suis perdue", "Réponse"]


def test_a_quote_without_attribution_is_marked_as_a_citation():
    markup = '<blockquote class="uncited"><div>ligne 1<br>ligne 2</div></blockquote>'
    assert text(markup) == "[citation]\n> ligne 1\n> ligne 2"


def test_nested_quotes_get_one_mark_per_level():
    markup = (
        "<blockquote><cite>A a écrit :</cite>dehors"
        "<blockquote><cite>B a écrit :</cite>dedans</blockquote>"
        "après</blockquote>moi"
    )
    assert text(markup) == (
        "@[user] a écrit :\n> dehors\n> @[user] a écrit :\n> > dedans\n> après\nmoi"
    )


def test_a_quote_already_marked_by_a_spider_is_kept_as_it_is():
    markup = "<blockquote>@[user] a écrit :<br>&gt; une ligne</blockquote>moi"
    assert text(markup) == "@[user] a écrit :\n> une ligne\nmoi"


def test_a_vbulletin_post_body_is_not_a_quote():
    assert text('<blockquote class="postcontent restore">Mes mots</blockquote>') == (
        "Mes mots"
    )


def test_a_sentence_quoted_as_first_line_is_kept_when_alone():
    assert text("<blockquote>Il a dit :</blockquote>") == "[citation]\n> Il a dit :"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-09-27T14:51:09+0200", "2018-09-27T12:51:09Z"),
        ("2024-03-12T10:05:00+01:00", "2024-03-12T09:05:00Z"),
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
        ("2024-03-12T08:15:00", "2024-03-12T08:15:00Z"),  # no offset: UTC
        ("Wed, 21 Jan 2026 23:29:42 +0000", "2026-01-21T23:29:42Z"),
        ("Mon, 12 Jan 2026 10:00:00 GMT", "2026-01-12T10:00:00Z"),
        ("1538052669", "2018-09-27T12:51:09Z"),
        (1538052669, "2018-09-27T12:51:09Z"),
        ("03.03.2011, 14:17", None),  # a local text date: no time zone
        ("", None),
        (None, None),
        ("hier", None),
    ],
)
def test_iso_date(value, expected):
    assert iso_date(value) == expected


# -- own words: quotes kept apart, boilerplate dropped --------------------------


def test_own_words_keeps_quotes_apart_for_display():
    own, quoted = own_words(
        text(
            '<blockquote data-quote="Karim_demo"><p>la CAF a répondu ?</p>'
            "</blockquote><p>toujours rien depuis mars</p>"
            "<blockquote><p>et le 115 ?</p></blockquote><p>saturé</p>"
        )
    )
    assert own == "toujours rien depuis mars\n\nsaturé"
    assert (
        quoted == "@[user] a écrit :\n> la CAF a répondu ?\n\n[citation]\n> et le 115 ?"
    )


def test_markdown_quotes_are_quoted_too():
    own, quoted = own_words(normalise("> il a dit ça\n>> et ça\n\nmoi je dis non"))
    assert own == "moi je dis non"
    assert quoted == "> il a dit ça\n>> et ça"


def test_a_post_without_quotes_is_all_its_own():
    assert own_words("je suis à la rue\n\ndepuis lundi") == (
        "je suis à la rue\n\ndepuis lundi",
        "",
    )


@pytest.mark.parametrize(
    "line",
    [
        "Read full topic",
        "Lire la suite…",
        "Continue reading →",
        "Envoyé de mon iPhone",
        "Envoyé depuis mon Samsung Galaxy",
        "Gesendet von meinem SM-G991B mit Tapatalk",
        "Mit der kostenlosen PocketPC.ch App von meinem HD7 T9292 aus geschrieben.",
        "Message édité par @[user] le 12/03/2024 à 10:12",
        "Dernière édition par @[user] le mar. 12 mars 2024, édité 2 fois.",
        "Last edited: Mar 12, 2024",
        "Edited by @[user]",
        "« Last Edit: March 12, 2024, 10:12:03 AM by @[user] »",
        "Pièces jointes",
        "facture.pdf (45.2 Kio) Vu 12 fois",
        "1920×1080 123 KB",
    ],
)
def test_boilerplate_lines_are_dropped(line):
    assert own_words(f"je cherche un hébergement\n{line}") == (
        "je cherche un hébergement",
        "",
    )


@pytest.mark.parametrize(
    "line",
    [
        "je lis la suite demain",
        "envoyé de mon travail à la rue",
        "la facture fait 45 euros",
        "j'ai modifié mon dossier à la CAF",
    ],
)
def test_the_authors_words_are_not_boilerplate(line):
    assert own_words(line) == (line, "")


@pytest.mark.parametrize(
    ("engine", "markup"),
    [
        ("phpbb", '<div class="notice">Dernière édition par X le lun. 3 mars</div>'),
        ("phpbb", '<dl class="attachbox"><dt>Pièces jointes</dt><dd>a.jpg</dd></dl>'),
        ("phpbb", '<div id="sig1" class="signature">Ma signature</div>'),
        ("vbulletin", '<div class="signaturecontainer">Sig</div>'),
        (
            "vbulletin",
            '<blockquote class="postcontent lastedited">Last edited</blockquote>',
        ),
        ("xenforo", '<aside class="message-signature">Sig</aside>'),
        ("xenforo", '<div class="message-lastEdit">Last edited: Mar 3</div>'),
        ("xenforo", '<section class="message-attachments">photo.jpg</section>'),
        ("smf", '<div class="smalltext modified">« Last Edit »</div>'),
        ("smf", '<div class="signature">Sig</div>'),
        ("invision", "<p data-excludequote><strong>Edited by X</strong></p>"),
        ("forumotion", '<div class="signature_div">Sig</div>'),
        ("discourse", '<span class="informations">1920×1080 123 KB</span>'),
        ("discourse", '<div class="onebox-body"><p>Another site\'s text</p></div>'),
    ],
)
def test_engine_boilerplate_markup_is_dropped(engine, markup):
    assert text(f"<p>le dossier est parti</p>{markup}") == "le dossier est parti"


def test_attr_reads_one_attribute_beside_a_malformed_one():
    from parsel import Selector

    from crawlers.text import attr

    page = Selector(text='<div class="m" data-post="c/127"\x01 data-view="x">a</div>')
    (div,) = page.css("div.m")
    assert attr(div, "data-post") == "c/127"
    assert attr(page.css("div.m"), "class") == "m"
    assert attr(page.css("span"), "id") is None
