"""Reading untrusted JSON Lines: bounded lines, strict JSON, plain values.

``maraude predict`` and ``maraude import`` read files and streams written by
others. :func:`bounded_lines` reads a binary stream in chunks, so a line of
gigabytes is skipped (reported as too long) without ever being held whole in
memory. :func:`parse_json_line` turns one line into an object or says, in a
sentence for the user, why it cannot: invalid UTF-8, lone surrogates, ``NaN``
and ``Infinity``, numbers too large, nesting too deep, or not JSON at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import IO, Any

MAX_LINE_BYTES = 1024 * 1024  # 1 MB: a post is a few KB at most
MAX_DEPTH = 64  # a post needs two or three levels
MAX_NUMBER_CHARS = 100  # ids and epochs: 20 digits at most
CHUNK = 64 * 1024

__all__ = ["MAX_LINE_BYTES", "LineError", "bounded_lines", "parse_json_line"]


class LineError(ValueError):
    """One line cannot be read; the message says why, for the user."""


def bounded_lines(
    stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES, chunk: int = CHUNK
) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each line; ``bytes`` is None when too long.

    Reads ``chunk`` bytes at a time: memory stays under ``max_bytes + chunk``
    whatever the input. The line ending is removed (``\\n`` or ``\\r\\n``).
    """
    number = 0
    buffer = bytearray()
    too_long = False
    while True:
        block = stream.read(chunk)
        if not block:
            break
        start = 0
        while True:
            end = block.find(b"\n", start)
            if end < 0:
                if not too_long:
                    buffer += block[start:]
                    if len(buffer) > max_bytes:
                        too_long, buffer = True, bytearray()
                break
            number += 1
            if too_long or len(buffer) + end - start > max_bytes:
                yield number, None
            else:
                buffer += block[start:end]
                yield number, bytes(buffer.removesuffix(b"\r"))
            buffer, too_long, start = bytearray(), False, end + 1
    if buffer or too_long:
        number += 1
        yield number, None if too_long else bytes(buffer.removesuffix(b"\r"))


def _no_constant(name: str) -> Any:
    raise LineError(f"{name} is not a JSON number: write a number or a string")


def _number(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        raise LineError(f"a number of {len(text)} characters: write it as a string")
    value = int(text) if text.lstrip("-").isdigit() else float(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise LineError("a number too large for JSON: write it as a string")
    return value


def _depth(raw: str) -> int:
    """The deepest nesting of brackets outside strings (a cheap pre-check)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _check_strings(value: Any) -> None:
    """Refuse lone surrogates (``\\ud83d`` alone) in keys and strings."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise LineError(
                    "a string holds a lone surrogate (half of an emoji): "
                    "fix the text or drop the line"
                ) from None
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def parse_json_line(line: bytes | str, *, surrogates: bool = False) -> Any:
    """The JSON value of one line, or :class:`LineError` saying why not.

    Strict JSON only: ``NaN``/``Infinity``, numbers over ``MAX_NUMBER_CHARS``
    digits, nesting over ``MAX_DEPTH`` and (unless ``surrogates``) lone
    surrogates are refused; bytes must be UTF-8 (a BOM is allowed).
    """
    if isinstance(line, bytes):
        try:
            text = line.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise LineError(
                f"invalid UTF-8 at byte {e.start + 1}: save the file as UTF-8"
            ) from None
    else:
        text = line.removeprefix("\ufeff")
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise LineError(f"nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_int=_number,
            parse_float=_number,
        )
    except json.JSONDecodeError as e:
        raise LineError(f"invalid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise LineError(f"nested more than {MAX_DEPTH} levels deep") from None
    if not surrogates:
        _check_strings(value)
    return value
