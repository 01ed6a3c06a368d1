"""Incremental, idempotent indexing of the corpus.

For each document: hash it; unchanged → skip; new or changed → load, clean, chunk, embed, and
swap it in (ChunkStore.put_document is crash-safe); documents gone from the corpus → delete.
A document that fails is reported with its reason and skipped; the rest goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from core.budget import Budget
from core.documents import Chunk, DocumentMeta, LoadedDocument
from core.errors import DocumentError, StoreError
from core.lock import LOCK_TIMEOUT, holding_writer_lock
from core.material import chunk_sentences
from core.settings import Settings
from core.store import ChunkStore, iter_batches, stored_id
from ingest.chunk import chunk_document
from ingest.loaders import content_hash, load_document
from ingest.manifest import discover

SENTENCE_BATCH = 64  # answer sentences embedded per model call

log = logging.getLogger(__name__)


class ChunkEmbedder(Protocol):
    model_id: str
    dimension: int
    passage_token_budget: int

    def count_tokens(self, text: str) -> int: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class Failure:
    source: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # unchanged
    failed: tuple[Failure, ...] = ()
    chunks: int = 0  # live chunks in the index after the run
    embedded_chunks: int = 0  # chunks embedded in this run
    seconds: float = 0.0
    garbage_collected: int = 0
    rebuilt: bool = False
    abandoned_rebuild: bool = False  # an interrupted rebuild's leftovers were dropped

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, object]:
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "skipped": list(self.skipped),
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
            "seconds": round(self.seconds, 2),
            "rebuilt": self.rebuilt,
            "abandoned_rebuild": self.abandoned_rebuild,
        }


@dataclass
class _Run:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    embedded: int = 0


def prepare_chunks(
    path: Path,
    meta: DocumentMeta,
    settings: Settings,
    embedder: ChunkEmbedder,
    raw: bytes | None = None,
) -> tuple[LoadedDocument, list[Chunk]]:
    """Load and chunk one document (no index change); `raw`, when given, are the bytes the
    caller hashed, so what is indexed is what was hashed. Raises DocumentError."""
    budget = Budget(meta.source, settings.document_seconds, settings.document_chars)
    doc = load_document(
        path, meta, max_bytes=int(settings.max_file_mb * 1024 * 1024), raw=raw, budget=budget
    )
    chunks = chunk_document(
        doc,
        count_tokens=embedder.count_tokens,
        token_budget=embedder.passage_token_budget,
        target_tokens=settings.chunk_tokens,
        overlap_tokens=settings.chunk_overlap_tokens,
        budget=budget,
    )
    if not chunks:
        raise DocumentError(
            f"{meta.source}: dokumentet gav ingen text att indexera. Kontrollera filen.",
            path=meta.source,
        )
    return doc, chunks


def index_chunks(
    chunks: list[Chunk], store: ChunkStore, embedder: ChunkEmbedder, batch_size: int, bar: bool
) -> None:
    sentences = [s for c in chunks for s in chunk_sentences(c, stored_id(c))]
    # Overlapping chunks share sentences: each distinct text is embedded once. Sentences are
    # short, so they go in larger batches (the model sorts a batch by length and pads less).
    distinct = list(dict.fromkeys(s.embed_text for s in sentences))
    batches = [
        *iter_batches([c.embed_text for c in chunks], batch_size),
        *iter_batches(distinct, SENTENCE_BATCH),
    ]
    vectors: list[list[float]] = []
    for texts in tqdm(batches, desc=chunks[0].source, unit="batch", leave=False, disable=not bar):
        vectors.extend(embedder.embed_documents(list(texts)))
    by_text = dict(zip(distinct, vectors[len(chunks) :], strict=True))
    store.put_document(
        chunks, vectors[: len(chunks)], sentences, [by_text[s.embed_text] for s in sentences]
    )


def ingest(
    settings: Settings,
    store: ChunkStore,
    embedder: ChunkEmbedder,
    *,
    rebuild: bool = False,
    progress: bool = False,
    on_document: Callable[[int, int, str], None] | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> IngestReport:
    """Bring the index in line with the corpus. Holds the writer lock while it runs."""
    with holding_writer_lock(settings, lock_timeout):
        return _ingest_locked(settings, store, embedder, rebuild, progress, on_document)


def _ingest_locked(
    settings: Settings,
    store: ChunkStore,
    embedder: ChunkEmbedder,
    rebuild: bool,
    progress: bool,
    on_document: Callable[[int, int, str], None] | None,
) -> IngestReport:
    started = time.perf_counter()
    abandoned = store.drop_abandoned_generations()
    if abandoned:
        log.warning("dropped the leftovers of an interrupted rebuild: %s", abandoned)
    collected = store.collect_garbage()
    metas, problems = discover(settings.corpus_dir, settings.manifest_path)
    run = _Run(failed=[Failure(p.source, p.reason) for p in problems])
    live = store.live_hashes()
    # A rebuild writes every document into a new generation beside the live index, and
    # switches to it only when all are written: a rebuild that is killed, or hits a full
    # disk, leaves the previous index searchable and whole.
    target = _new_generation(store) if rebuild else store
    seen: set[str] = set()
    for i, meta in enumerate(tqdm(metas, desc="Indexerar", unit="dok", disable=not progress)):
        if on_document:
            on_document(i, len(metas), meta.source)
        seen.add(meta.doc_id)
        path = settings.corpus_dir / meta.source
        try:
            before = _file_state(path)
            raw = path.read_bytes()
        except OSError as exc:
            run.failed.append(Failure(meta.source, f"{meta.source}: filen kunde inte läsas: {exc}"))
            continue
        digest = content_hash(raw, meta)
        if not rebuild and live.get(meta.doc_id) == digest:
            run.skipped.append(meta.source)
            continue
        chunks = _prepare_or_report(path, meta, raw, before, settings, embedder, run)
        if chunks is None:
            continue
        index_chunks(chunks, target, embedder, settings.embedding_batch_size, progress)
        run.embedded += len(chunks)
        (run.updated if meta.doc_id in live and not rebuild else run.added).append(meta.source)
    # A manifest entry whose file vanished keeps its old chunks out: it is removed too,
    # and reported as failed above, so the coordinator sees it.
    for doc_id in sorted(set(live) - seen):
        if not rebuild:
            store.delete_document(doc_id)
        run.removed.append(doc_id)
    if rebuild:
        store.switch_to(target)
    return IngestReport(
        added=tuple(run.added),
        updated=tuple(run.updated),
        removed=tuple(run.removed),
        skipped=tuple(run.skipped),
        failed=tuple(run.failed),
        chunks=store.count(),
        embedded_chunks=run.embedded,
        seconds=time.perf_counter() - started,
        garbage_collected=collected,
        rebuilt=rebuild,
        abandoned_rebuild=bool(abandoned),
    )


def _new_generation(store: ChunkStore) -> ChunkStore:
    """A new generation to rebuild into; an embedded index too damaged even for that is wiped
    (its old version is not searchable anyway) and rebuilt in place."""
    try:
        return store.start_generation()
    except StoreError:
        if not store.can_wipe():
            raise
        log.warning("the index is too damaged for a new generation; it is wiped and rebuilt")
        store.wipe()
        return store


def _file_state(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _prepare_or_report(
    path: Path,
    meta: DocumentMeta,
    raw: bytes,
    before: tuple[int, int],
    settings: Settings,
    embedder: ChunkEmbedder,
    run: _Run,
) -> list[Chunk] | None:
    """The document's chunks, or None with the reason recorded: one bad document is reported
    and skipped, whatever its loader raised, and the rest of the corpus goes on."""
    try:
        _, chunks = prepare_chunks(path, meta, settings, embedder, raw=raw)
        changed = _file_state(path) != before
    except DocumentError as exc:
        log.warning("skipped %s: %s", meta.source, exc)
        run.failed.append(Failure(meta.source, str(exc)))
        return None
    except OSError as exc:
        run.failed.append(Failure(meta.source, f"{meta.source}: filen kunde inte läsas: {exc}"))
        return None
    except Exception as exc:  # the document boundary: a loader bug must not stop the corpus
        log.exception("skipped %s after an unexpected error", meta.source)
        run.failed.append(
            Failure(
                meta.source,
                f"{meta.source}: dokumentet kunde inte läsas ({type(exc).__name__}). Det "
                "hoppades över; övriga dokument indexerades. Spara om filen (till exempel som "
                "PDF eller .docx) och lägg in den igen.",
            )
        )
        return None
    if changed:
        run.failed.append(
            Failure(
                meta.source,
                f"{meta.source}: filen ändrades medan den lästes och indexerades därför inte. "
                "Kör `kunskapsguide ingest` igen när filen är färdigsparad.",
            )
        )
        return None
    return chunks
