"""Hostile uploads against a real index (real Chroma, the real embedding model): a name of the
manifest cannot overwrite its document (it went from 6 chunks to 1), a name the discovery
skips is never "published", a publish is reported from what the ingest really did, and
`kunskapsguide sources` prints titles and file names without control characters, escape
sequences or personnummer."""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.service import open_index
from core.documents import DocumentMeta
from core.errors import DocumentError
from core.settings import Settings
from core.store import ChunkStore
from ingest.pipeline import index_chunks, ingest, prepare_chunks
from ingest.upload import ADDED, UNCHANGED, UPDATED, UPLOAD_DIR, indexed_upload, publish
from tests.conftest import make_settings

MANAGED = f"{UPLOAD_DIR}/rutin-samtycke.md"
SECTION = """## Samtycke del {n}

Samtycke till att hämta uppgifter från andra myndigheter ska dokumenteras i akten. Den enskilde
ska få veta vilka uppgifter som hämtas, varför de behövs och att samtycket kan återkallas när
som helst, t.ex. muntligt vid ett besök. Handläggaren antecknar datum och vem som gav samtycket,
och bl.a. Försäkringskassan och Arbetsförmedlingen kan då kontaktas enligt SoL.

"""
LONG_ROUTINE = "# Rutin för samtycke\n\n" + "".join(SECTION.format(n=n) for n in range(1, 9))
SHORT = "# Kort rutin\n\nHembesök görs av två handläggare tillsammans i Testköping.\n"
MANIFEST = f"""documents:
  - source: {MANAGED}
    title: Rutin för samtycke och uppgiftslämnande
    kind: lokal_rutin
"""


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    (corpus / UPLOAD_DIR).mkdir(parents=True)
    (corpus / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (corpus / MANAGED).write_text(LONG_ROUTINE, encoding="utf-8")
    settings = make_settings(root, corpus_dir=corpus)
    _, store = open_index(settings, embedder)
    report = ingest(settings, store, embedder)
    assert report.ok and report.added == (MANAGED,)
    store.close()
    return root


@pytest.fixture()
def env(baseline: Path, tmp_path: Path, embedder) -> Iterator[tuple[Settings, ChunkStore]]:
    shutil.copytree(baseline / "corpus", tmp_path / "corpus")
    shutil.copytree(baseline / "data", tmp_path / "data")
    settings = make_settings(tmp_path, corpus_dir=tmp_path / "corpus")
    _, store = open_index(settings, embedder)
    yield settings, store
    store.close()


def test_a_name_of_the_manifest_cannot_overwrite_its_document(env, embedder) -> None:
    settings, store = env
    chunks = store.documents()[MANAGED].chunks
    assert chunks > 1
    with pytest.raises(DocumentError, match="corpus/manifest.yaml") as info:
        publish("rutin-samtycke.md", SHORT.encode(), "Kort", settings, embedder)
    assert "”Rutin för samtycke och uppgiftslämnande”" in str(info.value)
    assert (settings.corpus_dir / MANAGED).read_text(encoding="utf-8") == LONG_ROUTINE
    report = ingest(settings, store, embedder)
    assert report.skipped == (MANAGED,) and not report.added and not report.updated
    assert store.documents()[MANAGED].chunks == chunks


@pytest.mark.parametrize("name", ["README.md", "LASMIG.md"])
def test_a_name_the_discovery_skips_is_never_published(env, embedder, name: str) -> None:
    settings, store = env
    with pytest.raises(DocumentError, match="aldrig bli sökbart"):
        publish(name, SHORT.encode(), "Kort", settings, embedder)
    assert not (settings.corpus_dir / UPLOAD_DIR / name).exists()
    assert set(store.documents()) == {MANAGED}


def test_a_publish_is_reported_from_what_the_ingest_did(env, embedder) -> None:
    settings, store = env
    meta = publish("Ny rutin.md", SHORT.encode(), "Kort rutin", settings, embedder)
    first = indexed_upload(ingest(settings, store, embedder), meta.source, store.documents())
    assert (first.change, first.chunks) == (ADDED, store.documents()[meta.source].chunks)
    assert first.chunks >= 1

    publish("Ny rutin.md", SHORT.encode(), "Kort rutin", settings, embedder)
    again = indexed_upload(ingest(settings, store, embedder), meta.source, store.documents())
    assert again.change == UNCHANGED

    publish("Ny rutin.md", LONG_ROUTINE.encode(), "Kort rutin", settings, embedder)
    longer = indexed_upload(ingest(settings, store, embedder), meta.source, store.documents())
    assert longer.change == UPDATED and longer.chunks > first.chunks


def test_a_failed_publish_is_not_reported_published(env, embedder) -> None:
    settings, store = env
    meta = publish("rutin.md", SHORT.encode(), "Kort rutin", settings, embedder)
    # The file is damaged after the publish, before the ingest (a sync client, a full disk).
    (settings.corpus_dir / meta.source).write_bytes(b"")
    report = ingest(settings, store, embedder)
    with pytest.raises(DocumentError, match="kunde inte indexeras.*filen är tom"):
        indexed_upload(report, meta.source, store.documents())


HOSTILE_TITLE = "\x1b[31mRöd\x1b[0m rutin\r för 19850101-1234\x9b2J \x1b]0;fönster\x07slut"
HOSTILE_NAME = f"{UPLOAD_DIR}/beslut-19850101-1234.md"


def test_sources_prints_no_control_characters_and_no_personnummer(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from ui import cli

    # Put straight into the index: a title and file name as hostile as any that an older
    # version, a manifest or a copied index may hold.
    settings = make_settings(tmp_path, corpus_dir=tmp_path / "corpus")
    path = settings.corpus_dir / HOSTILE_NAME
    path.parent.mkdir(parents=True)
    path.write_text(SHORT, encoding="utf-8")
    meta = DocumentMeta(doc_id=HOSTILE_NAME, source=HOSTILE_NAME, title=HOSTILE_TITLE)
    _, chunks = prepare_chunks(path, meta, settings, embedder)
    # Loading bounds a title to one clean line now; an older index may still hold the raw one.
    assert all(c.title == "Röd rutin för 19850101-1234 slut" for c in chunks)
    chunks = [replace(c, meta=replace(c.meta, title=HOSTILE_TITLE)) for c in chunks]
    _, store = open_index(settings, embedder)
    index_chunks(chunks, store, embedder, settings.embedding_batch_size, bar=False)
    store.close()
    for key, value in {
        "KG_DATA_DIR": settings.data_dir,
        "KG_CORPUS_DIR": settings.corpus_dir,
        "KG_MODELS_DIR": settings.model_cache_dir,
    }.items():
        monkeypatch.setenv(key, str(value))

    assert cli.main(["sources"]) == 0
    out = capsys.readouterr().out
    controls = [ch for ch in out if unicodedata.category(ch) == "Cc" and ch != "\n"]
    assert not controls, controls
    assert out.count("\n") == 1  # one line per document: the "\r" did not start another
    assert "[31m" not in out and "]0;" not in out  # escape sequences removed whole
    assert "Röd rutin för [personnummer]" in out and "slut" in out
    assert "19850101" not in out and "beslut-[personnummer].md" in out

    assert cli.main(["sources", "--json"]) == 0
    out = capsys.readouterr().out
    assert not [ch for ch in out if unicodedata.category(ch) == "Cc" and ch != "\n"]
    [row] = json.loads(out)  # machines get the exact values
    assert (row["title"], row["source"]) == (HOSTILE_TITLE, HOSTILE_NAME)
