"""DocumentMeta: one codec to and from Chroma metadata, kinds as a StrEnum, and a content hash
over every field (issue 11, item 9)."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given
from hypothesis import strategies as st

from core.documents import KINDS, DocumentKind, DocumentMeta
from ingest.loaders import content_hash

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
OPTIONAL_TEXT = st.none() | TEXT.filter(bool)
METAS = st.builds(
    DocumentMeta,
    doc_id=TEXT,
    source=TEXT,
    title=TEXT,
    publisher=TEXT,
    year=st.none() | st.integers(1900, 2100),
    kind=st.sampled_from(list(DocumentKind)),
    municipality=OPTIONAL_TEXT,
    url=OPTIONAL_TEXT,
    valid_from=OPTIONAL_TEXT,
    format=OPTIONAL_TEXT,
    example=st.booleans(),
)


@given(METAS)
def test_the_codec_round_trips_every_field(meta: DocumentMeta) -> None:
    stored = meta.to_metadata()
    assert all(value is not None for value in stored.values())  # Chroma takes no None
    assert all(isinstance(v, str | int | bool) and not isinstance(v, DocumentKind) for v in stored.values())
    assert DocumentMeta.from_metadata(stored) == meta


def test_metadata_written_before_a_field_existed_is_read_with_its_default() -> None:
    old = {"doc_id": "d", "source": "d.txt", "title": "T", "publisher": "", "kind": "rapport"}
    meta = DocumentMeta.from_metadata(old)
    assert (meta.kind, meta.url, meta.example, meta.valid_from) == (DocumentKind.REPORT, None, False, None)


def test_kinds_are_the_strings_manifests_hold() -> None:
    assert set(KINDS) == {"nationell_vagledning", "rapport", "kommunal_plan", "artikel", "lokal_rutin"}
    assert DocumentKind("rapport") == "rapport" and DocumentKind.REPORT.label == "Rapport"
    assert DocumentMeta("d", "d.md", "T", kind="rapport").kind is DocumentKind.REPORT  # type: ignore[arg-type]
    assert DocumentKind.parse("okänd") is DocumentKind.LOCAL_ROUTINE
    assert DocumentKind.parse(None, DocumentKind.ARTICLE) is DocumentKind.ARTICLE


def test_the_content_hash_covers_every_field() -> None:
    base = DocumentMeta("d", "d.md", "T")
    changed = {
        "doc_id": "e", "source": "e.md", "title": "U", "publisher": "P", "year": 2020,
        "kind": DocumentKind.REPORT, "municipality": "Malmö", "url": "https://x.se",
        "valid_from": "2024-01-01", "format": "md", "example": True,
    }  # fmt: skip
    assert set(changed) == {f.name for f in fields(DocumentMeta)}  # a new field must be added here
    hashes = {content_hash(b"text", replace(base, **{name: value})) for name, value in changed.items()}
    assert len(hashes) == len(changed) and content_hash(b"text", base) not in hashes


def test_a_manifest_entry_has_the_fields_of_a_document_and_carries_them_all() -> None:
    from ingest.manifest import ManifestEntry, meta_from_entry

    document = {f.name for f in fields(DocumentMeta)}
    assert set(ManifestEntry.model_fields) == document - {"doc_id"} | {"note"}
    entry = ManifestEntry(
        source="rapporter/r.txt", title="R", publisher="P", year=2020, kind="rapport",
        municipality="Malmö", url="https://x.se", valid_from="2020-01-01", format="txt",
        example=True, note="intern anteckning",
    )  # fmt: skip
    meta = meta_from_entry(entry)
    assert meta == DocumentMeta(
        doc_id="rapporter/r.txt", source="rapporter/r.txt", title="R", publisher="P", year=2020,
        kind=DocumentKind.REPORT, municipality="Malmö", url="https://x.se",
        valid_from="2020-01-01", format="txt", example=True,
    )  # fmt: skip
