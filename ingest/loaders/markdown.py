"""Markdown (.md): YAML front matter fills in what the manifest left empty; `#` headings nest."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import yaml

from core.budget import Budget
from core.documents import Block, DocumentKind, DocumentMeta
from core.errors import UnreadableDocumentError
from core.safeyaml import MAX_FIELD_CHARS, bounded
from ingest.blocks import BlockBuilder
from ingest.clean import drop_web_boilerplate, normalize_unicode
from ingest.loaders.text import decode_text
from ingest.manifest import checked_date, read_yaml, yaml_reason
from ingest.structure import normalized

MAX_FRONT_MATTER_CHARS = 100_000  # a dozen fields; a site export may add an excerpt

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_MD_BULLET = re.compile(r"^([-*+]|\d{1,3}[.)])\s+")
# Each span is bounded in length: an unclosed "[" or "*" must not make every later one scan to
# the end of a long line (quadratic on a line of 300 000 characters).
_INLINE = (
    (re.compile(r"!\[([^\]]{0,1000})\]\([^)]{0,2000}\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]{1,1000})\]\([^)]{0,2000}\)"), r"\1"),  # links -> link text
    (re.compile(r"(\*\*|__)(.{1,1000}?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.{1,1000}?)(?<!\s)\*(?![\w*])"), r"\1"),  # italics
    (re.compile(r"`([^`]{1,1000})`"), r"\1"),  # inline code
    (re.compile(r"<!--.{0,10000}?-->"), ""),  # comments
)


def load(raw: bytes, meta: DocumentMeta, budget: Budget) -> tuple[DocumentMeta, list[Block]]:
    text = normalize_unicode(decode_text(raw, meta.source, budget))
    front, body = split_front_matter(text, meta.source)
    meta = fill_meta(meta, front)
    lines = drop_web_boilerplate(body.split("\n"))
    budget.check()
    if not meta.title:
        heading = next((m.group(2) for line in lines if (m := _HEADING.match(line.strip()))), "")
        meta = replace(meta, title=bounded(strip_inline(heading)))
    return meta, markdown_blocks(lines, meta.title, budget)


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the text after it. UnreadableDocumentError, naming the
    file, for front matter that is not YAML, is refused (aliases, too long) or has a value
    that cannot exist (2024-02-30)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = read_yaml(match.group(1) or "", max_chars=MAX_FRONT_MATTER_CHARS) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise UnreadableDocumentError(
            f"{name}: front matter (mellan raderna ---) kunde inte läsas. "
            f"{yaml_reason(exc, first_line=2)} Rätta blocket, eller ta bort det, och lägg in "
            "filen igen.",
            path=name,
        ) from exc
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def fill_meta(meta: DocumentMeta, front: dict[str, Any]) -> DocumentMeta:
    """Front matter fills the fields the manifest left empty (the manifest wins). Text fields
    become one line each; a valid_from that is not a real date is an UnreadableDocumentError."""
    name = meta.source
    try:
        valid_from = checked_date(front.get("valid_from"))
    except ValueError as exc:
        raise UnreadableDocumentError(
            f"{name}: front matter, fältet valid_from: {exc}. Rätta fältet och lägg in filen igen.",
            path=name,
        ) from None
    year = front.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        year = int(valid_from[:4]) if valid_from else None
    kind = front.get("kind")
    # Front matter may set the kind only where the manifest or form left the default.
    kind = DocumentKind.parse(kind, meta.kind) if meta.is_local else meta.kind
    return replace(
        meta,
        title=meta.title or _field(front, "title"),
        publisher=meta.publisher or _field(front, "publisher"),
        kind=kind,
        municipality=meta.municipality or _field(front, "municipality") or None,
        url=meta.url or _field(front, "url", 2000) or None,
        valid_from=meta.valid_from or valid_from,
        year=meta.year if meta.year is not None else year,
        example=meta.example or front.get("example") is True,
    )


def _field(front: dict[str, Any], key: str, limit: int = MAX_FIELD_CHARS) -> str:
    value = front.get(key)
    return bounded(value, limit) if value else ""


def strip_inline(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text.strip()


def markdown_blocks(lines: list[str], title: str, budget: Budget | None = None) -> list[Block]:
    builder = BlockBuilder()
    fenced = False
    seen_heading = False
    for k, raw_line in enumerate(lines):
        if budget is not None and k % 1000 == 0:
            budget.check()
        line = raw_line.rstrip()
        stripped = strip_inline(re.sub(r"^\s*>\s?", "", line)).strip()  # blockquotes become text
        heading = _HEADING.match(line.strip())
        if _FENCE.match(line.strip()):
            fenced = not fenced
            builder.flush()
        elif fenced:
            if line.strip():
                builder.item(None, line)  # code lines stay lines
        elif heading:
            level, text = len(heading.group(1)), strip_inline(heading.group(2))
            if not (_is_title(level, text, title, first=not seen_heading and not builder.blocks)):
                builder.heading(level, text)
            else:
                builder.flush()
            seen_heading = True
        elif not stripped or re.fullmatch(r"[-*_]{3,}", stripped):
            builder.flush()
        elif re.fullmatch(r"\s*\|.*\|\s*", line):
            if not re.fullmatch(r"[\s|:\-]+", line):  # table rows as lines; no separator rows
                builder.item(
                    None, " | ".join(c.strip() for c in line.strip().strip("|").split("|"))
                )
        elif _MD_BULLET.match(stripped):
            builder.item(None, stripped)
        elif builder.items and raw_line.startswith((" ", "\t")):
            builder.continue_item(stripped)
        else:
            builder.line(None, stripped)
    builder.flush()
    return builder.blocks


def _is_title(level: int, text: str, title: str, first: bool) -> bool:
    """The document title repeated as a heading (or a leading `#` that the title begins with)."""
    if normalized(text) == normalized(title):
        return True
    return first and level == 1 and normalized(title).startswith(normalized(text))
