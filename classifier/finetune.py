"""Fine-tune multilingual-e5-small on our labels with LoRA, on CPU.

The converted encoder (:mod:`classifier.e5convert`) gets LoRA adapters (``peft``)
on the attention query and value of its top layers, and a small multi-task head
(one logit per label: distress, crisis, rights) on the mean-pooled last hidden
states. Only the adapters and that head learn; the loss is a binary
cross-entropy per label, weighted for the rarer positives, and ignores unknown
labels. Posts are cut to ``max_length`` tokens, head and tail kept.

What is saved (``out_dir``) is small: the adapter (``adapter_model.safetensors``
+ ``adapter_config.json``, about 0.2 MB at r 8 on 4 layers) and ``tuning.json``
(options, labels, wall time). The scikit-learn heads are then fitted on the
tuned encoder's embeddings like on any other embedder
(:class:`classifier.onnx_encoder.E5Embedder`).

    python -m classifier.finetune --out DIR [--epochs 1] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from maraude.errors import InputError, ModelNotFoundError

logger = logging.getLogger(__name__)

TUNED_LABELS = ("distress", "crisis", "rights")
ADAPTER_FILE = "adapter_model.safetensors"


@dataclass(frozen=True)
class TuneOptions:
    """How the encoder is fine-tuned (saved in ``tuning.json``)."""

    max_length: int = 128
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    top_layers: int = 4
    epochs: int = 1
    batch_size: int = 16
    lr: float = 5e-4
    head_lr: float = 2e-3
    max_pos_weight: float = 8.0
    seed: int = 0


def head_tail(ids: Sequence[int], keep: int) -> list[int]:
    """``ids`` cut to ``keep`` tokens: the first ~2/3 and the last ~1/3."""
    ids = list(ids)
    if len(ids) <= keep:
        return ids
    head = (2 * keep) // 3
    return ids[:head] + ids[len(ids) - (keep - head) :]


class TokenCutter:
    """Tokenise ``prefix + text``, keep head and tail, add ``<s>``/``</s>``."""

    def __init__(self, tokenizer: Any, max_length: int, prefix: str = "") -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.prefix = prefix
        self.bos = tokenizer.token_to_id("<s>")
        self.eos = tokenizer.token_to_id("</s>")
        self.pad = tokenizer.token_to_id("<pad>")

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text (a long text: its first and last characters)."""
        cut = [t if len(t) <= 4000 else t[:2600] + " " + t[-1400:] for t in texts]
        encs = self.tokenizer.encode_batch(
            [self.prefix + t for t in cut], add_special_tokens=False
        )
        keep = self.max_length - 2
        return [[self.bos, *head_tail(e.ids, keep), self.eos] for e in encs]

    def batch(self, rows: Sequence[Sequence[int]]) -> tuple[Any, Any]:
        """Padded ``input_ids`` and ``attention_mask`` int64 arrays."""
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return ids, mask


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean of the hidden states over the real tokens (torch or numpy)."""
    m = mask[..., None].astype(hidden.dtype) if hasattr(mask, "astype") else None
    if m is None:  # torch
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    return (hidden * m).sum(1) / np.maximum(m.sum(1), 1.0)


def load_base(base_dir: str | Path) -> tuple[Any, Any]:
    """The converted ``BertModel`` (eval mode) and its ``tokenizers`` tokenizer."""
    from tokenizers import Tokenizer
    from transformers import BertModel

    base = Path(base_dir)
    if not (base / "tokenizer.json").is_file():
        raise ModelNotFoundError(
            f"No converted encoder in {base}: run python -m classifier.e5convert."
        )
    model = BertModel.from_pretrained(base, add_pooling_layer=False)
    return model.eval(), Tokenizer.from_file(str(base / "tokenizer.json"))


def load_tuned(base_dir: str | Path, adapter_dir: str | Path | None) -> tuple[Any, Any]:
    """The base encoder with the adapter merged in (or alone when ``None``)."""
    model, tokenizer = load_base(base_dir)
    if adapter_dir is None:
        return model, tokenizer
    from peft import PeftModel

    if not (Path(adapter_dir) / ADAPTER_FILE).is_file():
        raise ModelNotFoundError(
            f"No fine-tuned adapter in {adapter_dir}: train one with "
            "maraude train --embedder e5-tuned."
        )
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    return merged.eval(), tokenizer


def _targets(labels: Sequence[Sequence[int | None]]) -> np.ndarray:
    out = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in labels],
        dtype=np.float32,
    )
    if out.ndim != 2 or out.shape[1] != len(TUNED_LABELS):
        raise InputError(f"labels must be rows of {len(TUNED_LABELS)} values")
    return out


def _pos_weight(y: np.ndarray, cap: float) -> np.ndarray:
    known = ~np.isnan(y)
    pos = np.nansum(y, axis=0)
    neg = known.sum(0) - pos
    return np.clip(neg / np.maximum(pos, 1.0), 1.0, cap).astype(np.float32)


def _lora(model: Any, options: TuneOptions) -> Any:
    from peft import LoraConfig, get_peft_model

    n_layers = model.config.num_hidden_layers
    top = max(1, min(options.top_layers, n_layers))
    config = LoraConfig(
        r=options.lora_r,
        lora_alpha=options.lora_alpha,
        lora_dropout=options.lora_dropout,
        target_modules=["query", "value"],
        layers_to_transform=list(range(n_layers - top, n_layers)),
        layers_pattern="layer",
    )
    return get_peft_model(model, config)


def _length_batches(
    rows: Sequence[Sequence[int]], size: int, rng: random.Random
) -> list[list[int]]:
    """Batches of texts of similar lengths (less padding), in random order."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i]), rng.random()))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _optimiser(params: list[Any], head: Any, opts: TuneOptions, total: int) -> Any:
    """AdamW (adapters, head) with a 10 % linear warm-up then a linear decay."""
    import torch

    optim = torch.optim.AdamW(
        [
            {"params": params, "lr": opts.lr},
            {"params": head.parameters(), "lr": opts.head_lr},
        ],
        weight_decay=0.01,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim,
        lambda s: min(1.0, (s + 1) / max(1, total // 10)) * max(0.0, 1 - s / total),
    )
    return optim, sched


def _loss(model: Any, head: Any, loss_fn: Any, ids: Any, mask: Any, y: Any) -> Any:
    """Masked multi-label loss of one batch (unknown labels count for nothing)."""
    import torch

    ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
    hidden = model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
    logits = head(mean_pool(hidden, mask_t))
    target = torch.from_numpy(y)
    known = ~torch.isnan(target)
    raw = loss_fn(logits, torch.nan_to_num(target)) * known
    return raw.sum() / known.sum().clamp(min=1)


def _save(model: Any, out: Path, info: dict[str, Any]) -> None:
    model.save_pretrained(out)
    (out / "README.md").unlink(missing_ok=True)  # peft's template card
    (out / "tuning.json").write_text(json.dumps(info, indent=2))


def finetune(
    texts: Sequence[str],
    labels: Sequence[Sequence[int | None]],
    base_dir: str | Path,
    out_dir: str | Path,
    *,
    options: TuneOptions | None = None,
    progress: bool = True,
    max_steps: int | None = None,
    checkpoint_every: int = 0,
) -> Path:
    """Train LoRA adapters + a multi-task head; save the adapter to ``out_dir``.

    ``labels`` holds one row per text: (distress, crisis, rights), each 0, 1 or
    None (unknown: not in the loss). ``max_steps`` stops early (tests);
    ``checkpoint_every`` N steps the adapter is also saved to ``out_dir``.
    """
    import torch
    from tqdm import tqdm

    opts = options or TuneOptions()
    if len(texts) != len(labels) or not texts:
        raise InputError("finetune needs as many label rows as texts, and some texts")
    started = time.perf_counter()
    torch.manual_seed(opts.seed)
    rng = random.Random(opts.seed)
    base, tokenizer = load_base(base_dir)
    length = min(opts.max_length, base.config.max_position_embeddings)
    cutter = TokenCutter(tokenizer, length, _prefix(base_dir))
    rows, y = cutter.ids(texts), _targets(labels)
    model = _lora(base, opts)
    head = torch.nn.Linear(base.config.hidden_size, len(TUNED_LABELS))
    weights = torch.from_numpy(_pos_weight(y, opts.max_pos_weight))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weights, reduction="none")
    params = [p for p in model.parameters() if p.requires_grad]
    total = math.ceil(len(rows) / opts.batch_size) * opts.epochs
    total = total if max_steps is None else min(max_steps, total)
    optim, sched = _optimiser(params, head, opts, total)
    model.train()
    bar = tqdm(total=total, desc="affinage e5", unit="lot", disable=not progress)
    losses: list[float] = []
    info = {
        "options": asdict(opts),
        "labels": list(TUNED_LABELS),
        "n_texts": len(texts),
    }
    while len(losses) < total:
        for idx in _length_batches(rows, opts.batch_size, rng)[: total - len(losses)]:
            ids, mask = cutter.batch([rows[i] for i in idx])
            loss = _loss(model, head, loss_fn, ids, mask, y[idx])
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.update(1)
            bar.set_postfix(perte=f"{np.mean(losses[-20:]):.3f}")
            if checkpoint_every and len(losses) % checkpoint_every == 0:
                _save(model, Path(out_dir), info | {"steps": len(losses)})
    bar.close()
    seconds = round(time.perf_counter() - started, 1)
    info |= {
        "steps": len(losses),
        "final_loss": round(float(np.mean(losses[-20:])), 4),
        "seconds": seconds,
    }
    _save(model, Path(out_dir), info)
    logger.info(
        "fine-tuned %d steps on %d texts in %.0f s", len(losses), len(texts), seconds
    )
    return Path(out_dir)


def _prefix(base_dir: str | Path) -> str:
    meta = Path(base_dir) / "maraude.json"
    if meta.is_file():
        return str(json.loads(meta.read_text()).get("prefix", ""))
    return ""


def main(argv: Sequence[str] | None = None) -> None:
    """Fine-tune on the seed set's training split (never the held-out split)."""
    from classifier.dataset import load_examples, split
    from classifier.e5convert import converted_dir

    parser = argparse.ArgumentParser(prog="python -m classifier.finetune")
    parser.add_argument("--out", required=True, help="adapter folder")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--top-layers", type=int, default=4)
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="at most N steps")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    train_set, _ = split(load_examples())
    finetune(
        [ex.text for ex in train_set],
        [[ex.label(n) for n in TUNED_LABELS] for ex in train_set],
        converted_dir(),
        args.out,
        options=TuneOptions(
            epochs=args.epochs,
            top_layers=args.top_layers,
            lora_r=args.lora_r,
            lr=args.lr,
            max_length=args.max_length,
        ),
        max_steps=args.limit,
        checkpoint_every=40,
    )


#: ``"adapter": TRAIN_ADAPTER`` in an e5 spec asks ``train`` to fine-tune first.
TRAIN_ADAPTER = "train"


def tune_for_model(
    spec: dict[str, Any], examples: Sequence[Any], model_dir: str | Path
) -> dict[str, Any]:
    """Fine-tune on ``examples`` (the training split) into ``model_dir/encoder``.

    Returns ``spec`` with ``adapter`` pointing at that folder: relative to the
    project root when the model folder is inside it (so it travels with the
    project), else absolute.
    """
    from classifier.e5convert import converted_dir
    from maraude.config import PROJECT_ROOT

    out = (Path(model_dir) / "encoder").resolve()
    finetune(
        [ex.text for ex in examples],
        [[ex.label(n) for n in TUNED_LABELS] for ex in examples],
        spec.get("base") or converted_dir(),
        out,
    )
    try:
        adapter = str(out.relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        adapter = str(out)
    return {**spec, "adapter": adapter}


if __name__ == "__main__":
    main()
