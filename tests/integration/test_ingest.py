"""Incremental ingest against a real embedded Chroma with the real embedding model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.service import open_index
from core.errors import IndexMismatchError
from core.settings import Settings
from core.store import ChunkStore
from ingest.pipeline import ingest
from tests.conftest import make_settings

ROUTINE = """---
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
"""

OTHER = """# Rutin för akut bistånd

Akut bistånd kan beviljas samma dag om den sökande saknar pengar till mat. Beslutet fattas av
handläggaren enligt delegationsordningen och följs upp inom en vecka.
"""


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "lokala-rutiner").mkdir(parents=True)
    (corpus / "lokala-rutiner" / "hembesok.md").write_text(ROUTINE, encoding="utf-8")
    (corpus / "lokala-rutiner" / "akut.md").write_text(OTHER, encoding="utf-8")
    return corpus


def _chunk_ids(store: ChunkStore) -> list[str]:
    return [c.id for c in store.live_chunks()]


@pytest.fixture()
def env(tmp_path: Path, embedder) -> tuple[Settings, ChunkStore, object]:
    settings = make_settings(tmp_path, corpus_dir=_corpus(tmp_path))
    _, store = open_index(settings, embedder)
    return settings, store, embedder


def test_add_change_remove_follow_the_corpus_exactly(env) -> None:
    settings, store, embedder = env
    first = ingest(settings, store, embedder)
    assert sorted(first.added) == ["lokala-rutiner/akut.md", "lokala-rutiner/hembesok.md"]
    total = store.count()
    assert total == first.chunks == first.embedded_chunks > 0
    assert len(set(_chunk_ids(store))) == total  # no duplicates

    # A second run changes nothing and embeds nothing.
    again = ingest(settings, store, embedder)
    assert again.added == again.updated == again.removed == ()
    assert sorted(again.skipped) == sorted(first.added)
    assert again.embedded_chunks == 0 and store.count() == total

    # Change one document: only it is re-embedded; its old chunks are gone.
    path = settings.corpus_dir / "lokala-rutiner" / "hembesok.md"
    path.write_text(ROUTINE.replace("tre arbetsdagar", "fem arbetsdagar"), encoding="utf-8")
    changed = ingest(settings, store, embedder)
    assert changed.updated == ("lokala-rutiner/hembesok.md",)
    assert changed.skipped == ("lokala-rutiner/akut.md",)
    texts = " ".join(c.text for c in store.live_chunks())
    assert "fem arbetsdagar" in texts and "tre arbetsdagar" not in texts
    assert store.count() == total  # same shape, replaced not added

    # Remove the other: its chunks are deleted.
    akut = [c for c in store.live_chunks() if c.metadata["doc_id"] == "lokala-rutiner/akut.md"]
    (settings.corpus_dir / "lokala-rutiner" / "akut.md").unlink()
    removed = ingest(settings, store, embedder)
    assert removed.removed == ("lokala-rutiner/akut.md",)
    assert store.count() == total - len(akut)
    assert set(store.documents()) == {"lokala-rutiner/hembesok.md"}


def test_front_matter_and_sections_reach_the_chunks(env) -> None:
    settings, store, embedder = env
    ingest(settings, store, embedder)
    chunks = [c for c in store.live_chunks() if c.metadata["doc_id"].endswith("hembesok.md")]
    assert {c.metadata["title"] for c in chunks} == {"Rutin för hembesök"}
    assert all(c.metadata["kind"] == "lokal_rutin" for c in chunks)
    sections = {c.metadata["section_path"] for c in chunks}
    assert any("Dokumentation" in s for s in sections)
    assert all(c.embed_text.startswith("Rutin för hembesök") for c in chunks)


def test_a_bad_file_is_reported_and_the_rest_goes_on(env) -> None:
    settings, store, embedder = env
    (settings.corpus_dir / "lokala-rutiner" / "trasig.pdf").write_bytes(b"%PDF-1.7 not really")
    report = ingest(settings, store, embedder)
    assert not report.ok
    assert [f.source for f in report.failed] == ["lokala-rutiner/trasig.pdf"]
    assert "trasig.pdf" in report.failed[0].reason
    assert len(report.added) == 2
    assert "lokala-rutiner/trasig.pdf" not in store.documents()


def test_rebuild_starts_afresh_with_the_same_result(env) -> None:
    settings, store, embedder = env
    ingest(settings, store, embedder)
    before = sorted(_chunk_ids(store))
    rebuilt = ingest(settings, store, embedder, rebuild=True)
    assert len(rebuilt.added) == 2
    assert sorted(_chunk_ids(store)) == before  # ids are deterministic


def test_opening_with_another_model_is_a_clear_error(env) -> None:
    settings, store, embedder = env
    ingest(settings, store, embedder)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ChunkStore.open(settings, "some-other-model", embedder.dimension)


def test_cli_ingest_json_and_sources(tmp_path: Path, embedder, monkeypatch, capsys) -> None:
    from ui import cli

    settings = make_settings(tmp_path, corpus_dir=_corpus(tmp_path))
    monkeypatch.setenv("KG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("KG_MODELS_DIR", str(settings.model_cache_dir))
    assert cli.main(["ingest", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) >= {"added", "updated", "removed", "skipped", "failed", "chunks", "seconds"}
    assert len(summary["added"]) == 2 and summary["failed"] == []
    assert cli.main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "Rutin för hembesök" in out and "Lokal rutin" in out


def test_seed_corpus_sekretess_in_top_three(seed_assistant) -> None:
    result = seed_assistant.search("vad gäller vid sekretess?", k=3)
    sections = [p.section_path for p in result.passages]
    assert any("Offentlighet och sekretess" in s for s in sections), sections


def _sentence_texts(store: ChunkStore) -> list[str]:
    chunks = [c.id for c in store.live_chunks()]
    return [s.text for s in store.sentences_of(chunks)]


def test_the_sentence_index_follows_add_change_remove_exactly(env) -> None:
    """Small-to-big: every answer sentence of every live chunk is indexed once, under the
    document's version, and goes with it."""
    settings, store, embedder = env
    ingest(settings, store, embedder)
    texts = _sentence_texts(store)
    assert "Hembesöket dokumenteras i journalen inom tre arbetsdagar." in texts
    assert not any(t.startswith("Rutin för hembesök") for t in texts)  # a heading: not quoted
    total = store.count_sentences()
    assert total == len(texts) == sum(d.sentences for d in store.documents().values()) > 0
    ids = [s.id for s in store.sentences_of([c.id for c in store.live_chunks()])]
    assert len(set(ids)) == len(ids)  # no duplicates

    path = settings.corpus_dir / "lokala-rutiner" / "hembesok.md"
    path.write_text(ROUTINE.replace("tre arbetsdagar", "fem arbetsdagar"), encoding="utf-8")
    ingest(settings, store, embedder)
    texts = _sentence_texts(store)
    assert "Hembesöket dokumenteras i journalen inom fem arbetsdagar." in texts
    assert not any("tre arbetsdagar" in t for t in texts)
    assert store.count_sentences() == total  # replaced, not added

    akut = store.documents()["lokala-rutiner/akut.md"].sentences
    (settings.corpus_dir / "lokala-rutiner" / "akut.md").unlink()
    ingest(settings, store, embedder)
    assert store.count_sentences() == total - akut > 0
    assert not any("Akut bistånd" in t for t in _sentence_texts(store))

    vector = embedder.embed_query("Inom hur många dagar dokumenteras hembesöket?")
    best = store.query_sentences(vector, 1)[0]
    assert best.text == "Hembesöket dokumenteras i journalen inom fem arbetsdagar."


def test_ctrl_c_inside_a_store_call_stops_the_ingest_and_loses_nothing(env, monkeypatch) -> None:
    """An interrupt is not a damaged index: it stops the ingest at once (no StoreError, no next
    document), the old version stays live, and the next ingest finishes the update."""
    settings, store, embedder = env
    ingest(settings, store, embedder)
    before = {c.id for c in store.live_chunks()}
    path = settings.corpus_dir / "lokala-rutiner" / "hembesok.md"
    path.write_text(ROUTINE.replace("tre arbetsdagar", "fem arbetsdagar"), encoding="utf-8")

    def interrupted(**kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store._sentences, "upsert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, store, embedder)
    monkeypatch.undo()

    assert {c.id for c in store.live_chunks()} == before  # the old version, whole
    texts = " ".join(c.text for c in store.live_chunks())
    assert "tre arbetsdagar" in texts and "fem arbetsdagar" not in texts
    finished = ingest(settings, store, embedder)
    assert finished.updated == ("lokala-rutiner/hembesok.md",)
    assert "fem arbetsdagar" in " ".join(c.text for c in store.live_chunks())
    assert len(_sentence_texts(store)) == store.count_sentences()  # the orphans are gone
