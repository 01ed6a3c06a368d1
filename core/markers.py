"""Citation markers: the one grammar for "[n]" in answers, and the functions to find, format,
strip, split and renumber them. Everything that reads or writes a marker goes through here.

Accepted: "[1]", "[1, 2]", "[1,2]", "[1; 2]", "[1 och 2]", "[1-3]", "[1–3]", "[Källa 1]",
"[källorna 1 och 2]", "[source 2]" (a language model writes all of these). Written: "[1]" and
"[1, 2]" only. A range expands to its numbers when it spans fewer than ten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MARKER = re.compile(
    r"\[\s*(?:(?:k[äa]ll(?:a|an|or|orna)|sources?)\s*)?"
    r"(\d{1,3}(?:\s*(?:,|;|och|and|&|[-–])\s*\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_PARTS = re.compile(r"\s*(?:,|;|\boch\b|\band\b|&)\s*", re.IGNORECASE)
_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)")
_CLOSING = re.compile(r"\s*[.,;:!?…]+")
MAX_RANGE = 10  # "[1-3]" is 1, 2, 3; "[1-40]" is taken as 1 and 40


@dataclass(frozen=True)
class Marker:
    start: int
    end: int
    numbers: tuple[int, ...]  # in the order written, each once


@dataclass(frozen=True)
class Segment:
    """A stretch of answer text and the numbers of the markers right after it."""

    text: str
    numbers: tuple[int, ...]


def _numbers(inside: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in _PARTS.split(inside.strip()):
        if span := _RANGE.fullmatch(part):
            a, b = int(span.group(1)), int(span.group(2))
            out.extend(range(a, b + 1) if 0 < b - a < MAX_RANGE else (a, b))
        elif part.isdigit():
            out.append(int(part))
    return tuple(dict.fromkeys(out))


def find(text: str) -> list[Marker]:
    """Every marker in `text`, in order."""
    return [Marker(m.start(), m.end(), _numbers(m.group(1))) for m in MARKER.finditer(text)]


def cited_numbers(text: str) -> list[int]:
    """The numbers cited in `text`, each once, in order of first appearance."""
    return list(dict.fromkeys(n for marker in find(text) for n in marker.numbers))


def format_marker(numbers: Sequence[int]) -> str:
    """ "[1]", "[1, 3]"; "" for no numbers."""
    unique = list(dict.fromkeys(numbers))
    return "[" + ", ".join(map(str, unique)) + "]" if unique else ""


def replace(text: str, new: Callable[[tuple[int, ...]], Sequence[int]]) -> str:
    """`text` with each marker written anew from `new(its numbers)`; dropped if none remain."""
    return MARKER.sub(lambda m: format_marker(new(_numbers(m.group(1)))), text)


def strip(text: str) -> str:
    """`text` without markers, with no space left before punctuation or doubled."""
    plain = MARKER.sub(" ", text)
    plain = re.sub(r"[ \t]+([.,;:!?])", r"\1", plain)
    return re.sub(r"[ \t]{2,}", " ", plain).strip()


def split(text: str) -> list[Segment]:
    """`text` cut after each run of markers: every segment with the numbers that close it
    (punctuation right after the markers, "… del [1].", ends that segment). Text after the
    last marker is a last segment with no numbers."""
    segments: list[Segment] = []
    pending, pos = "", 0
    numbers: list[int] = []

    def close(rest: str) -> str:
        nonlocal pending, numbers
        lead = _CLOSING.match(rest)
        if lead:
            pending = pending.rstrip() + lead.group().strip()
            rest = rest[lead.end() :]
        segments.append(Segment(_tidy(pending), tuple(dict.fromkeys(numbers))))
        pending, numbers = "", []
        return rest

    for marker in find(text):
        between = text[pos : marker.start]
        if numbers and between.strip():
            between = close(between)
        pending += between
        numbers.extend(marker.numbers)
        pos = marker.end
    rest = text[pos:]
    if numbers:
        rest = close(rest)
    if (pending + rest).strip():
        segments.append(Segment(_tidy(pending + rest), ()))
    return segments


def _tidy(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", text).strip()
