"""The one module that talks to Chroma.

Three collections: `<name>` holds the chunks with their vectors, `<name>__sentences` the
answer sentences of each chunk with theirs (small-to-big retrieval), `<name>__documents` a
registry of which version (content hash) of each document is live. A document update writes
the new version's chunks and sentences first, then flips the registry record, then deletes
the old ones. A crash
at any point leaves either the old or the new version live (readers filter on the registry),
and the next ingest removes the orphans. Chunk ids include the version, so nothing is ever
overwritten in place and nothing is ever duplicated.

Embedded Chroma keeps a collection's vector index in memory and never sees another process's
writes to it; a reader process must `reload()` (a fresh client) after an ingest elsewhere.
Whatever Chroma raises is translated at this boundary into a `StoreError` that says what to do.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from core.documents import Chunk, DocumentKind, DocumentMeta, Sentence
from core.errors import EmptyIndexError, IndexMismatchError, KunskapsguideError, StoreError
from core.settings import Settings
from core.storage import disk_problem

log = logging.getLogger(__name__)

_REGISTRY_SUFFIX = "__documents"
_SENTENCES_SUFFIX = "__sentences"
# A rebuild writes a new generation of the three collections beside the live one and switches
# this pointer only when it is complete; generation 0 has the plain names (older indexes).
_POINTER_SUFFIX = "__current"
_GENERATION_INFIX = "__g"
_DUMMY_VECTOR = [0.0]  # the registry needs no vectors; Chroma requires one
_SQLITE = "chroma.sqlite3"
# Chroma's Rust core panics on some damaged databases; pyo3 raises that as PanicException,
# a BaseException. Every failure but an interrupt or an exit is translated into a StoreError:
# Ctrl-C must stop an ingest, not be reported as a damaged index.
_INTERRUPTS = (KeyboardInterrupt, SystemExit, GeneratorExit)
_CHROMA_FAILURES = BaseException
REBUILD_HINT = "bygg om det med `kunskapsguide ingest --rebuild`"
# A write that has not returned in this time is reported (Chroma has been seen to hang on a
# full disk), so an ingest never holds the writer lock unbounded.
WRITE_SECONDS = 300.0


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    source: str
    title: str
    kind: DocumentKind
    year: int | None
    content_hash: str
    chunks: int
    indexed_at: float  # unix time
    sentences: int = 0


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store (the chunk fields retrieval needs)."""

    id: str
    text: str
    embed_text: str
    metadata: dict[str, Any]
    score: float | None = None  # cosine similarity for vector queries


@dataclass(frozen=True)
class StoredSentence:
    """A sentence as read back from the store."""

    id: str
    chunk: str  # stored id of its chunk
    index: int
    text: str
    score: float | None = None  # cosine similarity for vector queries
    vector: tuple[float, ...] = ()  # when asked for


def chroma_settings() -> ChromaSettings:
    """What every client of ours runs with: no telemetry (the app never calls out)."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(settings: Settings) -> Any:
    """An embedded PersistentClient, or an HttpClient for a `chroma run` server."""
    if settings.store == "embedded":
        _check_embedded_dir(settings)
    try:
        if settings.store == "server":
            headers = (
                {"Authorization": f"Bearer {settings.chroma_token}"}
                if settings.chroma_token
                else None
            )
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                headers=headers,
                settings=chroma_settings(),
            )
        if read_only_index(settings):
            return chromadb.PersistentClient(path=_reading_copy(settings), settings=chroma_settings())
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings())
    except _INTERRUPTS:
        raise
    except _CHROMA_FAILURES as exc:  # chromadb raises many types; translate at the boundary
        if settings.store == "server":  # a rebuild cannot help a server that does not answer
            where = f"Chroma-servern {settings.chroma_host}:{settings.chroma_port}"
            advice = (
                "Kontrollera att servern kör och att KG_CHROMA_HOST, KG_CHROMA_PORT och "
                "KG_CHROMA_TOKEN stämmer."
            )
        else:
            _forget_failed_system(str(settings.chroma_dir))
            where = f"indexet i {settings.chroma_dir}"
            advice = storage_fault(settings.chroma_dir, exc) or (
                f"Kontrollera inställningarna, eller {REBUILD_HINT}."
            )
        raise StoreError(f"Kunde inte öppna {where} ({exc}). {advice}") from exc


def read_only_index(settings: Settings) -> bool:
    """An embedded index in a folder this process may not write to. Chroma cannot even read
    such an index (it writes while opening), so it is searched from a copy."""
    folder = settings.chroma_dir
    if settings.store != "embedded" or not (folder / _SQLITE).exists():
        return False
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
    return read_only or not all(os.access(p, os.W_OK) for p in (folder, folder / _SQLITE))


def _reading_copy(settings: Settings) -> str:
    """A temporary copy of a read-only index, removed when the process ends."""
    copy = Path(tempfile.mkdtemp(prefix="kunskapsguide-index-")) / "chroma"
    atexit.register(shutil.rmtree, copy.parent, True)
    shutil.copytree(settings.chroma_dir, copy)
    log.warning("the index in %s is read-only; searching a copy in %s", settings.chroma_dir, copy)
    return str(copy)


def storage_fault(folder: Path, exc: BaseException | None = None) -> str | None:
    """A Swedish explanation when a write failed because the disk is full or the folder is
    not writable - faults that a rebuild cannot mend and must not be advised for. None when
    neither is the case (then the index itself may be damaged)."""
    problem = disk_problem(folder, exc)
    if problem is None:
        return None
    if problem.full:
        return (
            f"Disken där indexet ligger ({problem.where}) är full: {problem.free_mb} MB ledigt. "
            "Frigör utrymme och kör `kunskapsguide ingest` igen. Indexet är inte skadat och "
            "ska inte byggas om; det som redan var indexerat går fortfarande att söka i."
        )
    return (
        f"Programmet får inte skriva i {problem.where} (skrivskyddad mapp eller saknad "
        "behörighet). Ge skrivbehörighet till datamappen (KG_DATA_DIR) och kör igen. Indexet "
        "är inte skadat; det som redan var indexerat går fortfarande att söka i."
    )


def within(seconds: float, doing: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one store write on a helper thread and give up waiting after `seconds`."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="chroma-write", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise StoreError(
            f"Indexet svarade inte inom {seconds:.0f} s vid {doing}. Är disken full eller "
            "mycket långsam? Kontrollera disken och kör `kunskapsguide ingest` igen; det som "
            "redan var indexerat går fortfarande att söka i."
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _check_embedded_dir(settings: Settings) -> None:
    """Segment folders without Chroma's database: Chroma would silently start an empty index."""
    folder = settings.chroma_dir
    if folder.is_dir() and not (folder / _SQLITE).exists() and any(folder.iterdir()):
        raise StoreError(
            f"Indexet i {folder} är skadat: databasfilen {_SQLITE} saknas. Bygg om indexet med "
            "`kunskapsguide ingest --rebuild`."
        )


def _forget_failed_system(path: str) -> None:
    """chromadb (1.5) caches a client's System before starting it; when the start fails (a
    damaged database), every later client of the path would get the broken one, so even
    `--rebuild` could not open a fresh index in this process. Drop such an unused entry."""
    from chromadb.api.shared_system_client import SharedSystemClient

    systems: dict[str, Any] = getattr(SharedSystemClient, "_identifier_to_system", {})
    refcounts: dict[str, int] = getattr(SharedSystemClient, "_identifier_to_refcount", {})
    if not refcounts.get(path):
        systems.pop(path, None)


def discard_embedded_index(settings: Settings) -> None:
    """Delete an embedded index from disk (it is derived data: the corpus rebuilds it).
    The caller holds the writer lock and no open client."""
    shutil.rmtree(settings.chroma_dir, ignore_errors=True)


def _close(client: Any) -> None:
    close = getattr(client, "close", None)  # chromadb >= 1.1
    if close is not None:
        try:
            close()
        except Exception:  # closing a broken client must not hide the original problem
            log.debug("closing the Chroma client failed", exc_info=True)


def _chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        **chunk.meta.to_metadata(),
        "section": json.dumps(list(chunk.section), ensure_ascii=False),
        "section_path": chunk.section_path,
        "position": chunk.position,
        "content_hash": chunk.content_hash,
        "chunk_id": chunk.chunk_id,
        "embed_text": chunk.embed_text,
    }
    optional = {
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


def _sentence_metadata(sentence: Sentence) -> dict[str, Any]:
    return {
        "chunk": sentence.chunk,
        "doc_id": sentence.doc_id,
        "content_hash": sentence.content_hash,
        "index": sentence.index,
    }


def generation_names(base: str, generation: int) -> tuple[str, str, str]:
    """The chunk, registry and sentence collection names of one generation of an index."""
    stem = base if generation == 0 else f"{base}{_GENERATION_INFIX}{generation}"
    return stem, stem + _REGISTRY_SUFFIX, stem + _SENTENCES_SUFFIX


def _generation_of(base: str, name: str) -> int | None:
    """The generation a collection name belongs to, or None for names not of this index."""
    for gen_name in (base, base + _REGISTRY_SUFFIX, base + _SENTENCES_SUFFIX):
        if name == gen_name:
            return 0
    prefix = base + _GENERATION_INFIX
    if not name.startswith(prefix):
        return None
    number = name[len(prefix) :].split("__", 1)[0]
    if not number.isdigit() or name not in generation_names(base, int(number)):
        return None
    return int(number)


def stored_id(chunk: Chunk) -> str:
    return f"{chunk.content_hash[:12]}:{chunk.chunk_id}"


class ChunkStore:
    """Holds a Chroma client and the two collections of one index.

    With `settings` (as `open` gives it) the store can `reload()` and wipe a damaged embedded
    index; with only a client it works on that client alone."""

    def __init__(
        self,
        client: Any,
        name: str,
        model_id: str,
        dimension: int,
        settings: Settings | None = None,
        *,
        generation: int | None = None,
        verify_model: bool = True,
    ) -> None:
        self._client = client
        self.name = name
        self.model_id = model_id
        self.dimension = dimension
        self._settings = settings
        self._verify_model = verify_model
        self.write_seconds = WRITE_SECONDS
        self.read_only = settings is not None and read_only_index(settings)
        # Streamlit sessions are threads sharing one store: no read while `reload` swaps clients.
        self._lock = threading.RLock()
        self.generation = self._live_generation() if generation is None else generation
        self._open_collections()

    @classmethod
    def open(
        cls, settings: Settings, model_id: str, dimension: int, *, verify_model: bool = True
    ) -> ChunkStore:
        client = make_client(settings)
        try:
            return cls(
                client, settings.collection, model_id, dimension, settings,
                verify_model=verify_model,
            )  # fmt: skip
        except BaseException:
            _close(client)
            raise

    def _live_generation(self) -> int:
        """The generation the pointer names (0 when there is no pointer: an older index)."""
        try:
            pointer = self._client.get_collection(self.name + _POINTER_SUFFIX)
            got = pointer.get(ids=["current"], include=["metadatas"])
        except NotFoundError:
            return 0
        except Exception as exc:
            raise StoreError(
                f"Indexet kunde inte läsas ({exc}). Det kan vara skadat: {REBUILD_HINT}."
            ) from exc
        metas = got.get("metadatas") or []
        return int((metas[0] or {}).get("generation", 0)) if metas else 0

    def _open_collections(self) -> None:
        chunks, registry, sentences = generation_names(self.name, self.generation)
        try:
            self._chunks = self._client.get_or_create_collection(
                name=chunks,
                embedding_function=None,
                metadata={
                    "hnsw:space": "cosine",
                    "model_id": self.model_id,
                    "dimension": self.dimension,
                },
            )
            self._registry = self._client.get_or_create_collection(
                name=registry, embedding_function=None
            )
            self._sentences = self._client.get_or_create_collection(
                name=sentences,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "model_id": self.model_id},
            )
        except Exception as exc:
            raise StoreError(
                f"Indexet kunde inte läsas ({exc}). Det kan vara skadat: {REBUILD_HINT}."
            ) from exc
        built_with = (self._chunks.metadata or {}).get("model_id")
        if self._verify_model and built_with and built_with != self.model_id:
            raise IndexMismatchError(
                f"Indexet byggdes med inbäddningsmodellen '{built_with}', men inställningen är "
                f"'{self.model_id}'. Bygg om indexet med `kunskapsguide ingest --rebuild`."
            )

    # --- generations (rebuild beside the live index, switch when complete) ------------------

    def _generations(self) -> set[int]:
        """Every generation that has a collection in the database."""
        names = [getattr(c, "name", c) for c in self._client.list_collections()]
        return {g for n in names if (g := _generation_of(self.name, str(n))) is not None}

    def start_generation(self) -> ChunkStore:
        """An empty new generation of this index, written beside the live one. Readers keep
        the live one until `switch_to`; an abandoned generation is dropped by
        `drop_abandoned_generations`."""
        self._check_writable()
        with self._guard("start av en ombyggnad av indexet"):
            generation = max(self._generations() | {self.generation}) + 1
            self._drop_generation(generation)
            return ChunkStore(
                self._client, self.name, self.model_id, self.dimension, self._settings,
                generation=generation,
            )  # fmt: skip

    def switch_to(self, new: ChunkStore) -> None:
        """Make `new`'s generation the live one (one write), then drop the old generation."""
        self._check_writable()
        old = self.generation
        with self._guard("byte till det ombyggda indexet"):
            pointer = self._client.get_or_create_collection(
                name=self.name + _POINTER_SUFFIX, embedding_function=None
            )
            pointer.upsert(
                ids=["current"], embeddings=[_DUMMY_VECTOR],
                metadatas=[{"generation": new.generation}],
            )  # fmt: skip
            self.generation = new.generation
            self._verify_model = True
            self._open_collections()
            if old != new.generation:
                self._drop_generation(old)

    def switched(self) -> bool:
        """Whether a rebuild elsewhere made another generation live (then `reload`)."""
        try:
            return self._live_generation() != self.generation
        except StoreError:
            return True

    def drop_abandoned_generations(self) -> list[int]:
        """Drop generations that are not live (left by an interrupted rebuild)."""
        self._check_writable()
        with self._guard("städning efter en avbruten ombyggnad"):
            abandoned = sorted(self._generations() - {self.generation})
            for generation in abandoned:
                self._drop_generation(generation)
        return abandoned

    def can_wipe(self) -> bool:
        """Whether `wipe` may delete this index: an embedded one whose disk is writable."""
        settings = self._settings
        return (
            settings is not None
            and settings.store == "embedded"
            and storage_fault(settings.chroma_dir) is None
        )

    def wipe(self) -> None:
        """Delete an embedded index from disk and start an empty one (generation 0). For an
        index too damaged to rebuild beside; the corpus rebuilds it."""
        if self._settings is None or not self.can_wipe():
            raise StoreError("Indexet kan inte tömmas här; bygg om det med en ny datamapp.")
        with self._lock:
            log.warning("wiping the index in %s", self._settings.chroma_dir)
            _close(self._client)
            discard_embedded_index(self._settings)
            self._client = make_client(self._settings)
            self.generation = 0
            self._verify_model = True
            self._open_collections()

    def _drop_generation(self, generation: int) -> None:
        for name in generation_names(self.name, generation):
            try:
                self._client.delete_collection(name)
            except NotFoundError:
                log.debug("collection %s did not exist", name)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Translate whatever Chroma raises into a StoreError that says what to do."""
        with self._lock:
            try:
                yield
            except (KunskapsguideError, *_INTERRUPTS):
                raise
            except _CHROMA_FAILURES as exc:
                if self._settings is not None and self._settings.store == "server":
                    host, port = self._settings.chroma_host, self._settings.chroma_port
                    where = f"Chroma-servern {host}:{port}"
                    advice = f"Kontrollera att servern kör. Är indexet skadat: {REBUILD_HINT}."
                else:
                    where = "Indexet"
                    fault = self._settings and storage_fault(self._settings.chroma_dir, exc)
                    advice = fault or f"Det kan vara skadat: {REBUILD_HINT}."
                raise StoreError(
                    f"{where} kunde inte användas vid {doing} ({type(exc).__name__}: {exc}). "
                    f"{advice}"
                ) from exc

    def reload(self) -> None:
        """A fresh client that sees what other processes wrote. The caller makes sure no
        ingest is running (the writer lock), since the vector index is read from disk here."""
        with self._guard("ny inläsning av indexet"):
            if self._settings is not None:
                _close(self._client)  # the last client of a path stops Chroma's cached system
                self._client = make_client(self._settings)
            self.generation = self._live_generation()
            self._open_collections()
            if self._chunks.count():  # load the vector index now, not mid-ingest later
                self._chunks.query(query_embeddings=[[1.0] * self.dimension], n_results=1)

    def close(self) -> None:
        with self._lock:
            _close(self._client)

    # --- registry -------------------------------------------------------------------------

    def documents(self) -> dict[str, DocumentRecord]:
        with self._guard("läsning av dokumentregistret"):
            got = self._registry.get(include=["metadatas"])
        records = {}
        for doc_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
            if not meta or "content_hash" not in meta:
                continue  # written by nothing of ours
            document = DocumentMeta.from_metadata(meta)
            records[doc_id] = DocumentRecord(
                doc_id=doc_id,
                source=document.source,
                title=document.title,
                kind=document.kind,
                year=document.year,
                content_hash=str(meta["content_hash"]),
                chunks=int(meta.get("chunks", 0)),
                indexed_at=float(meta.get("indexed_at", 0.0)),
                sentences=int(meta.get("sentences", 0)),
            )
        return records

    def live_hashes(self) -> dict[str, str]:
        return {d.doc_id: d.content_hash for d in self.documents().values()}

    # --- writes ---------------------------------------------------------------------------

    def put_document(
        self,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]],
        sentences: Sequence[Sentence] = (),
        sentence_vectors: Sequence[Sequence[float]] = (),
    ) -> None:
        """Make `chunks` and their `sentences` (all of one document version) the live version
        of that document."""
        if not chunks:
            raise StoreError("Inga textavsnitt att indexera.")
        if len(chunks) != len(vectors) or len(sentences) != len(sentence_vectors):
            raise StoreError("Antalet vektorer stämmer inte med antalet textavsnitt.")
        first = chunks[0]
        ids = [stored_id(c) for c in chunks]
        doing = f"sparande av {first.source}"
        with self._guard(doing):
            batch = max(1, int(self._client.get_max_batch_size()))
            for start in range(0, len(ids), batch):
                end = start + batch
                self._write(
                    doing, self._chunks.upsert,
                    ids=ids[start:end],
                    embeddings=[list(map(float, v)) for v in vectors[start:end]],
                    documents=[c.text for c in chunks[start:end]],
                    metadatas=[_chunk_metadata(c) for c in chunks[start:end]],
                )  # fmt: skip
            for start in range(0, len(sentences), batch):
                part = sentences[start : start + batch]
                self._write(
                    doing, self._sentences.upsert,
                    ids=[x.id for x in part],
                    embeddings=[list(map(float, v)) for v in sentence_vectors[start : start + batch]],
                    documents=[x.text for x in part],
                    metadatas=[_sentence_metadata(x) for x in part],
                )  # fmt: skip
            record = {
                **first.meta.to_metadata(),
                "content_hash": first.content_hash,
                "chunks": len(chunks),
                "sentences": len(sentences),
                "indexed_at": time.time(),
            }
            # The flip: from here on readers see the new version.
            self._write(
                doing, self._registry.upsert,
                ids=[first.doc_id], embeddings=[_DUMMY_VECTOR], metadatas=[record],
            )  # fmt: skip
            self._write(doing, self._delete_versions_except, first.doc_id, first.content_hash)

    def _write(self, doing: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        self._check_writable()
        return within(self.write_seconds, doing, call, *args, **kwargs)

    def _check_writable(self) -> None:
        """A read-only index is searched from a copy: a write there would be lost."""
        if self.read_only and self._settings is not None:
            raise StoreError(
                storage_fault(self._settings.chroma_dir)
                or f"Indexet i {self._settings.chroma_dir} är skrivskyddat."
            )

    def delete_document(self, doc_id: str) -> None:
        self._check_writable()
        with self._guard(f"borttagning av {doc_id}"):
            self._registry.delete(ids=[doc_id])
            self._chunks.delete(where={"doc_id": doc_id})
            self._sentences.delete(where={"doc_id": doc_id})

    def _delete_versions_except(self, doc_id: str, content_hash: str) -> None:
        other = {"$and": [{"doc_id": doc_id}, {"content_hash": {"$ne": content_hash}}]}
        self._chunks.delete(where=other)
        self._sentences.delete(where=other)

    def collect_garbage(self) -> int:
        """Delete chunks and sentences of versions that are not live (left by an interrupted
        update); returns how many chunks went."""
        self._check_writable()
        live = self.live_hashes()
        removed: list[int] = []
        with self._guard("städning av inaktuella textavsnitt"):
            for collection in (self._chunks, self._sentences):
                got = collection.get(include=["metadatas"])
                stale = [
                    cid
                    for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
                    if live.get(str((meta or {}).get("doc_id"))) != (meta or {}).get("content_hash")
                ]
                for start in range(0, len(stale), 1000):
                    collection.delete(ids=stale[start : start + 1000])
                removed.append(len(stale))
        return removed[0]

    # --- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        with self._guard("räkning av textavsnitten"):
            return int(self._chunks.count())

    def count_sentences(self) -> int:
        with self._guard("räkning av meningarna"):
            return int(self._sentences.count())

    def query_sentences(
        self, vector: Sequence[float], k: int, live: dict[str, str] | None = None
    ) -> list[StoredSentence]:
        """Nearest live sentences by cosine similarity, best first."""
        total = self.count_sentences()
        if total == 0:
            return []
        live = self.live_hashes() if live is None else live
        with self._guard("sökning bland meningarna"):
            res = self._sentences.query(
                query_embeddings=[list(map(float, vector))],
                n_results=min(total, k + 10),
                include=["documents", "metadatas", "distances"],
            )
        hits = [
            StoredSentence(
                id=sid, chunk=str(meta["chunk"]), index=int(meta["index"]), text=text or "",
                score=1.0 - float(dist),
            )  # fmt: skip
            for sid, text, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0],
                strict=True,
            )  # fmt: skip
            if meta and live.get(str(meta.get("doc_id"))) == meta.get("content_hash")
        ]
        return hits[:k]

    def sentences_of(self, chunk_ids: Sequence[str]) -> list[StoredSentence]:
        """The stored sentences of these chunks with their vectors, in chunk and text order."""
        if not chunk_ids:
            return []
        with self._guard("läsning av meningarna"):
            got = self._sentences.get(
                where={"chunk": {"$in": list(chunk_ids)}},
                include=["documents", "metadatas", "embeddings"],
            )
        vectors = got.get("embeddings")
        out = [
            StoredSentence(
                id=sid, chunk=str(meta["chunk"]), index=int(meta["index"]), text=text or "",
                vector=tuple(float(x) for x in vectors[i]) if vectors is not None else (),
            )  # fmt: skip
            for i, (sid, text, meta) in enumerate(
                zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            )
            if meta
        ]
        order = {cid: i for i, cid in enumerate(chunk_ids)}
        out.sort(key=lambda s: (order.get(s.chunk, len(order)), s.index))
        return out

    def live_chunks(self) -> list[StoredChunk]:
        """All chunks of live document versions, in document order."""
        live = self.live_hashes()
        with self._guard("läsning av textavsnitten"):
            got = self._chunks.get(include=["documents", "metadatas"])
        out = [
            StoredChunk(id=cid, text=text or "", embed_text=str(meta.get("embed_text", "")), metadata=meta)
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
            if meta and live.get(str(meta.get("doc_id"))) == meta.get("content_hash")
        ]
        out.sort(key=lambda c: (str(c.metadata["doc_id"]), int(c.metadata["position"])))
        return out

    def query(
        self, vector: Sequence[float], k: int, live: dict[str, str] | None = None
    ) -> list[StoredChunk]:
        """Nearest live chunks by cosine similarity, best first."""
        total = self.count()
        if total == 0:
            raise EmptyIndexError(
                "Indexet är tomt. Indexera korpusen med `kunskapsguide ingest`."
            )
        live = self.live_hashes() if live is None else live
        # Over-fetch a little: stale chunks of an interrupted update are filtered out below.
        n = min(total, k + 10)
        with self._guard("sökning i indexet"):
            res = self._chunks.query(
                query_embeddings=[list(map(float, vector))],
                n_results=n,
                include=["documents", "metadatas", "distances"],
            )
        hits = []
        for cid, text, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
        ):
            # No metadata: the chunk was deleted by another process after this client loaded
            # its vector index (see `reload`).
            if not meta or live.get(str(meta.get("doc_id"))) != meta.get("content_hash"):
                continue
            hits.append(
                StoredChunk(
                    id=cid,
                    text=text or "",
                    embed_text=str(meta.get("embed_text", "")),
                    metadata=meta,
                    score=1.0 - float(dist),
                )
            )
        return hits[:k]


def chunk_from_metadata(meta: dict[str, Any], text: str) -> dict[str, Any]:
    """Plain fields of a stored chunk, for building `Passage`s."""
    return {
        "meta": DocumentMeta.from_metadata(meta),
        "section": tuple(json.loads(meta.get("section", "[]"))),
        "page_start": meta.get("page_start"),
        "page_end": meta.get("page_end"),
        "position": int(meta.get("position", 0)),
        "text": text,
    }


def iter_batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
