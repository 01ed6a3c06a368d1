"""Faults that are nobody's input: a rebuild killed half-way, a full disk, a read-only data
folder, a store write that never returns, a file rewritten while it is read.

Each leaves the previous index searchable and whole, and the message says what really
happened (never "bygg om" for a full disk). The disk is a real small tmpfs where this machine
may mount one (root in a container that allows it); elsewhere the write error is simulated.
The child processes embed with `tests.fakes.HashEmbeddings`: the store is under test.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from core.errors import StoreError
from core.settings import ROOT, Settings
from core.store import ChunkStore
from ingest.pipeline import ingest
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

DOCS = 6

# The child: a rebuild of the corpus in argv[1] that SIGKILLs itself when it reaches the
# document numbered argv[2] (documents before it are already written to the new generation).
REBUILD_CHILD = """
import os, signal, sys
from pathlib import Path
from ingest.pipeline import ingest
from core.store import ChunkStore
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

tmp, kill_at = Path(sys.argv[1]), int(sys.argv[2])
settings = make_settings(tmp, corpus_dir=tmp / "corpus")
embedder = HashEmbeddings()
store = ChunkStore.open(settings, embedder.model_id, embedder.dimension)

def on_document(i, total, source):
    if i == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

ingest(settings, store, embedder, rebuild=True, on_document=on_document)
"""


def write_corpus(corpus: Path, version: int = 0) -> None:
    folder = corpus / "lokala-rutiner"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(DOCS):
        (folder / f"rutin-{i}.md").write_text(
            f"# Rutin {i}\n\n## Ansvar\n\nRutin {i} version {version} gäller hembesök. "
            f"Handläggaren dokumenterar besöket inom {i + 2} arbetsdagar.\n",
            encoding="utf-8",
        )


def fresh_store(settings: Settings, embedder: HashEmbeddings) -> ChunkStore:
    return ChunkStore.open(settings, embedder.model_id, embedder.dimension)


def searchable(settings: Settings, embedder: HashEmbeddings) -> dict[str, int]:
    """Live documents and their chunk counts, read by a fresh client (as a new app would)."""
    store = fresh_store(settings, embedder)
    try:
        live = store.live_chunks()
        hits = store.query(embedder.embed_query("hembesök arbetsdagar"), k=3)
        assert hits, "nothing is searchable"
        counts: dict[str, int] = {}
        for chunk in live:
            doc = str(chunk.metadata["doc_id"])
            counts[doc] = counts.get(doc, 0) + 1
        assert sum(counts.values()) == store.count()
        return counts
    finally:
        store.close()


@pytest.fixture
def built(tmp_path: Path) -> tuple[Settings, HashEmbeddings, dict[str, int]]:
    write_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, corpus_dir=tmp_path / "corpus")
    embedder = HashEmbeddings()
    store = fresh_store(settings, embedder)
    try:
        assert ingest(settings, store, embedder).ok
    finally:
        store.close()
    return settings, embedder, searchable(settings, embedder)


def test_a_rebuild_killed_half_way_leaves_the_previous_index_whole(built, tmp_path) -> None:
    settings, embedder, before = built
    assert len(before) == DOCS
    write_corpus(settings.corpus_dir, version=1)  # the rebuild has new text to write
    child = subprocess.run(
        [sys.executable, "-c", REBUILD_CHILD, str(tmp_path), "3"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == -9, child.stderr
    # All six documents are still searchable, each whole, in the version before the rebuild.
    assert searchable(settings, embedder) == before
    store = fresh_store(settings, embedder)
    try:
        texts = " ".join(c.text for c in store.live_chunks())
        assert "version 0" in texts and "version 1" not in texts
        report = ingest(settings, store, embedder)  # the next ingest clears the leftovers
        assert report.abandoned_rebuild and report.ok
        assert len(report.updated) == DOCS
        assert store.drop_abandoned_generations() == []
    finally:
        store.close()
    after = searchable(settings, embedder)
    assert after == before


def test_a_completed_rebuild_replaces_the_index_and_leaves_nothing_behind(built) -> None:
    settings, embedder, before = built
    store = fresh_store(settings, embedder)
    try:
        report = ingest(settings, store, embedder, rebuild=True)
        assert report.rebuilt and len(report.added) == DOCS and not report.abandoned_rebuild
        assert store.generation == 1
        names = {c.name for c in store._client.list_collections()}
        assert not any(n in names for n in ("kunskapsguide", "kunskapsguide__documents")), names
    finally:
        store.close()
    assert searchable(settings, embedder) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 48 MB tmpfs, or None where this machine may not mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield None
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Fill the disk to the last byte (unbuffered writes, smaller and smaller)."""
    ballast = disk / f"ballast-{uuid.uuid4().hex}"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return ballast


def test_a_full_disk_is_told_as_such_and_the_index_survives(
    small_disk: Path | None, tmp_path: Path, monkeypatch
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus)
    data = small_disk or tmp_path / "data"
    settings = make_settings(tmp_path, corpus_dir=corpus, data_dir=data)
    embedder = HashEmbeddings()
    store = fresh_store(settings, embedder)
    try:
        assert ingest(settings, store, embedder).ok
        before = {d: r.chunks for d, r in store.documents().items()}
        big = "\n\n".join(
            f"## Del {i}\n\nNy lång rutin, stycke {i}, om hembesök och ekonomiskt bistånd."
            for i in range(400)
        )
        (corpus / "lokala-rutiner" / "ny.md").write_text(f"# Ny rutin\n\n{big}\n", "utf-8")
        if small_disk is not None:
            ballast = _fill(small_disk)
        else:  # simulated: the first chunk write fails as a full disk does

            def full(**kwargs: object) -> None:
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(store._chunks, "upsert", full)
        with pytest.raises(StoreError) as err:
            ingest(settings, store, embedder)
        message = str(err.value)
        assert "full" in message and "--rebuild" not in message, message
        assert "fortfarande att söka i" in message
        if small_disk is not None:
            ballast.unlink()
        else:
            monkeypatch.undo()
    finally:
        store.close()
    # The previous version is whole and searchable, and with room again the update goes in.
    counts = searchable(settings, embedder)
    assert {d: counts[d] for d in before} == before
    store = fresh_store(settings, embedder)
    try:
        report = ingest(settings, store, embedder)
        assert report.ok and report.added == ("lokala-rutiner/ny.md",)
    finally:
        store.close()


def _remount_read_only(mount: Path) -> None:
    """Remount read-only once Chroma's native threads have let go of their open files."""
    SharedSystemClient.clear_system_cache()  # Chroma keeps the database open for reuse
    for _ in range(50):
        gc.collect()
        done = subprocess.run(["mount", "-o", "remount,ro", str(mount)], capture_output=True)
        if done.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError(done.stderr)


def test_a_read_only_data_folder_stays_searchable_and_says_why(
    small_disk: Path | None, tmp_path: Path
) -> None:
    if small_disk is None:
        pytest.skip("a read-only folder needs a mount here (the tests run as root)")
    corpus = tmp_path / "corpus"
    write_corpus(corpus)
    settings = make_settings(tmp_path, corpus_dir=corpus, data_dir=small_disk)
    embedder = HashEmbeddings()
    store = fresh_store(settings, embedder)
    try:
        assert ingest(settings, store, embedder).ok
    finally:
        store.close()
    _remount_read_only(small_disk)
    # Searching works (from a copy of the index); an ingest is refused with the truth.
    assert len(searchable(settings, embedder)) == DOCS
    (corpus / "lokala-rutiner" / "ny.md").write_text("# Ny\n\nNy rutin om hembesök.\n", "utf-8")
    store = fresh_store(settings, embedder)
    try:
        with pytest.raises(StoreError) as err:
            ingest(settings, store, embedder)
    finally:
        store.close()
    message = str(err.value)
    assert "får inte skriva" in message and "--rebuild" not in message, message


def test_a_store_write_that_never_returns_is_reported_in_bounded_time(built) -> None:
    settings, embedder, before = built
    (settings.corpus_dir / "lokala-rutiner" / "rutin-0.md").write_text(
        "# Rutin 0\n\nÄndrad rutin om hembesök.\n", encoding="utf-8"
    )
    store = fresh_store(settings, embedder)
    try:
        store.write_seconds = 1.0
        store._chunks.upsert = lambda **kwargs: time.sleep(30)  # type: ignore[method-assign]
        started = time.monotonic()
        with pytest.raises(StoreError, match="svarade inte inom 1 s"):
            ingest(settings, store, embedder)
        assert time.monotonic() - started < 25  # bounded, not the 30 s of the hung write
    finally:
        store.close()
    assert searchable(settings, embedder) == before


def test_a_file_rewritten_while_it_is_read_is_not_indexed_half_written(
    built, monkeypatch
) -> None:
    from ingest import pipeline

    settings, embedder, before = built
    target = settings.corpus_dir / "lokala-rutiner" / "rutin-1.md"
    target.write_text("# Rutin 1\n\nFörsta halvan av en ny text om hembesök", encoding="utf-8")
    prepare = pipeline.prepare_chunks

    def rewritten_meanwhile(path, meta, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = prepare(path, meta, *args, **kwargs)
        if path == target:  # the coordinator's editor finishes saving while we read
            target.write_text(
                "# Rutin 1\n\nFörsta halvan av en ny text om hembesök, och den andra.\n", "utf-8"
            )
        return result

    monkeypatch.setattr(pipeline, "prepare_chunks", rewritten_meanwhile)
    store = fresh_store(settings, embedder)
    try:
        report = ingest(settings, store, embedder)
        assert [f.source for f in report.failed] == ["lokala-rutiner/rutin-1.md"]
        assert "ändrades medan den lästes" in report.failed[0].reason
        assert store.documents()["lokala-rutiner/rutin-1.md"].chunks == before[
            "lokala-rutiner/rutin-1.md"
        ]
        monkeypatch.undo()
        again = ingest(settings, store, embedder)
        assert again.ok and again.updated == ("lokala-rutiner/rutin-1.md",)
        texts = [c.text for c in store.live_chunks() if c.metadata["doc_id"].endswith("rutin-1.md")]
        assert any("och den andra" in t for t in texts)
    finally:
        store.close()
    assert json.dumps(report.as_dict())  # the report stays serialisable


def test_a_full_disk_during_the_first_model_conversion_is_a_clear_error(
    small_disk: Path | None, tmp_path: Path
) -> None:
    from core.e5convert import ensure_converted
    from core.errors import ModelError

    if small_disk is None:
        pytest.skip("needs a small tmpfs: the converted model is ~120 MB, the disk 48 MB")
    with pytest.raises(ModelError) as err:
        ensure_converted(small_disk / "models")
    message = str(err.value)
    assert "disken är full" in message and "KG_MODELS_DIR" in message, message
    leftovers = [p for p in (small_disk / "models").iterdir() if p.is_dir()]
    assert leftovers == []  # no half-converted model folder
