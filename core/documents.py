"""Internal values of the ingest pipeline: what a loader returns and what the index stores."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class DocumentKind(StrEnum):
    """What kind of document a source is; the value is what manifests and indexes hold."""

    NATIONAL_GUIDANCE = "nationell_vagledning"
    REPORT = "rapport"
    MUNICIPAL_PLAN = "kommunal_plan"
    ARTICLE = "artikel"
    LOCAL_ROUTINE = "lokal_rutin"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @classmethod
    def parse(cls, value: object, default: DocumentKind | None = None) -> DocumentKind:
        """The kind written as `value`; `default` (a local routine) for anything else."""
        if isinstance(value, str) and value in cls._value2member_map_:
            return cls(value)
        return default or cls.LOCAL_ROUTINE


_KIND_LABELS = {
    DocumentKind.NATIONAL_GUIDANCE: "Nationell vägledning",
    DocumentKind.REPORT: "Rapport",
    DocumentKind.MUNICIPAL_PLAN: "Kommunal plan",
    DocumentKind.ARTICLE: "Artikel",
    DocumentKind.LOCAL_ROUTINE: "Lokal rutin",
}
KINDS = {kind.value: kind.label for kind in DocumentKind}  # value -> Swedish label


@dataclass(frozen=True)
class DocumentMeta:
    """What the manifest (or an upload form, or front matter) says about a document. Chunks
    and passages carry it whole; `to_metadata`/`from_metadata` is its one codec for Chroma."""

    doc_id: str  # stable id: the source path relative to corpus/, without suffix
    source: str  # path relative to corpus/, with "/" separators
    title: str
    publisher: str = ""
    year: int | None = None
    kind: DocumentKind = DocumentKind.LOCAL_ROUTINE
    municipality: str | None = None
    url: str | None = None
    valid_from: str | None = None  # ISO date
    format: str | None = None  # override the loader chosen by suffix: txt, pdf-text, md, pdf, docx, html
    example: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DocumentKind):  # a str from YAML, a form or an old index
            object.__setattr__(self, "kind", DocumentKind.parse(self.kind))

    @property
    def is_local(self) -> bool:
        return self.kind is DocumentKind.LOCAL_ROUTINE

    def fingerprint(self) -> str:
        """Every field, as stable text: what a content hash covers, so that a new field or a
        changed value re-indexes the document."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    def to_metadata(self) -> dict[str, str | int | bool]:
        """Chroma metadata (no None values: a field that is not set is left out)."""
        return {
            f.name: str(value) if isinstance(value, DocumentKind) else value
            for f in fields(self)
            if (value := getattr(self, f.name)) is not None
        }

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> DocumentMeta:
        """The document of a stored chunk or registry record (one written before a field
        existed lacks it, and gets its default)."""
        get = metadata.get
        year = get("year")
        return cls(
            doc_id=str(get("doc_id") or ""),
            source=str(get("source") or ""),
            title=str(get("title") or ""),
            publisher=str(get("publisher") or ""),
            year=int(year) if isinstance(year, int | float) and not isinstance(year, bool) else None,
            kind=DocumentKind.parse(get("kind")),
            municipality=_text_or_none(get("municipality")),
            url=_text_or_none(get("url")),
            valid_from=_text_or_none(get("valid_from")),
            format=_text_or_none(get("format")),
            example=get("example") is True,
        )


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class Block:
    """A run of text under one section path, from one page (or none).

    Loaders emit blocks in reading order; a heading changes the section path of the
    blocks after it. `is_list` marks a bullet list whose lines must stay lines.
    """

    text: str
    section: tuple[str, ...] = ()
    page: int | None = None
    is_list: bool = False


@dataclass(frozen=True)
class LoadedDocument:
    meta: DocumentMeta
    blocks: tuple[Block, ...]
    content_hash: str  # sha256 of the raw file bytes plus the meta that is embedded


class DocumentPart:
    """A part of a document (a chunk, a retrieved passage): its document's fields, read
    through the one `meta` it carries, and where in the document it is."""

    meta: DocumentMeta
    section: tuple[str, ...]
    page_start: int | None
    page_end: int | None

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def source(self) -> str:
        return self.meta.source

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def publisher(self) -> str:
        return self.meta.publisher

    @property
    def year(self) -> int | None:
        return self.meta.year

    @property
    def kind(self) -> DocumentKind:
        return self.meta.kind

    @property
    def municipality(self) -> str | None:
        return self.meta.municipality

    @property
    def is_local(self) -> bool:
        return self.meta.is_local

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)

    @property
    def page_label(self) -> str:
        if self.page_start is None:
            return ""
        if self.page_end is None or self.page_end == self.page_start:
            return str(self.page_start)
        return f"{self.page_start}–{self.page_end}"


@dataclass(frozen=True)
class Chunk(DocumentPart):
    chunk_id: str  # f"{doc_id}::{position:04d}::{hash8}" - deterministic
    meta: DocumentMeta
    section: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    position: int
    text: str  # the chunk's own text (shown, quoted)
    embed_text: str  # "title › section\n\ntext": what is embedded (without the e5 prefix)
    content_hash: str  # of the document this chunk came from
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sentence:
    """An answer unit of a chunk, indexed on its own (small-to-big: a sentence hit lifts its
    chunk, and answers are composed from sentences)."""

    chunk: str  # the stored id of its chunk
    doc_id: str
    content_hash: str  # of the document version, like its chunk's
    index: int  # position in the chunk
    text: str
    embed_text: str  # "title › section: text": what is embedded (without the e5 prefix)

    @property
    def id(self) -> str:
        return f"{self.chunk}#{self.index}"
