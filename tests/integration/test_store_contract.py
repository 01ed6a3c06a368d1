"""One contract for the chunk store, run against embedded Chroma and a real `chroma run` server.

Every contract test runs twice through `store_settings`: once on an embedded index in a tmp
dir, once on a `chroma run` server the tests start on 127.0.0.1 (one server per session, one
fresh collection per test). Only Settings differ; ingest, store and assistant are the
production code. Expected chunks come from the pipeline's own loader and chunker, read
without a store, so the index is compared with what a clean ingest must give.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from assistant.service import build_assistant, open_index
from core.documents import Sentence
from core.errors import IndexMismatchError, StoreError
from core.material import chunk_sentences
from core.settings import Settings
from core.store import ChunkStore, stored_id
from ingest.manifest import discover
from ingest.pipeline import ingest, prepare_chunks
from tests.conftest import make_settings

CHROMA = Path(sys.executable).with_name("chroma")
HOST = "127.0.0.1"
STARTUP = 60.0  # seconds for `chroma run` to answer its heartbeat on a busy 2-core machine

GUIDE = "vagledning/forsorjningsstod.txt"
VISIT = "lokala-rutiner/hembesok.md"
URGENT = "lokala-rutiner/akut-bistand.md"

MANIFEST = f"""documents:
  - source: {GUIDE}
    title: Försörjningsstöd enligt SoL
    publisher: Testverket
    year: 2023
    kind: nationell_vagledning
"""

FILES = {
    GUIDE: """Försörjningsstöd

Försörjningsstöd är en del av det ekonomiska biståndet enligt 4 kap. 1 § SoL. Det ska ge den
enskilde en skälig levnadsnivå och stärka hennes eller hans resurser att leva ett självständigt liv.

Riksnormen

Riksnormen fastställs av regeringen varje år. Den omfattar bl.a. kostnader för livsmedel, kläder
och skor, lek och fritid, hygien samt förbrukningsvaror, dagstidning och telefon.

Skäliga kostnader utöver riksnormen, t.ex. boende, hushållsel och arbetsresor, beräknas efter de
faktiska kostnaderna i det enskilda fallet.
""",
    VISIT: """---
title: Rutin för hembesök
kind: lokal_rutin
municipality: Testköping
---

# Rutin för hembesök

## När görs hembesök

Hembesök görs när det behövs för att utreda behovet av ekonomiskt bistånd. Två handläggare
deltar alltid vid hembesök i Testköpings kommun.

## Dokumentation

Hembesöket dokumenteras i journalen inom tre arbetsdagar.
""",
    URGENT: """# Rutin för akut bistånd

Akut bistånd kan beviljas samma dag om den sökande saknar pengar till mat. Beslutet fattas av
handläggaren enligt delegationsordningen och följs upp inom en vecka.
""",
}

# The changed routine has one section more, so its chunk count changes too.
FOLLOW_UP = """
## Uppföljning

Efter hembesöket bokar handläggaren ett uppföljande samtal med den sökande inom två veckor.
"""
VISIT_CHANGED = FILES[VISIT].replace("tre arbetsdagar", "fem arbetsdagar") + FOLLOW_UP


# --- a real `chroma run` server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class ChromaServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_chroma(folder: Path) -> ChromaServer:
    """`chroma run` on a free loopback port, returned once its heartbeat answers."""
    assert CHROMA.exists(), f"{CHROMA} saknas: chromadb är inte installerat i den här miljön"
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "chroma.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--host", HOST, "--port", str(port), "--path", str(folder / "db")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = ChromaServer(port, process, log)
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + STARTUP
    while True:
        if process.poll() is not None:
            pytest.fail(f"chroma run avslutades ({process.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with no_proxy.open(f"http://{HOST}:{port}/api/v2/heartbeat", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"chroma run svarade inte på {STARTUP:.0f} s:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    yield server
    server.stop()


# --- the two fixtures of the contract ------------------------------------------------------


def write_corpus(folder: Path) -> Path:
    corpus = folder / "corpus"
    for rel, text in FILES.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text, encoding="utf-8")
    (corpus / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    return corpus


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    overrides: dict[str, object] = {
        "corpus_dir": write_corpus(tmp_path),
        # Small chunks: several per document from a tiny corpus, little embedding work.
        "chunk_tokens": 80,
        "chunk_overlap_tokens": 16,
        "collection": f"kontrakt-{uuid.uuid4().hex[:12]}",  # tests share the server
    }
    if request.param == "server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        overrides.update(store="server", chroma_host=HOST, chroma_port=server.port)
    return make_settings(tmp_path, **overrides)


@pytest.fixture()
def store(store_settings: Settings, embedder) -> Iterator[ChunkStore]:
    _, opened = open_index(store_settings, embedder)
    yield opened
    opened.close()


class CountingEmbedder:
    """The real model; records every text ingest has it embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.passage_token_budget = inner.passage_token_budget
        self.embedded: list[str] = []

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return list(self.inner.embed_documents(texts))


@pytest.fixture()
def counting(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


def expected_ids(settings: Settings, embedder) -> dict[str, list[str]]:
    """doc_id → stored ids of the chunks a clean ingest of the corpus gives (no store)."""
    metas, problems = discover(settings.corpus_dir, settings.manifest_path)
    assert problems == []
    return {
        m.doc_id: [
            stored_id(c)
            for c in prepare_chunks(settings.corpus_dir / m.source, m, settings, embedder)[1]
        ]
        for m in metas
    }


def expected_sentences(settings: Settings, embedder) -> dict[str, list[Sentence]]:
    """doc_id → the answer sentences a clean ingest indexes beside the chunks."""
    metas, _ = discover(settings.corpus_dir, settings.manifest_path)
    out = {}
    for m in metas:
        chunks = prepare_chunks(settings.corpus_dir / m.source, m, settings, embedder)[1]
        out[m.doc_id] = [s for c in chunks for s in chunk_sentences(c, stored_id(c))]
    return out


def distinct_texts(sentences: list[Sentence]) -> int:
    """How many sentence texts ingest embeds: overlapping chunks share sentences."""
    return len({s.embed_text for s in sentences})


def assert_index_is(store: ChunkStore, expected: dict[str, list[str]]) -> None:
    """The index holds exactly the expected chunks and their sentences, each once, and nothing
    stale besides."""
    live = store.live_chunks()
    ids = [c.id for c in live]
    texts = [c.text for c in live]
    assert sorted(ids) == sorted(i for doc in expected.values() for i in doc)
    assert len(set(texts)) == len(texts), "the same text is stored twice"
    assert store.count() == len(ids), "chunks of old versions are left in Chroma"
    records = store.documents()
    assert {d: r.chunks for d, r in records.items()} == {d: len(i) for d, i in expected.items()}
    sentences = store.sentences_of(ids)
    assert len({s.id for s in sentences}) == len(sentences) == store.count_sentences()
    assert {s.chunk for s in sentences} <= set(ids)
    assert sum(r.sentences for r in records.values()) == len(sentences)


# --- the contract --------------------------------------------------------------------------


def test_ingest_adds_every_document_with_exact_chunks(
    store_settings: Settings, store: ChunkStore, counting: CountingEmbedder
) -> None:
    expected = expected_ids(store_settings, counting)
    assert len(expected[GUIDE]) > 1 and len(expected[VISIT]) > 1  # several chunks per document

    report = ingest(store_settings, store, counting)

    assert report.ok, report.failed
    assert sorted(report.added) == sorted(FILES)
    total = sum(map(len, expected.values()))
    sentences = expected_sentences(store_settings, counting)
    assert report.chunks == report.embedded_chunks == total
    assert len(counting.embedded) == total + sum(map(distinct_texts, sentences.values()))
    assert_index_is(store, expected)
    assert store.count_sentences() == sum(map(len, sentences.values())) > total
    # What `kunskapsguide sources` lists.
    listing = {d: (r.source, r.title, r.kind, r.year) for d, r in store.documents().items()}
    assert listing == {
        GUIDE: (GUIDE, "Försörjningsstöd enligt SoL", "nationell_vagledning", 2023),
        VISIT: (VISIT, "Rutin för hembesök", "lokal_rutin", None),
        URGENT: (URGENT, "Rutin för akut bistånd", "lokal_rutin", None),
    }


def test_reingest_of_an_unchanged_corpus_embeds_and_writes_nothing(
    store_settings: Settings, store: ChunkStore, counting: CountingEmbedder
) -> None:
    ingest(store_settings, store, counting)
    records = store.documents()
    ids = sorted(c.id for c in store.live_chunks())
    counting.embedded.clear()

    again = ingest(store_settings, store, counting)

    assert again.ok and again.added == again.updated == again.removed == ()
    assert sorted(again.skipped) == sorted(FILES)
    assert counting.embedded == [] and again.embedded_chunks == 0
    assert store.documents() == records  # registry untouched: same hashes, same indexed_at
    assert sorted(c.id for c in store.live_chunks()) == ids
    assert_index_is(store, expected_ids(store_settings, counting))


def test_a_changed_document_replaces_its_chunks(
    store_settings: Settings, store: ChunkStore, counting: CountingEmbedder
) -> None:
    ingest(store_settings, store, counting)
    before = expected_ids(store_settings, counting)
    (store_settings.corpus_dir / VISIT).write_text(VISIT_CHANGED, encoding="utf-8")
    after = expected_ids(store_settings, counting)
    assert len(after[VISIT]) != len(before[VISIT])
    counting.embedded.clear()

    changed = ingest(store_settings, store, counting)

    assert changed.updated == (VISIT,) and changed.added == changed.removed == ()
    assert sorted(changed.skipped) == sorted([GUIDE, URGENT])
    visit = expected_sentences(store_settings, counting)[VISIT]
    assert changed.embedded_chunks == len(after[VISIT])
    assert len(counting.embedded) == len(after[VISIT]) + distinct_texts(visit)
    assert_index_is(store, after)
    texts = " ".join(c.text for c in store.live_chunks() if c.metadata["doc_id"] == VISIT)
    assert "fem arbetsdagar" in texts and "tre arbetsdagar" not in texts
    assert "uppföljande samtal" in texts


def test_a_removed_document_loses_its_chunks(
    store_settings: Settings, store: ChunkStore, counting: CountingEmbedder
) -> None:
    ingest(store_settings, store, counting)
    (store_settings.corpus_dir / URGENT).unlink()

    removed = ingest(store_settings, store, counting)

    assert removed.removed == (URGENT,) and removed.embedded_chunks == 0
    assert all(c.metadata["doc_id"] != URGENT for c in store.live_chunks())
    assert_index_is(store, expected_ids(store_settings, counting))  # count() too: deleted


def test_a_question_is_answered_from_the_right_document(
    store_settings: Settings, store: ChunkStore, embedder
) -> None:
    ingest(store_settings, store, embedder)
    assistant = build_assistant(store_settings, embedder=embedder, store=store)

    found = assistant.search("Vad ingår i riksnormen?", k=3)
    assert found.passages[0].doc_id == GUIDE
    assert "Riksnormen fastställs av regeringen" in found.passages[0].text

    answer = assistant.ask("Inom hur många dagar ska hembesöket dokumenteras?")
    assert not answer.refused and answer.citations
    assert answer.citations[0].passage.doc_id == VISIT
    assert "tre arbetsdagar" in answer.answer

    # An ingest after start-up: the assistant re-reads the index (a fresh client on a server).
    (store_settings.corpus_dir / VISIT).write_text(VISIT_CHANGED, encoding="utf-8")
    ingest(store_settings, store, embedder)
    answer = assistant.ask("Inom hur många dagar ska hembesöket dokumenteras?")
    assert "fem arbetsdagar" in answer.answer and "tre arbetsdagar" not in answer.answer


def test_opening_with_another_model_is_an_index_mismatch(
    store_settings: Settings, store: ChunkStore, embedder
) -> None:
    with pytest.raises(IndexMismatchError, match="--rebuild") as err:
        ChunkStore.open(store_settings, "en-annan-modell", embedder.dimension)
    assert embedder.model_id in str(err.value)
    # The failed open changed nothing: the right model still opens the index.
    again = ChunkStore.open(store_settings, embedder.model_id, embedder.dimension)
    again.close()


def test_a_rebuild_is_written_beside_the_index_and_switched_when_complete(
    store_settings: Settings, store: ChunkStore, counting: CountingEmbedder
) -> None:
    ingest(store_settings, store, counting)
    expected = expected_ids(store_settings, counting)
    reader = ChunkStore.open(store_settings, counting.model_id, counting.dimension)
    try:
        rebuilt = ingest(store_settings, store, counting, rebuild=True)

        assert rebuilt.ok and rebuilt.rebuilt and sorted(rebuilt.added) == sorted(FILES)
        assert_index_is(store, expected)
        # Another client (an app) notices the switch and reads the new generation.
        assert reader.switched()
        reader.reload()
        assert not reader.switched() and reader.generation == store.generation == 1
        assert_index_is(reader, expected)
    finally:
        reader.close()
    names = {c.name for c in store._client.list_collections()}
    ours = {n for n in names if n.startswith(store_settings.collection)}
    base = store_settings.collection
    assert ours == {
        f"{base}__g1", f"{base}__g1__documents", f"{base}__g1__sentences", f"{base}__current",
    }  # fmt: skip


def test_a_rebuild_with_another_model_replaces_the_old_index(
    store_settings: Settings, store: ChunkStore, counting: CountingEmbedder
) -> None:
    from tests.fakes import HashEmbeddings

    ingest(store_settings, store, counting)
    other = HashEmbeddings()
    _, rebuilding = open_index(store_settings, embedder=other, allow_mismatch=True)  # type: ignore[arg-type]
    try:
        report = ingest(store_settings, rebuilding, other, rebuild=True)
        assert report.ok and sorted(report.added) == sorted(FILES)
        assert rebuilding.count_sentences() > rebuilding.count() > 0
    finally:
        rebuilding.close()
    ChunkStore.open(store_settings, other.model_id, other.dimension).close()
    with pytest.raises(IndexMismatchError):
        ChunkStore.open(store_settings, counting.model_id, counting.dimension)


# --- the server alone ----------------------------------------------------------------------


@pytest.mark.server
def test_an_unreachable_server_is_a_store_error_naming_it(tmp_path: Path, embedder) -> None:
    port = free_port()  # nothing listens there
    settings = make_settings(tmp_path, store="server", chroma_host=HOST, chroma_port=port)
    with pytest.raises(StoreError) as err:
        open_index(settings, embedder)
    message = str(err.value)
    assert f"Kunde inte öppna Chroma-servern {HOST}:{port}" in message
    assert "Kontrollera att servern kör" in message


@pytest.mark.server
def test_a_server_that_stops_gives_a_store_error_naming_it(tmp_path: Path, embedder) -> None:
    server = start_chroma(tmp_path / "short-lived")
    try:
        settings = make_settings(
            tmp_path, store="server", chroma_host=HOST, chroma_port=server.port
        )
        _, store = open_index(settings, embedder)
        assert store.count() == 0
    finally:
        server.stop()
    with pytest.raises(StoreError) as err:
        store.count()
    assert f"Chroma-servern {HOST}:{server.port}" in str(err.value)
    assert "Kontrollera att servern kör" in str(err.value)
    store.close()


class _TokenProxy(ThreadingHTTPServer):
    """Asks for `Authorization: Bearer <token>` before forwarding to a `chroma run` server, as
    a reverse proxy in front of one does (`chroma run` itself has no authentication)."""

    daemon_threads = True

    def __init__(self, upstream_port: int, token: str) -> None:
        super().__init__((HOST, 0), _ProxyHandler)
        self.upstream_port = upstream_port
        self.token = token
        self.refused = 0


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _TokenProxy

    def _forward(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self.server.refused += 1
            self._reply(401, [("Content-Type", "application/json")], b'{"error":"Unauthorized"}')
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        skip = {"host", "authorization", "connection", "content-length"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        upstream = http.client.HTTPConnection(HOST, self.server.upstream_port, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            resp = upstream.getresponse()
            data = resp.read()
        finally:
            upstream.close()
        passed = [
            (k, v)
            for k, v in resp.getheaders()
            if k.lower() not in {"connection", "content-length", "transfer-encoding"}
        ]
        self._reply(resp.status, passed, data)

    def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        pass  # keep the test output clean


@pytest.fixture()
def token_proxy(chroma_server: ChromaServer) -> Iterator[_TokenProxy]:
    proxy = _TokenProxy(chroma_server.port, token="hemlig-token-123")
    thread = Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    thread.join()


@pytest.mark.server
@pytest.mark.parametrize("token", [None, "fel-token"])
def test_a_server_requiring_a_token_refuses_without_it(
    tmp_path: Path, embedder, token_proxy: _TokenProxy, token: str | None
) -> None:
    port = token_proxy.server_address[1]
    settings = make_settings(
        tmp_path, store="server", chroma_host=HOST, chroma_port=port, chroma_token=token
    )
    with pytest.raises(StoreError, match=f"Chroma-servern {HOST}:{port}"):
        open_index(settings, embedder)
    assert token_proxy.refused > 0


@pytest.mark.server
def test_a_server_requiring_a_token_accepts_the_configured_one(
    tmp_path: Path, counting: CountingEmbedder, token_proxy: _TokenProxy
) -> None:
    settings = make_settings(
        tmp_path,
        corpus_dir=write_corpus(tmp_path),
        store="server",
        chroma_host=HOST,
        chroma_port=token_proxy.server_address[1],
        chroma_token=token_proxy.token,
        collection=f"kontrakt-{uuid.uuid4().hex[:12]}",
    )
    _, store = open_index(settings, counting.inner)
    try:
        for rel in (VISIT, URGENT):
            (settings.corpus_dir / rel).unlink()  # one document is enough here
        report = ingest(settings, store, counting)
        assert report.ok and report.added == (GUIDE,)
        assert_index_is(store, expected_ids(settings, counting))
    finally:
        store.close()
    assert token_proxy.refused == 0
