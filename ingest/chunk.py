"""Section-aware chunking, sized in the embedding model's tokens.

A chunk never spans two sections. Its `embed_text` ("title › section\\n\\ntext") always fits
`token_budget`; its text aims at `target_tokens`. Text splits at paragraphs, then sentences
(then words, then characters, only when one sentence alone is too long). Consecutive chunks of
one section share up to `overlap_tokens` of whole sentences. Lists stay one item per line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from ingest.documents import Block, Chunk, LoadedDocument
from ingest.errors import ConfigError
from ingest.sentences import split_sentences

CountTokens = Callable[[str], int]
SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class _Unit:
    """A sentence or a list line: the smallest piece a chunk is built from."""

    text: str
    sep: str  # joins it to the unit before: " " in a paragraph, "\n" in a list, "\n\n" between
    page: int | None


def chunk_document(
    doc: LoadedDocument,
    count_tokens: CountTokens,
    token_budget: int,
    target_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    _check_sizes(token_budget, target_tokens, overlap_tokens)
    title = doc.meta.title or doc.meta.doc_id
    drafts: list[tuple[tuple[str, ...], str, list[_Unit]]] = []
    for section, run in groupby(doc.blocks, key=lambda block: block.section):
        header = fit_header(title, section, count_tokens, token_budget)
        units = _units(list(run), header, count_tokens, token_budget)
        for packed in _pack(
            units, header, count_tokens, token_budget, target_tokens, overlap_tokens
        ):
            drafts.append((section, header, packed))
    return [_chunk(doc, position, *draft) for position, draft in enumerate(drafts)]


def _check_sizes(token_budget: int, target_tokens: int, overlap_tokens: int) -> None:
    if token_budget < 8 or target_tokens < 1:
        raise ConfigError(
            f"Chunkstorleken är för liten (budget {token_budget}, mål {target_tokens} token)."
        )
    if not 0 <= overlap_tokens < target_tokens:
        raise ConfigError(
            f"Överlappet ({overlap_tokens} token) måste vara minst 0 och mindre än chunkstorleken "
            f"({target_tokens} token). Ändra KG_CHUNK_OVERLAP_TOKENS."
        )


def embed_text(header: str, text: str) -> str:
    return f"{header}\n\n{text}"


def fit_header(title: str, section: tuple[str, ...], count: CountTokens, budget: int) -> str:
    """The header "title › section path"; trimmed (outer sections first, then the title) if it
    would take more than half the budget, so that text always has room."""
    parts = list(section)
    header = SECTION_SEPARATOR.join([title, *parts])
    while count(embed_text(header, "x")) > budget // 2 and parts:
        parts.pop(0)
        header = SECTION_SEPARATOR.join([title, *parts])
    while count(embed_text(header, "x")) > budget // 2 and len(header) > 1:
        header = header[: len(header) * 3 // 4].rstrip() + "…"
    return header


def _units(blocks: Sequence[Block], header: str, count: CountTokens, budget: int) -> list[_Unit]:
    units: list[_Unit] = []
    for block in blocks:
        pieces = (
            [line.strip() for line in block.text.split("\n") if line.strip()]
            if block.is_list
            else [s.strip() for s in split_sentences(block.text) if s.strip()]
        )
        inner = "\n" if block.is_list else " "
        for i, piece in enumerate(pieces):
            sep = "\n\n" if i == 0 else inner
            for j, part in enumerate(_fit(piece, header, count, budget)):
                units.append(_Unit(part, sep if j == 0 else " ", block.page))
    return units


def _fit(text: str, header: str, count: CountTokens, budget: int) -> list[str]:
    """Split a unit that is too long on its own: by words, and a word by characters."""
    if count(embed_text(header, text)) <= budget:
        return [text]
    parts: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if count(embed_text(header, candidate)) <= budget:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = ""
        for piece in _fit_chars(word, header, count, budget):
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def _fit_chars(word: str, header: str, count: CountTokens, budget: int) -> list[str]:
    pieces: list[str] = []
    while word:
        size = len(word)
        while size > 1 and count(embed_text(header, word[:size])) > budget:
            size = max(1, size * 3 // 4)
        pieces.append(word[:size])
        word = word[size:]
    return pieces


def render(units: Sequence[_Unit]) -> str:
    return "".join((unit.sep if i else "") + unit.text for i, unit in enumerate(units))


def _pack(
    units: Sequence[_Unit], header: str, count: CountTokens, budget: int, target: int, overlap: int
) -> list[list[_Unit]]:
    def fits(candidate: Sequence[_Unit]) -> bool:
        text = render(candidate)
        return count(text) <= target and count(embed_text(header, text)) <= budget

    chunks: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if not current or fits([*current, unit]):
            current.append(unit)
            continue
        chunks.append(current)
        carried = _overlap(current, count, overlap)
        while carried and not fits([*carried, unit]):
            carried = carried[1:]
        current = [*carried, unit]
    if current:
        chunks.append(current)
    return chunks


def _overlap(previous: Sequence[_Unit], count: CountTokens, overlap: int) -> list[_Unit]:
    """The last whole sentences of the previous chunk, up to `overlap` tokens."""
    carried: list[_Unit] = []
    for unit in reversed(previous[1:]):  # never the whole previous chunk
        if count(render([unit, *carried])) > overlap:
            break
        carried.insert(0, unit)
    return carried


def _chunk(
    doc: LoadedDocument, position: int, section: tuple[str, ...], header: str, units: list[_Unit]
) -> Chunk:
    text = render(units)
    embedded = embed_text(header, text)
    pages = [unit.page for unit in units if unit.page is not None]
    meta = doc.meta
    digest = hashlib.sha256(embedded.encode("utf-8")).hexdigest()[:8]
    return Chunk(
        chunk_id=f"{meta.doc_id}::{position:04d}::{digest}",
        doc_id=meta.doc_id,
        source=meta.source,
        title=meta.title,
        publisher=meta.publisher,
        year=meta.year,
        kind=meta.kind,
        municipality=meta.municipality,
        section=section,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        position=position,
        text=text,
        embed_text=embedded,
        content_hash=doc.content_hash,
    )
