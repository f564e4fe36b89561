"""Privacy edges (#11, item 9): handles in import URLs, personal data inside
URLs and in label exports, URL opt-outs that match share links, DIDs in logs."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli
from maraude.privacy import get_secret


def test_a_tiktok_import_keeps_no_handle_in_the_url(tmp_path):
    from crawlers.imports import import_file

    line = {
        "source_platform": "tiktok.com",
        "item_id": "7301234567890123456",
        "data": {
            "id": "7301234567890123456",
            "desc": "je ne sais pas si j'ai droit à la prime d'activité",
            "createTime": 1733000000,
            "author": {"uniqueId": "loutre_bleue_75"},
        },
    }
    export = tmp_path / "z.ndjson"
    export.write_text(json.dumps(line) + "\n", encoding="utf-8")
    path = tmp_path / "m.db"
    result = import_file(export, "tiktok-manual", path, get_secret())
    assert result.new == 1
    database = mdb.open_db(path)
    (url,) = database.execute("SELECT url FROM posts").fetchone()
    database.close()
    assert url == "https://www.tiktok.com/@/video/7301234567890123456"
    assert "loutre" not in url


def test_export_labels_carries_no_email_or_phone_even_inside_urls(tmp_path):
    path = tmp_path / "m.db"
    database = mdb.open_db(path)
    mdb.add_label(
        database,
        {
            "text": "écrivez-moi https://ex.fr/c?mail=jean.dupont@example.org "
            "ou https://wa.me/33612345678 ou mailto:lea.martin@example.org",
            "distress": 1,
        },
        "mod",
        "manual",
    )
    database.close()
    result = CliRunner().invoke(cli, ["export", "labels", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "jean.dupont" not in result.output
    assert "lea.martin" not in result.output
    assert "33612345678" not in result.output
    assert "https://ex.fr/c?mail=[email]" in result.output


def test_a_share_link_opt_out_purges_the_post(tmp_path):
    path = tmp_path / "m.db"
    database = mdb.open_db(path)
    mdb.upsert_post(
        database,
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "s",
            "native_id": "abc",
            "url": "https://www.reddit.com/r/x/comments/abc/titre/",
            "text": "t",
            "content_hash": "abc",
        },
    )
    database.close()
    share = "https://WWW.reddit.com/r/x/comments/abc/titre?utm_source=share&utm_medium=ios#c"
    runner = CliRunner()
    added = runner.invoke(
        cli, ["optout", "add", share, "--platform", "reddit", "--db", str(path)]
    )
    assert added.exit_code == 0, added.output
    purged = runner.invoke(cli, ["purge", "--db", str(path)])
    assert purged.exit_code == 0, purged.output
    assert "1 of which opted out" in purged.output
    database = mdb.open_db(path)
    assert database.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
    database.close()


def test_bluesky_dids_never_reach_the_log(caplog):
    from scrapy.http import Request, TextResponse

    from crawlers.items import PostItem
    from crawlers.logformatter import PrivacyLogFormatter

    did = "did:plc:z72i7hdynmk6r22z27h6tvur"
    item = PostItem(
        platform="bluesky",
        site="bsky.app",
        source="b",
        native_id=f"at://{did}/app.bsky.feed.post/3k44",
        text="t",
    )
    url = f"https://bsky.app/profile/{did}/post/3k44"
    response = TextResponse(url=url, body=b"{}", request=Request(url))
    formatter = PrivacyLogFormatter()
    lines = []
    for result in (
        formatter.scraped(item, response, None),
        formatter.crawled(Request(url), response, None),
        formatter.dropped(item, ValueError(f"opted out: {did}"), response, None),
    ):
        lines.append(result["msg"] % result["args"])
    logging.getLogger("t").debug("%s", lines)
    assert lines
    assert all("z72i7hdynmk6r22z27h6tvur" not in line for line in lines)
    assert all("did:…" in line for line in lines)
