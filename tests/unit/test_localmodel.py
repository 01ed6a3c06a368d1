"""Assembling a GGUF file from part packages, with tiny fake part packages on sys.path."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import LLMError
from core.localmodel import GgufParts, LocalLlamaServer, assemble_gguf, parts_installed


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GgufParts]:
    """Three importable packages `kgfakepartN`, each with get_part_path() → data/partNN.bin."""
    chunks = [b"GGUF" + b"a" * 6, b"b" * 10, b"c" * 3]
    for i, chunk in enumerate(chunks, start=1):
        package = tmp_path / "site" / f"kgfakepart{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{i:02d}.bin')\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield GgufParts(
        name="fake.gguf", module="kgfakepart", distribution="kg-fake-part", version="1.0", count=3
    )
    for i in range(1, 4):
        sys.modules.pop(f"kgfakepart{i}", None)


def test_parts_are_joined_in_order_into_the_folder(fake_parts: GgufParts, tmp_path: Path) -> None:
    out = assemble_gguf(tmp_path / "models", fake_parts)
    assert out == tmp_path / "models" / "fake.gguf"
    assert out.read_bytes() == b"GGUF" + b"a" * 6 + b"b" * 10 + b"c" * 3
    assert [p.name for p in out.parent.iterdir()] == ["fake.gguf"]  # no temporary file left


def test_an_assembled_file_is_reused(fake_parts: GgufParts, tmp_path: Path) -> None:
    out = assemble_gguf(tmp_path / "m.gguf", fake_parts)
    mtime = out.stat().st_mtime_ns
    assert assemble_gguf(tmp_path / "m.gguf", fake_parts).stat().st_mtime_ns == mtime


def test_a_truncated_file_is_rebuilt(fake_parts: GgufParts, tmp_path: Path) -> None:
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    assert assemble_gguf(tmp_path / "m.gguf", fake_parts).stat().st_size == 23


def test_a_missing_part_says_what_to_install(fake_parts: GgufParts, tmp_path: Path) -> None:
    parts = GgufParts("x.gguf", "kgfakepart", "kg-fake-part", "1.0", count=4)
    with pytest.raises(LLMError, match=r"kg-fake-part4 saknas.*pip install kg-fake-part1==1\.0"):
        assemble_gguf(tmp_path, parts)
    assert not parts_installed(parts)
    assert parts_installed(fake_parts)


def test_parts_that_are_not_gguf_are_refused(tmp_path: Path, fake_parts: GgufParts) -> None:
    first = Path(__import__("kgfakepart1").get_part_path())
    first.write_bytes(b"NOPE" + b"a" * 6)
    with pytest.raises(LLMError, match="ingen GGUF-fil"):
        assemble_gguf(tmp_path / "m.gguf", fake_parts)
    assert not (tmp_path / "m.gguf").exists()


def test_server_reports_a_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(LLMError, match="finns inte"):
        LocalLlamaServer(tmp_path / "saknas.gguf").start()


def test_server_reports_a_file_llama_cpp_cannot_load(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp")
    bad = tmp_path / "trasig.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    server = LocalLlamaServer(bad, start_timeout=60)
    with pytest.raises(LLMError, match="lokala språkmodellservern"):
        server.start()
    assert not server.running()
