"""The indexer killed (SIGKILL) in the middle of updating a document, and damaged index files.

A real child process runs the ingest of a changed large document and is killed: at random
moments, and deterministically at each step of `ChunkStore.put_document` (a wrapper in the
child, below, kills it there). Afterwards exactly one version of the document is live and
whole, nothing of the other is searchable, and the next ingest completes the update with no
duplicates. Damaged index files give a StoreError that names `kunskapsguide ingest --rebuild`,
never an empty answer, and `--rebuild` recovers.

The child embeds with `tests.fakes.HashEmbeddings`: the store is under test, not the model.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant.service import build_assistant
from core.settings import ROOT, Settings
from core.store import ChunkStore, stored_id
from ingest.manifest import discover
from ingest.pipeline import ingest, prepare_chunks
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

BIG = "lokala-rutiner/stor-rutin.md"
SMALL = "lokala-rutiner/akut.md"
SECTIONS = 500  # ~500 chunks: writing them takes a good part of the update

# The child: ingest the corpus of the tmp dir given as argv[1]. With KG_TEST_KILL_AT set, it
# kills itself (SIGKILL: no cleanup, no finally) at that point of ChunkStore.put_document.
CHILD = """
import json, os, signal, sys
from pathlib import Path
from core.offline import use_offline_defaults
use_offline_defaults()
from ingest.pipeline import ingest as run_ingest
from core.store import ChunkStore
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

tmp = Path(sys.argv[1])
settings = make_settings(tmp, corpus_dir=tmp / "corpus")
embedder = HashEmbeddings()
store = ChunkStore.open(settings, embedder.model_id, embedder.dimension)

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

kill_at = os.environ.get("KG_TEST_KILL_AT")
if kill_at == "before-flip":  # all new chunks written, registry not yet flipped
    store._registry.upsert = die
elif kill_at == "mid-write":  # some batches of new chunks written
    calls = []
    upsert = store._chunks.upsert
    def third_batch_kills(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            die()
        return upsert(**kwargs)
    store._client.get_max_batch_size = lambda: 64
    store._chunks.upsert = third_batch_kills
elif kill_at == "before-delete":  # registry flipped, old chunks not yet deleted
    store._delete_versions_except = die
print("ready", flush=True)
report = run_ingest(settings, store, embedder)
print(json.dumps(report.as_dict()), flush=True)
"""


def big_document(version: int) -> str:
    sections = [
        f"## Avsnitt {i}\n\nVersion {version} av rutinen. Stycke {i} handlar om hembesök och "
        f"ekonomiskt bistånd, t.ex. vid nyansökan nummer {i} enligt SoL."
        for i in range(SECTIONS)
    ]
    return "# Stor rutin\n\n" + "\n\n".join(sections) + "\n"


@dataclass
class Index:
    tmp: Path
    settings: Settings
    embedder: HashEmbeddings = field(default_factory=HashEmbeddings)
    version: int = 0
    ids: dict[str, set[str]] = field(default_factory=dict)  # content hash -> stored ids

    @property
    def big(self) -> Path:
        return self.settings.corpus_dir / BIG

    def write_version(self, version: int) -> str:
        """Put a version of the big document into the corpus; its content hash."""
        self.big.write_text(big_document(version), encoding="utf-8")
        self.version = version
        meta = next(m for m in discover(self.settings.corpus_dir, self.settings.manifest_path)[0]
                    if m.source == BIG)  # fmt: skip
        _, chunks = prepare_chunks(self.big, meta, self.settings, self.embedder)
        digest = chunks[0].content_hash
        self.ids[digest] = {stored_id(c) for c in chunks}
        return digest

    @contextmanager
    def store(self) -> Iterator[ChunkStore]:
        """A store of its own: a fresh client reads what the child wrote."""
        store = ChunkStore.open(self.settings, self.embedder.model_id, self.embedder.dimension)
        try:
            yield store
        finally:
            store.close()

    def run_child(self, kill_at: str | None = None, kill_after: float | None = None) -> int:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("KG_TEST_KILL_AT", None)
        if kill_at:
            env["KG_TEST_KILL_AT"] = kill_at
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(self.tmp)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.stderr.read()  # type: ignore[union-attr]
            if kill_after is not None:
                time.sleep(kill_after)
                child.send_signal(signal.SIGKILL)
            child.wait(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()  # type: ignore[union-attr]
            child.stderr.close()  # type: ignore[union-attr]
        return child.returncode


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    tmp = tmp_path_factory.mktemp("crash")
    folder = tmp / "corpus" / "lokala-rutiner"
    folder.mkdir(parents=True)
    (folder / "akut.md").write_text(
        "# Rutin för akut bistånd\n\nAkut bistånd kan beviljas samma dag om den sökande saknar "
        "pengar till mat.\n",
        encoding="utf-8",
    )
    idx = Index(tmp, make_settings(tmp, corpus_dir=tmp / "corpus"))
    idx.write_version(0)
    with idx.store() as store:
        assert ingest(idx.settings, store, idx.embedder).ok
    return idx


def assert_one_whole_version(idx: Index, old: str, new: str) -> str:
    """Exactly one of the two versions is live and whole; nothing of the other is found."""
    with idx.store() as store:
        record = store.documents()[BIG]
        live = record.content_hash
        assert live in (old, new)
        other = new if live == old else old
        live_ids = {c.id for c in store.live_chunks() if c.metadata["doc_id"] == BIG}
        assert live_ids == idx.ids[live], "the live version is incomplete"
        assert record.chunks == len(idx.ids[live])
        assert not live_ids & idx.ids[other]
        hits = store.query(idx.embedder.embed_query("Version av rutinen hembesök"), k=40)
        assert hits and {h.id for h in hits if h.metadata["doc_id"] == BIG} <= idx.ids[live]
        # And as the assistant searches (dense + BM25 over the live chunks):
        assistant = build_assistant(idx.settings, embedder=idx.embedder, store=store)  # type: ignore[arg-type]
        passages = assistant.search("Stycke 7 om hembesök, version av rutinen", k=8).passages
        assert passages
        assert all(p.chunk_id in idx.ids[live] for p in passages if p.doc_id == BIG)
        return live


def assert_update_completes(idx: Index, new: str) -> None:
    with idx.store() as store:
        report = ingest(idx.settings, store, idx.embedder)  # the lock died with the child
        assert report.ok
        assert store.documents()[BIG].content_hash == new
        chunks = store.live_chunks()
        ids = [c.id for c in chunks]
        assert len(ids) == len(set(ids)) == store.count()  # no orphans, no duplicates
        assert {i for i in ids if i in idx.ids[new]} == idx.ids[new]
        texts = [(c.metadata["doc_id"], c.text) for c in chunks]
        assert len(texts) == len(set(texts))
        assert f"Version {idx.version} av rutinen" in chunks[0].text or any(
            f"Version {idx.version} av rutinen" in c.text for c in chunks
        )


@pytest.mark.parametrize("kill_at", ["mid-write", "before-flip", "before-delete"])
def test_killed_inside_put_document(index: Index, kill_at: str) -> None:
    with index.store() as store:
        old = store.documents()[BIG].content_hash
    new = index.write_version(index.version + 1)
    assert index.run_child(kill_at) == -signal.SIGKILL
    live = assert_one_whole_version(index, old, new)
    assert live == (new if kill_at == "before-delete" else old)
    with index.store() as store:
        orphans = store.count() - sum(d.chunks for d in store.documents().values())
    assert orphans > 0  # the kill left chunks of the other version behind
    assert_update_completes(index, new)


def test_killed_at_random_moments(index: Index) -> None:
    seed = int(os.environ.get("KG_TEST_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    # How long an update takes in a child here, from "ready" to exit.
    with index.store() as store:
        old = store.documents()[BIG].content_hash
    new = index.write_version(index.version + 1)
    started = time.perf_counter()
    assert index.run_child() == 0
    span = time.perf_counter() - started
    outcomes = []
    for _ in range(5):
        old = new
        new = index.write_version(index.version + 1)
        delay = rng.uniform(0.0, span)
        code = index.run_child(kill_after=delay)
        live = assert_one_whole_version(index, old, new)
        outcomes.append((round(delay, 2), code, "new" if live == new else "old"))
        assert_update_completes(index, new)
    print(f"seed {seed} (KG_TEST_CRASH_SEED), update {span:.1f} s, kills: {outcomes}")


# --- damaged index files -----------------------------------------------------------------------


@pytest.fixture()
def small_index(tmp_path: Path, monkeypatch) -> Iterator[Settings]:
    """An index of two documents; `ui.cli.main` runs on it with the hash embeddings."""
    folder = tmp_path / "corpus" / "lokala-rutiner"
    folder.mkdir(parents=True)
    (folder / "hembesok.md").write_text(
        "# Rutin för hembesök\n\n## Dokumentation\n\nHembesöket dokumenteras i journalen inom "
        "tre arbetsdagar.\n",
        encoding="utf-8",
    )
    (folder / "akut.md").write_text(
        "# Rutin för akut bistånd\n\nAkut bistånd kan beviljas samma dag.\n", encoding="utf-8"
    )
    settings = make_settings(tmp_path, corpus_dir=tmp_path / "corpus")
    embedder = HashEmbeddings()
    for key in [k for k in os.environ if k.startswith("KG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("KG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setattr("assistant.service.load_embeddings", lambda _settings: embedder)
    store = ChunkStore.open(settings, embedder.model_id, embedder.dimension)
    assert ingest(settings, store, embedder).ok
    store.close()
    yield settings


def cli(*argv: str, capsys) -> tuple[int, str, str]:
    """One CLI command as its own process would run it: the CLI does not close its Chroma
    client, so a stale one would outlive the command here; forget it, as an exit does."""
    from ui import cli as cli_module

    try:
        code = cli_module.main(list(argv))
    finally:
        SharedSystemClient.clear_system_cache()
    out, err = capsys.readouterr()
    return code, out, err


def _garble(path: Path, start: float, size: int) -> None:
    data = bytearray(path.read_bytes())
    at = int(len(data) * start)
    data[at : at + size] = random.Random(3).randbytes(min(size, len(data) - at))
    path.write_bytes(bytes(data))


def _segments(settings: Settings) -> list[Path]:
    return [p for p in settings.chroma_dir.iterdir() if p.is_dir()]


DAMAGE = {
    "sqlite-deleted": lambda s: (s.chroma_dir / "chroma.sqlite3").unlink(),
    "sqlite-header-garbled": lambda s: _garble(s.chroma_dir / "chroma.sqlite3", 0.0, 4096),
    "sqlite-middle-garbled": lambda s: _garble(s.chroma_dir / "chroma.sqlite3", 0.3, 65536),
    "sqlite-truncated": lambda s: (s.chroma_dir / "chroma.sqlite3").write_bytes(
        (s.chroma_dir / "chroma.sqlite3").read_bytes()[:8192]
    ),
    "segment-dirs-deleted": lambda s: [shutil.rmtree(p) for p in _segments(s)],
    "segment-files-garbled": lambda s: [
        _garble(f, 0.0, 512) for p in _segments(s) for f in p.iterdir()
    ],
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_a_clear_error_and_rebuild_recovers(
    small_index: Settings, damage: str, capsys
) -> None:
    question = "Inom hur många arbetsdagar dokumenteras hembesöket?"
    DAMAGE[damage](small_index)

    code, out, err = cli("search", question, "--json", capsys=capsys)
    if code == 0:
        # Chroma rebuilt what was lost from its own log: then the answer must be right.
        passages = json.loads(out)
        assert passages and passages[0]["source"] == "lokala-rutiner/hembesok.md", out
    else:
        assert code == 1 and not out
        assert err.startswith("Fel: ") and "`kunskapsguide ingest --rebuild`" in err, err

    code, out, err = cli("ingest", "--rebuild", "--json", capsys=capsys)
    assert code == 0, err
    assert sorted(json.loads(out)["added"]) == [
        "lokala-rutiner/akut.md", "lokala-rutiner/hembesok.md",
    ]  # fmt: skip
    code, out, _ = cli("search", question, "--json", capsys=capsys)
    assert code == 0 and json.loads(out)[0]["source"] == "lokala-rutiner/hembesok.md"


def test_index_folder_gone_says_to_ingest(small_index: Settings, capsys) -> None:
    shutil.rmtree(small_index.chroma_dir)
    code, out, err = cli("search", "hembesök", capsys=capsys)
    assert code == 1
    assert "Indexet är tomt. Indexera korpusen med `kunskapsguide ingest`." in err
