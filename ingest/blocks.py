"""Paragraph lines and list items gathered into `Block`s under a section path.

Shared by every loader: a paragraph that runs over a page break is split at a sentence
boundary, so each block has one page; list items stay one per line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.budget import Budget
from core.documents import Block
from core.sentences import sentence_spans
from ingest.clean import Line

_ITEM_END = 200  # characters
MAX_HEADING_CHARS = 300  # a longer "heading" is kept as a paragraph, not as a section name


def as_list_item(text: str) -> str:
    """Bullets "- x", "* x", "+ x" become "• x"; numbered items keep their number."""
    return re.sub(r"^[•*▪◦●+\-]\s+", "• ", text.strip())


def join_lines(lines: Sequence[str]) -> str:
    """One paragraph from its lines; no space before punctuation left alone on a line."""
    parts: list[str] = []
    for line in (s.strip() for s in lines):
        if line:
            if parts and line[0] not in ".,;:!?)":
                parts.append(" ")
            parts.append(line)
    return "".join(parts)


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
    continued: dict[int, list[str]] = field(default_factory=dict)  # wrapped lines of items
    # When given, every heading, line and item added is spent from it: for a loader that
    # cannot count its text any earlier (HTML: markup is not text).
    budget: Budget | None = None

    def _spend(self, text: str) -> None:
        if self.budget is not None:
            self.budget.spend(len(text))

    @property
    def section(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def heading(self, level: int, text: str) -> None:
        self._spend(text)
        self.flush()
        if len(text) > MAX_HEADING_CHARS:  # every chunk of a section carries its headings
            self.para.append((None, text))
            self.flush_para()
            return
        self.stack = nest(self.stack, level, text)

    def line(self, page: int | None, text: str) -> None:
        self._spend(text)
        self.flush_items()
        self.para.append((page, text))

    def item(self, page: int | None, text: str) -> None:
        self._spend(text)
        self.flush_para()
        self.items.append((page, as_list_item(text)))

    def continue_item(self, text: str) -> None:
        """Add a wrapped line to the last list item. The lines are joined when the item is
        flushed: joined here, an item of 100 000 lines would be copied 100 000 times."""
        self._spend(text)
        self.continued.setdefault(len(self.items) - 1, []).append(text)

    def last_item_end(self) -> str:
        """The last characters of the last list item: all a rule needs to decide whether the
        next line continues it (the item may be long, and the question comes at each line)."""
        lines = self.continued.get(len(self.items) - 1, [])
        first = self.items[-1][1][-_ITEM_END:] if len(lines) < 2 else ""
        return join_lines([first, *lines[-2:]])[-_ITEM_END:]

    def flush(self) -> None:
        self.flush_para()
        self.flush_items()

    def flush_para(self) -> None:
        for page, text in _split_by_page(self.para):
            self.blocks.append(Block(text=text, section=self.section, page=page))
        self.para = []

    def flush_items(self) -> None:
        items = [
            (page, join_lines([text, *self.continued[k]]) if k in self.continued else text)
            for k, (page, text) in enumerate(self.items)
        ]
        for page, group in _group_by_page(items):
            self.blocks.append(Block("\n".join(group), self.section, page, is_list=True))
        self.items = []
        self.continued = {}


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
    starts: list[int] = []  # where each line starts in `text`, ascending
    line_pages: list[int | None] = []
    offset = 0
    for page, line in lines:
        found = text.find(line.strip(), offset)
        if found >= 0 and line.strip():
            starts.append(found)
            line_pages.append(page)
            offset = found
    pieces: list[tuple[int | None, list[str]]] = []
    for start, end in sentence_spans(text):
        at = bisect_right(starts, start) - 1  # the last line starting at or before the sentence
        page = line_pages[at] if at >= 0 else lines[0][0]
        if pieces and pieces[-1][0] == page:
            pieces[-1][1].append(text[start:end])
        else:
            pieces.append((page, [text[start:end]]))
    return [(page, " ".join(parts)) for page, parts in pieces]
