"""Pages of PDF-extracted text: page breaks, running headers and footers, page numbers.

A page number comes from a header or footer ("Sida 7 (30)", "Ekonomiskt bistånd 6") and is
counted across the page breaks around it; without any such anchor it is None, not a guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_SIDA = re.compile(r"^sida\s+(\d{1,4})(?:\s*\(\s*\d{1,4}\s*\)|\s+av\s+\d{1,4})?$", re.I)
_LABELLED_NUMBER = re.compile(r"^([^\W\d_][^\d]{2,50}?)\s+(\d{1,4})$")
_SENTENCE_END = re.compile(r"[.!?…][”\"')\]]*$")


def split_pages(text: str) -> list[tuple[int | None, list[str]]]:
    """Lines grouped by page; page headers and footers removed, their numbers applied."""
    raw = text.split("\n")
    labels = _footer_labels(raw)
    pages: list[list[str]] = [[]]
    anchors: list[tuple[int, int]] = []
    footer_seen = False
    for i, line in enumerate(raw):
        stripped = line.strip()
        sida = _SIDA.match(stripped)
        label = _LABELLED_NUMBER.match(stripped)
        if sida:
            _drop_header_word(pages[-1])
            _new_page(pages)
            anchors.append((len(pages) - 1, int(sida.group(1))))
        elif label and label.group(1).strip() in labels:
            # A footer ends its page; one with no text before it ends a page we do not have.
            has_text = any(s.strip() for s in pages[-1])
            anchors.append((len(pages) - (1 if has_text else 2), int(label.group(2))))
            footer_seen = has_text
        elif stripped == "\f" or (stripped and (footer_seen or _starts_page(raw, i))):
            _new_page(pages)
            footer_seen = False
        if not (sida or (label and label.group(1).strip() in labels) or stripped == "\f"):
            pages[-1].append(line)
    numbers = number_pages(len(pages), anchors)
    return [(numbers[i], lines) for i, lines in enumerate(pages) if any(s.strip() for s in lines)]


def number_pages(count: int, anchors: Sequence[tuple[int, int]]) -> list[int | None]:
    """Page numbers for `count` pages from (page index, printed number) anchors, nearest first
    (on a tie the earlier page; of two anchors on one page the first). Linear in pages."""
    if not anchors:
        return [None] * count
    first: dict[int, int] = {}
    for at, number in anchors:
        first.setdefault(at, number)
    positions = sorted(first)
    numbers: list[int | None] = []
    k = 0  # positions[k] is the nearest anchor at or after the page, if any
    for index in range(count):
        while k < len(positions) and positions[k] < index:
            k += 1
        candidates = [
            p
            for p in (positions[k - 1] if k else None, positions[k] if k < len(positions) else None)
            if p is not None
        ]
        at = min(candidates, key=lambda p: (abs(p - index), p))
        value = first[at] + index - at
        numbers.append(value if value > 0 else None)
    return numbers


def _footer_labels(raw: list[str]) -> set[str]:
    """Labels of repeated footers like "Ekonomiskt bistånd 6" … "Ekonomiskt bistånd 42"."""
    numbers: dict[str, set[str]] = {}
    for line in raw:
        match = _LABELLED_NUMBER.match(line.strip())
        if match and not _SENTENCE_END.search(match.group(1)):
            numbers.setdefault(match.group(1).strip(), set()).add(match.group(2))
    return {label for label, seen in numbers.items() if len(seen) >= 2}


def _starts_page(raw: list[str], i: int) -> bool:
    """A page of this extraction starts with one space, right after a line of text."""
    prev = raw[i - 1].strip() if i > 0 else ""
    return bool(re.match(r" \S", raw[i])) and bool(prev) and not prev.isdigit()


def _new_page(pages: list[list[str]]) -> None:
    if any(line.strip() for line in pages[-1]):
        pages.append([])


def _drop_header_word(lines: list[str]) -> None:
    """The running title above "Sida 7 (30)", such as "Rapport"."""
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and len(lines[-1].split()) <= 3 and not _SENTENCE_END.search(lines[-1].strip()):
        lines.pop()


def drop_running_lines(
    pages: list[tuple[int | None, list[str]]],
) -> list[tuple[int | None, list[str]]]:
    """Lines repeated at the top or bottom of most pages (running headers, page numbers)."""

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip().lower())

    def edges(lines: list[str]) -> list[str]:
        content = [line for line in lines if line.strip()]
        return [
            line for line in content[:1] + content[-1:] if not _SENTENCE_END.search(line.strip())
        ]

    counts = Counter(k for _, lines in pages for k in {key(line) for line in edges(lines)})
    repeated = {k for k, n in counts.items() if n >= 3 and n >= 0.6 * len(pages)}
    result = []
    for page, lines in pages:
        edge = set(edges(lines))
        result.append((page, [
            line for line in lines
            if not (line in edge and (key(line) in repeated or _is_page_number(line)))
        ]))  # fmt: skip
    return result


def _is_page_number(line: str) -> bool:
    s = line.strip()
    return bool(_SIDA.match(s) or re.fullmatch(r"[-–]?\s*\d{1,4}\s*[-–]?", s))
