"""Chunks and passages for tests, written with their document's fields inline
(`passage(source=…, title=…, text=…)`): the fields of `DocumentMeta` go into the one `meta`
that chunks and passages carry, the rest to the part itself."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, TypeVar

from assistant.types import Passage
from core.documents import Chunk, DocumentMeta

_DOCUMENT_FIELDS = {f.name for f in fields(DocumentMeta)}
PartT = TypeVar("PartT", Passage, Chunk)


def document(values: dict[str, Any]) -> tuple[DocumentMeta, dict[str, Any]]:
    """(the DocumentMeta of `values`, the other values); doc_id defaults to the source."""
    rest = dict(values)
    given = {name: rest.pop(name) for name in _DOCUMENT_FIELDS & rest.keys()}
    given.setdefault("source", "kunskapsguiden/dokument.txt")
    given.setdefault("doc_id", given["source"])
    given.setdefault("title", "Dokument")
    return DocumentMeta(**given), rest


def passage(**values: Any) -> Passage:
    meta, rest = document(values)
    rest.setdefault("chunk_id", f"{meta.doc_id}::0000")
    for name, default in (("section", ()), ("page_start", None), ("page_end", None)):
        rest.setdefault(name, default)
    rest.setdefault("position", 0)
    return Passage(meta=meta, **rest)


def chunk(**values: Any) -> Chunk:
    meta, rest = document(values)
    return Chunk(meta=meta, **rest)


def changed(part: PartT, **values: Any) -> PartT:
    """`part` with some of its own or its document's fields changed."""
    doc = {name: values.pop(name) for name in _DOCUMENT_FIELDS & values.keys()}
    return replace(part, meta=replace(part.meta, **doc), **values)
