"""The real seed corpus, loaded through its manifest entries: sections, cleaning and pages.

Chunk sizes here use a fake word counter; the real tokenizer is covered by integration tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.documents import Chunk, DocumentMeta, LoadedDocument
from ingest.chunk import chunk_document
from ingest.loaders import load_document

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
ENTRIES = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))["documents"]
FIELDS = (
    "title",
    "publisher",
    "year",
    "kind",
    "municipality",
    "url",
    "valid_from",
    "format",
    "example",
)


def meta_of(entry: dict[str, object]) -> DocumentMeta:
    source = str(entry["source"])
    values = {k: entry[k] for k in FIELDS if entry.get(k) is not None}
    return DocumentMeta(doc_id=source, source=source, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[LoadedDocument, list[Chunk]]]:
    loaded = {}
    for entry in ENTRIES:
        doc = load_document(CORPUS / entry["source"], meta_of(entry), max_bytes=50 * 1024 * 1024)
        chunks = chunk_document(
            doc, lambda t: len(t.split()), token_budget=300, target_tokens=150, overlap_tokens=30
        )
        loaded[entry["source"]] = (doc, chunks)
    return loaded


def by_name(
    corpus: dict[str, tuple[LoadedDocument, list[Chunk]]], part: str
) -> tuple[LoadedDocument, list[Chunk]]:
    [match] = [value for key, value in corpus.items() if part in key]
    return match


def test_every_document_loads_with_sections_and_chunks(corpus) -> None:
    assert len(corpus) == len(ENTRIES)
    for source, (doc, chunks) in corpus.items():
        assert chunks, source
        assert doc.meta.title and all(c.title == doc.meta.title for c in chunks)
        assert len({b.section for b in doc.blocks}) >= 3, source
        assert all(doc.meta.title not in c.section for c in chunks), source


def test_offentlighet_och_sekretess_section(corpus) -> None:
    doc, chunks = by_name(corpus, "uppdrag-och-ansvar")
    section = " ".join(b.text for b in doc.blocks if b.section == ("Offentlighet och sekretess",))
    assert "huvudregeln är att sekretess gäller" in section
    assert any(
        c.section == ("Offentlighet och sekretess",)
        and "huvudregeln är att sekretess gäller" in c.text
        for c in chunks
    )
    lists = [b for b in doc.blocks if b.section == ("Offentlighet och sekretess",) and b.is_list]
    assert lists and lists[0].text.startswith("• om den enskilde lämnar sitt samtycke")


def test_no_boilerplate_or_page_furniture_in_chunks(corpus) -> None:
    for source, (_, chunks) in corpus.items():
        for c in chunks:
            for noise in ("Prenumerera på nyhetsbrevet", "Sida 7 (30)", "Faktagranskad av",
                          "Ekonomiskt bistånd 6", "Ekonomiskt bistånd 42", "\uf0b7"):  # fmt: skip
                assert noise not in c.text, (source, noise)


def test_hyphenation_undone_but_real_hyphens_kept(corpus) -> None:
    texts = {source: " ".join(c.text for c in chunks) for source, (_, chunks) in corpus.items()}
    for source, text in texts.items():
        assert "kommu- nen" not in text and "kommu-nen" not in text, source
        assert "kommu-\nnen" not in text, source
    stockholm = next(t for s, t in texts.items() if "stockholm" in s)
    assert "barn- och ungdomsvård" in stockholm
    forstudie = next(t for s, t in texts.items() if "forstudie" in s)
    assert "det kommunala verksamhetsområdet" in forstudie
    assert "året. Därefter" in forstudie  # the glued footnote number is gone


def test_pages_are_set_for_the_pdf_text_documents(corpus) -> None:
    for part, first_page in (("forstudie", 4), ("stockholm", 3)):
        doc, chunks = by_name(corpus, part)
        assert all(b.page is not None for b in doc.blocks), part
        assert all(c.page_start is not None and c.page_start <= c.page_end for c in chunks), part
        assert min(b.page for b in doc.blocks if b.page) == first_page
    doc, _ = by_name(corpus, "stockholm")
    [national] = [b for b in doc.blocks if b.text.startswith("Sedan ett antal år har problem")]
    assert national.page == 7 and national.section == ("Nationellt perspektiv",)
    doc, _ = by_name(corpus, "forstudie")
    [intro] = [
        b
        for b in doc.blocks
        if b.text.startswith("I denna rapport redovisas resultatet av en studie")
    ]
    assert intro.page == 7 and intro.section == ("Introduktion",)


def test_expected_sections_are_found(corpus) -> None:
    expected = {
        "om-yrkesintroduktion": [
            "Varför är introduktionen så viktig?",
            "Introduktion i två huvudsakliga delar",
        ],
        "uppdrag-och-ansvar": ["Lex Sarah", "Tillsyn", "Anmälningsskyldighet"],
        "forstudie": ["Tema 1: Introduktion av nyanställda socialsekreterare", "Sammanfattning"],
        "stockholm": ["Inledning", "Rimlig arbetsbelastning", "Delegation"],
        "yrkesintroduktion-ger": ["Mycket arbete med flyktingbarn", "Handledning med hemuppgifter"],
        "EXEMPEL": ["Syfte", "Återkallat samtycke"],
    }
    for part, names in expected.items():
        doc, _ = by_name(corpus, part)
        found = {name for b in doc.blocks for name in b.section}
        assert set(names) <= found, (part, sorted(found))


def test_sentence_fragments_do_not_become_headings(corpus) -> None:
    for source, (doc, _) in corpus.items():
        for name in {name for b in doc.blocks for name in b.section}:
            assert name[0].isupper() or name[0].isdigit(), (source, name)
            assert not name.endswith((".", ",", ";", "-")), (source, name)
            assert name.split()[-1].lower() not in {"och", "att", "som", "av", "för", "i", "med"}, (
                source,
                name,
            )
