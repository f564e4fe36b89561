"""PostgreSQL's error details can quote a whole row: they never reach a message."""

from __future__ import annotations

import sqlite3

import pytest

from maraude import db as mdb

POST_WORDS = "mots du message qui ne doivent jamais sortir"


def test_a_failing_row_is_never_quoted_in_the_error(db):
    post = {
        "platform": "reddit",
        "site": "www.reddit.com",
        "source": "s",
        "native_id": "t3_err",
        "text": POST_WORDS,
        "content_hash": None,  # NOT NULL: PostgreSQL's DETAIL quotes the row
    }
    with pytest.raises(sqlite3.IntegrityError) as raised:
        mdb.upsert_post(db, post)
    message = str(raised.value)
    assert "content_hash" in message  # what failed is still said
    assert POST_WORDS not in message
    assert raised.value.sqlstate == "23502"
    # A logged traceback prints the chained errors too: none is attached.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
