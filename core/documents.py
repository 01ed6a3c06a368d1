"""Internal values of the ingest pipeline: what a loader returns and what the index stores."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = {
    "nationell_vagledning": "Nationell vägledning",
    "rapport": "Rapport",
    "kommunal_plan": "Kommunal plan",
    "artikel": "Artikel",
    "lokal_rutin": "Lokal rutin",
}


@dataclass(frozen=True)
class DocumentMeta:
    """What the manifest (or an upload form, or front matter) says about a document."""

    doc_id: str  # stable id: the source path relative to corpus/, without suffix
    source: str  # path relative to corpus/, with "/" separators
    title: str
    publisher: str = ""
    year: int | None = None
    kind: str = "lokal_rutin"  # a key of KINDS
    municipality: str | None = None
    url: str | None = None
    valid_from: str | None = None  # ISO date
    format: str | None = None  # override the loader chosen by suffix: txt, pdf-text, md, pdf, docx, html
    example: bool = False


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


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # f"{doc_id}::{position:04d}::{hash8}" - deterministic
    doc_id: str
    source: str
    title: str
    publisher: str
    year: int | None
    kind: str
    municipality: str | None
    section: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    position: int
    text: str  # the chunk's own text (shown, quoted)
    embed_text: str  # "title › section\n\ntext": what is embedded (without the e5 prefix)
    content_hash: str  # of the document this chunk came from
    extra: dict[str, str] = field(default_factory=dict)

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
