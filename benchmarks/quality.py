"""Quality of a model on text we wrote and on text we did not write.

Prints markdown tables, ready for the model card and docs/benchmarks.md:

* per label (precision, recall, F1, PR-AUC) and what a worker would see
  (negatives made leads, negatives labelled crisis per level, crisis recall per
  level, first right correct) on the seed held-out split, the blind crisis set
  (``classifier/data/blind/``), and the real dev set
  (``../shared/data/real-fr/dev.jsonl``, all items and the agreed ones);
* the real dev set per ``kind`` (testimony, news, fiction…);
* false alarms on French text written by others and not about distress
  (emodift-fr tweets, xed-fr film subtitles): the share made leads and labelled
  crisis;
* with ``--dreaddit`` (slow: about 1 minute on a quiet 2-core machine, 7 under
  load), a model trained on Dreaddit's train split with our own training
  function (``--held-out-share 0``, distress = Dreaddit's stress label) and
  scored on its test split; ``make bench`` includes it.

The rest takes about 1.5 minutes of CPU (4 minutes under load), mostly the
7,556 subtitles of xed-fr.

Sets under ``../shared`` are skipped, with the reason, when absent. No text is
printed, only figures.

    python -m benchmarks.quality [--model DIR] [--dreaddit] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maraude.config import PROJECT_ROOT

DATA = PROJECT_ROOT.parent / "shared" / "data"
REAL_DEV = DATA / "real-fr" / "dev.jsonl"
DREADDIT = DATA / "dreaddit"
BLIND_DIR = PROJECT_ROOT / "classifier" / "data" / "blind"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "default"
LABELS = ("distress", "crisis", "rights", "minor")


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share:.1%}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _strip(result: dict[str, Any]) -> dict[str, Any]:
    """The figures without the worst errors (they quote texts)."""
    out = {k: v for k, v in result.items() if k != "worst_errors"}
    if "agreed" in out:
        out["agreed"] = _strip(out["agreed"])
    return out


def labelled_sets(model: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Figures per labelled set, and the reasons of the sets skipped."""
    from classifier.dataset import load_examples, load_jsonl, split
    from classifier.evaluate import evaluate_examples

    out: dict[str, dict[str, Any]] = {}
    skipped = []
    out["seed held-out split"] = evaluate_examples(model, split(load_examples())[1])
    blind = [
        ex for path in sorted(BLIND_DIR.glob("*.jsonl")) for ex in load_jsonl(path)
    ]
    out["blind crisis set"] = evaluate_examples(model, blind)
    if REAL_DEV.is_file():
        real = evaluate_examples(model, load_jsonl(REAL_DEV))
        out["real dev (all)"] = real
        if "agreed" in real:
            out["real dev (agreed)"] = real["agreed"]
    else:
        skipped.append(
            f"real dev set: {REAL_DEV} is absent (put shared/ next to the project)"
        )
    return {k: _strip(v) for k, v in out.items()}, skipped


def false_alarms(model: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Share of emodift-fr / xed-fr texts made leads and labelled crisis."""
    from benchmarks.french import emodift, xed
    from classifier.metrics import crisis_level, is_lead

    loaders: dict[str, Callable[[], tuple[list[str], Any]]] = {
        "emodift-fr (tweets)": emodift,
        "xed-fr (film subtitles)": xed,
    }
    out, skipped = {}, []
    for name, loader in loaders.items():
        try:
            texts, _ = loader()
        except FileNotFoundError as e:
            skipped.append(f"{name}: {e.filename} is absent")
            continue
        started = time.perf_counter()
        preds = model.predict_texts(texts)
        levels = [crisis_level(p) for p in preds]
        n = len(preds)
        out[name] = {
            "n": n,
            "lead_share": round(sum(map(is_lead, preds)) / n, 4),
            "crisis": {
                lv: round(sum(x == lv for x in levels) / n, 4)
                for lv in ("sure", "possible")
            }
            | {"either": round(sum(x is not None for x in levels) / n, 4)},
            "seconds": round(time.perf_counter() - started, 1),
        }
    return out, skipped


def dreaddit() -> dict[str, Any]:
    """Train on Dreaddit's train split with our training function, score its
    test split (distress = stress). Raises FileNotFoundError when absent."""
    from classifier.evaluate import evaluate
    from classifier.store import load_model
    from classifier.train import TrainOptions, train

    train_csv, test_csv = (
        DREADDIT / "dreaddit-train.csv",
        DREADDIT / "dreaddit-test.csv",
    )
    for path in (train_csv, test_csv):
        if not path.is_file():
            raise FileNotFoundError(path)
    mapping = {"text_col": "text", "label_col": "label", "label_name": "distress"}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        options = TrainOptions(
            data_files=[train_csv],
            out_dir=Path(tmp) / "model",
            held_out_share=0.0,
            **mapping,
        )
        out = train(options)
        trained = time.perf_counter() - started
        result = evaluate(load_model(out), test_csv, **mapping)
    return {
        "n": result["n"],
        **result["labels"]["distress"],
        "train_seconds": round(trained, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def label_table(sets: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| set | n | label | positives | precision | recall | F1 | PR-AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in sets.items():
        for label in LABELS:
            m = r["labels"].get(label)
            if m:
                lines.append(
                    f"| {name} | {r['n']} | {label} | {m['positives']} | "
                    f"{_num(m['precision'])} | {_num(m['recall'])} | {_num(m['f1'])} | "
                    f"{_num(m['pr_auc'])} |"
                )
    return lines


def worker_table(sets: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| set | negatives | made leads | labelled crisis: sure / possible / either "
        "| crises | crisis recall: sure / either | first right correct |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in sets.items():
        neg, rec, first = r["negatives"], r["crisis_recall"], r["first_right"]
        c = neg["crisis"]
        first_cell = (
            "–" if not first["n"] else f"{_num(first['share'])} (n = {first['n']})"
        )
        lines.append(
            f"| {name} | {neg['n']} | {_pct(neg['lead_share'])} | "
            f"{_pct(c['sure']['share'])} / {_pct(c['possible']['share'])} / "
            f"{_pct(c['either']['share'])} | {rec['n']} | {_num(rec['sure'])} / "
            f"{_num(rec['either'])} | {first_cell} |"
        )
    return lines


def kind_table(real: dict[str, Any], agreed: dict[str, Any] | None) -> list[str]:
    """Per kind, all items and (in brackets) the agreed ones."""
    lines = [
        "| kind | n | negatives | made leads | labelled crisis | distress recall |",
        "|---|---|---|---|---|---|",
    ]
    other = (agreed or {}).get("kinds", {})

    def cell(k: dict[str, Any], a: dict[str, Any] | None, key: str, fmt: Any) -> str:
        text = fmt(k[key])
        return text if a is None else f"{text} ({fmt(a[key])})"

    for kind, k in real["kinds"].items():
        a = other.get(kind)
        n = str(k["n"]) if a is None else f"{k['n']} ({a['n']})"
        recall = cell(k, a, "distress_recall", _num)
        lines.append(
            f"| {kind} | {n} | {cell(k, a, 'negatives', str)} | "
            f"{cell(k, a, 'lead_share', _pct)} | "
            f"{cell(k, a, 'crisis_share', _pct)} | {recall} |"
        )
    return lines


def markdown(figures: dict[str, Any]) -> str:
    """Every table of :func:`run` as markdown."""
    sets = figures["sets"]
    lines = [
        f"Model `{figures['model']}` (version {figures['version']}), measured "
        f"{figures['date']}.",
        "",
        "Per label:",
        "",
        *label_table(sets),
        "",
        "What a worker would see (negatives: no distress and no right; a lead: any "
        "label passes):",
        "",
        *worker_table(sets),
    ]
    if "real dev (all)" in sets:
        lines += [
            "",
            "Real dev set per kind, all items (agreed items in brackets):",
            "",
            *kind_table(sets["real dev (all)"], sets.get("real dev (agreed)")),
        ]
    if figures["false_alarms"]:
        lines += [
            "",
            "French text by others, not about distress (every text of the set):",
            "",
            "| set | n | made leads | labelled crisis: sure / possible / either |",
            "|---|---|---|---|",
        ]
        for name, f in figures["false_alarms"].items():
            c = f["crisis"]
            lines.append(
                f"| {name} | {f['n']} | {_pct(f['lead_share'])} | "
                f"{_pct(c['sure'])} / {_pct(c['possible'])} / {_pct(c['either'])} |"
            )
    d = figures.get("dreaddit")
    if d:
        lines += [
            "",
            "Dreaddit (English; trained on its train split with `maraude train "
            "--held-out-share 0`, scored on its test split; distress = stress):",
            "",
            "| n (test) | precision | recall | F1 | PR-AUC | time |",
            "|---|---|---|---|---|---|",
            f"| {d['n']} | {_num(d['precision'])} | {_num(d['recall'])} | "
            f"{_num(d['f1'])} | {_num(d['pr_auc'])} | {d['seconds']:.0f} s |",
        ]
    built = figures.get("held_out_when_built")
    if built is not None and built != sets["seed held-out split"]["n"]:
        lines += [
            "",
            f"Note: the seed held-out split had {built} examples when the model was "
            "built; the seed set changed since (the examples added were not trained "
            "on either).",
        ]
    if figures["skipped"]:
        lines += ["", *(f"Skipped: {reason}." for reason in figures["skipped"])]
    return "\n".join(lines)


def run(
    model_dir: str | Path = DEFAULT_MODEL, *, with_dreaddit: bool = False
) -> dict[str, Any]:
    """Measure ``model_dir`` on every set; print the markdown; return the figures."""
    from classifier.store import load_model

    started = time.perf_counter()
    model = load_model(Path(model_dir))
    sets, skipped = labelled_sets(model)
    alarms, more = false_alarms(model)
    figures: dict[str, Any] = {
        "model": _shown(Path(model_dir)),
        "version": model.version_,
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "sets": sets,
        "false_alarms": alarms,
        "skipped": skipped + more,
        "held_out_when_built": model.metadata_.get("training_data", {}).get("n_test"),
    }
    if with_dreaddit:
        try:
            figures["dreaddit"] = dreaddit()
        except FileNotFoundError as e:
            figures["skipped"].append(f"Dreaddit: {e} is absent")
    else:
        figures["skipped"].append(
            "Dreaddit (slow): `python -m benchmarks.quality --dreaddit`"
        )
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(markdown(figures))
    print(f"\n({figures['seconds']:.0f} s)", file=sys.stderr)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="model folder")
    parser.add_argument(
        "--dreaddit",
        action="store_true",
        help="also train and score on Dreaddit (slow)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON after the tables"
    )
    args = parser.parse_args(argv)
    figures = run(args.model, with_dreaddit=args.dreaddit)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
