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
from functools import partial
from itertools import groupby

from core.budget import Budget
from core.documents import Block, Chunk, LoadedDocument
from core.errors import ConfigError
from core.sentences import split_sentences

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
    *,
    budget: Budget | None = None,
) -> list[Chunk]:
    """The document's chunks. `budget`: the work budget its loading started (by default a
    new one); UnreadableDocumentError when it runs out."""
    _check_sizes(token_budget, target_tokens, overlap_tokens)
    budget = budget or Budget(doc.meta.source)
    title = doc.meta.title or doc.meta.doc_id
    drafts: list[tuple[tuple[str, ...], str, list[_Unit]]] = []
    for section, run in groupby(doc.blocks, key=lambda block: block.section):
        budget.check()
        header = fit_header(title, section, count_tokens, token_budget)
        units = _units(list(run), header, count_tokens, token_budget, budget)
        for packed in _pack(
            units, header, count_tokens, token_budget, target_tokens, overlap_tokens, budget
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


def _units(
    blocks: Sequence[Block], header: str, count: CountTokens, budget: int, work: Budget
) -> list[_Unit]:
    units: list[_Unit] = []
    for block in blocks:
        work.check()
        pieces = (
            [line.strip() for line in block.text.split("\n") if line.strip()]
            if block.is_list
            else [s.strip() for s in split_sentences(block.text) if s.strip()]
        )
        inner = "\n" if block.is_list else " "
        for i, piece in enumerate(pieces):
            sep = "\n\n" if i == 0 else inner
            for j, part in enumerate(_fit(piece, header, count, budget, work)):
                units.append(_Unit(part, sep if j == 0 else " ", block.page))
    return units


def _fit(text: str, header: str, count: CountTokens, budget: int, work: Budget) -> list[str]:
    """Split a unit that is too long on its own: into the longest runs of words that fit, and
    a word too long alone into the longest runs of characters that fit. Runs are measured by
    `_longest`, a few counts each: growing a run a word or a character at a time and counting
    it every time was quadratic (a 297 kB word never finished with the real tokenizer)."""

    def fits(piece: str) -> bool:
        return count(embed_text(header, piece)) <= budget

    if fits(text):
        return [text]
    words = text.split()

    def run(start: str, i: int, k: int) -> str:
        return " ".join([start, *words[i : i + k]]).strip()

    def run_fits(start: str, i: int, k: int) -> bool:
        return fits(run(start, i, k))

    parts: list[str] = []
    start = ""  # the last piece of a word cut by characters: the next words may join it
    i, guess = 0, 1
    while i < len(words):
        work.check()
        n = _longest(partial(run_fits, start, i), len(words) - i, guess)
        if n:
            parts.append(run(start, i, n))
            start, i, guess = "", i + n, n
        elif start:
            parts.append(start)  # the next word does not fit after it: try it alone
            start = ""
        else:
            pieces = _fit_chars(words[i], fits, work)
            parts.extend(pieces[:-1])
            start, i = pieces[-1], i + 1
    if start:
        parts.append(start)
    return parts


def _fit_chars(word: str, fits: Callable[[str], bool], work: Budget) -> list[str]:
    def piece_fits(at: int, k: int) -> bool:
        return fits(word[at : at + k])

    pieces: list[str] = []
    at, guess = 0, 64
    while at < len(word):
        work.check()
        size = _longest(partial(piece_fits, at), len(word) - at, guess) or 1
        pieces.append(word[at : at + size])
        at, guess = at + size, size
    return pieces


def _longest(fits: Callable[[int], bool], limit: int, guess: int) -> int:
    """The largest k <= limit with fits(k), or 0 if not even fits(1); for `fits` that holds up
    to some k and not after. Tries `guess` (the last run's length) first, then doubles or
    bisects: O(log k) calls rather than k."""
    if limit < 1 or not fits(1):
        return 0
    good, bad = 1, limit + 1  # fits(good); not fits(bad), or bad is past the limit
    probe = min(max(guess, 2), limit)
    while probe > good:
        if not fits(probe):
            bad = probe
            break
        good = probe
        probe = min(probe * 2, limit)
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(middle):
            good = middle
        else:
            bad = middle
    return good


def render(units: Sequence[_Unit]) -> str:
    return "".join((unit.sep if i else "") + unit.text for i, unit in enumerate(units))


def _pack(
    units: Sequence[_Unit],
    header: str,
    count: CountTokens,
    budget: int,
    target: int,
    overlap: int,
    work: Budget,
) -> list[list[_Unit]]:
    """Chunks of whole units, each the longest run that fits (measured by `_longest`, not by
    recounting the growing chunk at every unit), the next one opening with the overlap."""

    def fits(candidate: Sequence[_Unit]) -> bool:
        text = render(candidate)
        return count(text) <= target and count(embed_text(header, text)) <= budget

    def run_fits(carried: list[_Unit], i: int, k: int) -> bool:
        return fits([*carried, *units[i : i + k]])

    chunks: list[list[_Unit]] = []
    carried: list[_Unit] = []
    i, guess = 0, 1
    while i < len(units):
        work.check()
        while carried and not fits([*carried, units[i]]):
            carried = carried[1:]
        n = _longest(partial(run_fits, carried, i), len(units) - i, guess)
        n = max(n, 1)  # a unit that does not fit `target` alone still makes a chunk
        chunks.append([*carried, *units[i : i + n]])
        i, guess = i + n, n
        carried = _overlap(chunks[-1], count, overlap) if i < len(units) else []
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
        meta=meta,
        section=section,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        position=position,
        text=text,
        embed_text=embedded,
        content_hash=doc.content_hash,
    )
