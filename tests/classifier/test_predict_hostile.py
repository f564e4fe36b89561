"""``maraude predict`` against hostile lines (issue #11, item 5).

One output line per well-formed input line, in order; a malformed line gets no
output, an error naming its line number, and exit 1 at the end. A stub model
stands in for the classifier: the line reader is what is tested here.
"""

from __future__ import annotations

import io
import json
import math
import tracemalloc
from typing import Any

import pytest
from click.testing import CliRunner

from classifier.run import predict_stream
from maraude.cli import cli
from maraude.lines import MAX_LINE_BYTES, bounded_lines
from tests.crawlers.hostile_cases import cases, load


class StubModel:
    """``predict_texts`` as the real model shapes it; NaN for the text "nan"."""

    def predict_texts(self, texts: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "distress": math.nan if text == "nan" else 0.5,
                "crisis": 0.0,
                "rights": 0.1,
                "labels": [],
            }
            for text in texts
        ]


GOOD = b'{"id": "ok", "text": "je sais pas si j ai droit au rsa"}'
# Each file of tests/data/bad/predict/ is one malformed line.
HOSTILE = cases("predict")


def _run(lines: list[bytes]) -> tuple[int, list[dict], list[str]]:
    stream = io.BytesIO(b"\n".join(lines) + b"\n")
    out, err = io.StringIO(), io.StringIO()
    errors = predict_stream(StubModel(), stream, out, err, batch_size=2)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    return errors, rows, err.getvalue().splitlines()


def test_the_corpus_has_its_cases():
    assert len(HOSTILE) >= 26


@pytest.mark.parametrize("case", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_a_malformed_line_costs_no_good_line(case):
    line = load(case).rstrip(b"\n")
    assert b"\n" not in line
    errors, rows, messages = _run([GOOD, line, GOOD])
    assert errors == 1, messages
    assert [r["id"] for r in rows] == ["ok", "ok"]
    assert len(messages) == 1
    assert messages[0].startswith("line 2: ")


def test_every_output_line_is_strict_json():
    errors, _rows, messages = _run([GOOD, b'{"id": 2, "text": "nan"}', GOOD])
    assert errors == 1
    assert messages[0].startswith("line 2: ")
    stream = io.BytesIO(GOOD + b"\n" + b'{"text": "nan"}\n')
    out, err = io.StringIO(), io.StringIO()
    predict_stream(StubModel(), stream, out, err)
    for line in out.getvalue().splitlines():
        json.loads(line, parse_constant=pytest.fail)  # NaN/Infinity would fail


def test_ids_keep_their_type_and_default_to_the_line_number():
    errors, rows, _ = _run(
        [b'{"id": 7, "text": "a"}', b'{"id": 1.5, "text": "b"}', b'{"text": "c"}']
    )
    assert errors == 0
    assert [r["id"] for r in rows] == [7, 1.5, 3]


def test_a_bom_and_crlf_line_endings_are_accepted():
    errors, rows, _ = _run([b'\xef\xbb\xbf{"text": "a"}\r', b'{"text": "b"}\r'])
    assert (errors, [r["id"] for r in rows]) == (0, [1, 2])


class Endless(io.RawIOBase):
    """``size`` bytes of one line, produced on demand, then a good line."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.tail = b"\n" + GOOD + b"\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.left > 0:
            n = min(len(buffer), self.left)
            buffer[:n] = b"a" * n
            self.left -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n] = self.tail[:n]
        self.tail = self.tail[n:]
        return n


def test_a_50_mb_line_is_rejected_without_reading_it_whole():
    stream = io.BufferedReader(Endless(50 * 1024 * 1024))
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    try:
        errors = predict_stream(StubModel(), stream, out, err)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert errors == 1
    assert err.getvalue().startswith("line 1: longer than 1 MB")
    assert [json.loads(x)["id"] for x in out.getvalue().splitlines()] == ["ok"]
    assert peak < 4 * MAX_LINE_BYTES  # not 50 MB


def test_a_line_of_exactly_the_limit_is_read():
    line = b'{"text": "' + b"a" * (MAX_LINE_BYTES - 12) + b'"}'
    assert len(line) == MAX_LINE_BYTES
    assert [n for n, x in bounded_lines(io.BytesIO(line + b"\n")) if x] == [1]
    assert [x for _, x in bounded_lines(io.BytesIO(line + b"a\n"))] == [None]


def test_the_cli_exits_1_after_every_good_line(monkeypatch):
    from maraude.cli import classifying

    monkeypatch.setattr(classifying, "load_model", lambda *a, **k: StubModel())
    invalid_utf8 = b'{"text": "caf\xe9"}'
    data = b"\n".join([GOOD, invalid_utf8, b'{"id": NaN, "text": "x"}', GOOD])
    result = CliRunner().invoke(cli, ["predict"], input=data)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["ok", "ok"]
    assert "line 2: invalid UTF-8" in result.stderr
    assert "line 3: NaN is not a JSON number" in result.stderr


def test_a_text_stream_is_read_too():
    out, err = io.StringIO(), io.StringIO()
    text = io.StringIO('{"text": "a"}\nnot json\n{"id": "b", "text": "b"}\n')
    assert predict_stream(StubModel(), text, out, err) == 1
    assert [json.loads(x)["id"] for x in out.getvalue().splitlines()] == [1, "b"]
    assert err.getvalue().startswith("line 2: ")
