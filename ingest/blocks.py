"""Paragraph lines and list items gathered into `Block`s under a section path.

Shared by every loader: a paragraph that runs over a page break is split at a sentence
boundary, so each block has one page; list items stay one per line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.clean import Line
from ingest.documents import Block
from ingest.sentences import sentence_spans


def as_list_item(text: str) -> str:
    """Bullets "- x", "* x", "+ x" become "• x"; numbered items keep their number."""
    return re.sub(r"^[•*▪◦●+\-]\s+", "• ", text.strip())


def join_lines(lines: Sequence[str]) -> str:
    """One paragraph from its lines; no space before punctuation left alone on a line."""
    text = ""
    for line in (s.strip() for s in lines):
        if line:
            text = line if not text else text + ("" if line[0] in ".,;:!?)" else " ") + line
    return text


def nest(stack: list[tuple[int, str]], level: int, heading: str) -> list[tuple[int, str]]:
    """The heading stack after a heading of `level` (1 = top)."""
    return [entry for entry in stack if entry[0] < level] + [(level, heading)]


@dataclass
class BlockBuilder:
    """Collects paragraph lines and list items; emits Blocks split by page at sentence ends."""

    blocks: list[Block] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    para: list[Line] = field(default_factory=list)
    items: list[Line] = field(default_factory=list)

    @property
    def section(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def heading(self, level: int, text: str) -> None:
        self.flush()
        self.stack = nest(self.stack, level, text)

    def line(self, page: int | None, text: str) -> None:
        self.flush_items()
        self.para.append((page, text))

    def item(self, page: int | None, text: str) -> None:
        self.flush_para()
        self.items.append((page, as_list_item(text)))

    def continue_item(self, text: str) -> None:
        page, item = self.items[-1]
        self.items[-1] = (page, join_lines([item, text]))

    def flush(self) -> None:
        self.flush_para()
        self.flush_items()

    def flush_para(self) -> None:
        for page, text in _split_by_page(self.para):
            self.blocks.append(Block(text=text, section=self.section, page=page))
        self.para = []

    def flush_items(self) -> None:
        for page, group in _group_by_page(self.items):
            self.blocks.append(Block("\n".join(group), self.section, page, is_list=True))
        self.items = []


def _group_by_page(lines: Sequence[Line]) -> list[tuple[int | None, list[str]]]:
    groups: list[tuple[int | None, list[str]]] = []
    for page, text in lines:
        if groups and groups[-1][0] == page:
            groups[-1][1].append(text)
        else:
            groups.append((page, [text]))
    return groups


def _split_by_page(lines: Sequence[Line]) -> list[tuple[int | None, str]]:
    """A paragraph that crosses a page break: each sentence goes with the page it starts on."""
    text = join_lines([t for _, t in lines])
    pages = {p for p, _ in lines}
    if not text or len(pages) == 1:
        return [(lines[0][0], text)] if text else []
    starts, offset = [], 0
    for page, line in lines:
        found = text.find(line.strip(), offset)
        if found >= 0 and line.strip():
            starts.append((found, page))
            offset = found
    pieces: list[tuple[int | None, list[str]]] = []
    for start, end in sentence_spans(text):
        page = next((p for at, p in reversed(starts) if at <= start), lines[0][0])
        if pieces and pieces[-1][0] == page:
            pieces[-1][1].append(text[start:end])
        else:
            pieces.append((page, [text[start:end]]))
    return [(page, " ".join(parts)) for page, parts in pieces]
