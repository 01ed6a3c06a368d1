"""Markdown (.md): YAML front matter fills in what the manifest left empty; `#` headings nest."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

import yaml

from ingest.blocks import BlockBuilder
from ingest.clean import drop_web_boilerplate, normalize_unicode
from ingest.documents import KINDS, Block, DocumentMeta
from ingest.errors import UnreadableDocumentError
from ingest.loaders.text import decode_text
from ingest.structure import normalized

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_MD_BULLET = re.compile(r"^([-*+]|\d{1,3}[.)])\s+")
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> link text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),  # italics
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
    (re.compile(r"<!--.*?-->"), ""),  # comments
)


def load(raw: bytes, meta: DocumentMeta) -> tuple[DocumentMeta, list[Block]]:
    text = normalize_unicode(decode_text(raw, meta.source))
    front, body = split_front_matter(text, meta.source)
    meta = fill_meta(meta, front)
    lines = drop_web_boilerplate(body.split("\n"))
    headings = [m.group(2) for line in lines if (m := _HEADING.match(line.strip()))]
    if not meta.title and headings:
        meta = replace(meta, title=strip_inline(headings[0]))
    return meta, markdown_blocks(lines, meta.title)


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        raise UnreadableDocumentError(
            f"{name}: front matter (mellan raderna ---) är inte giltig YAML: {exc}. Rätta "
            "raden eller ta bort blocket.",
            path=name,
        ) from exc
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def fill_meta(meta: DocumentMeta, front: dict[str, Any]) -> DocumentMeta:
    """Front matter fills the fields the manifest left empty (the manifest wins)."""
    valid_from = _iso(front.get("valid_from")) or None
    year = front.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        year = int(valid_from[:4]) if valid_from and valid_from[:4].isdigit() else None
    kind = str(front.get("kind") or "")
    return replace(
        meta,
        title=meta.title or str(front.get("title") or "").strip(),
        publisher=meta.publisher or str(front.get("publisher") or "").strip(),
        kind=kind if meta.kind == "lokal_rutin" and kind in KINDS else meta.kind,
        municipality=meta.municipality
        or (str(front["municipality"]) if front.get("municipality") else None),
        url=meta.url or (str(front["url"]) if front.get("url") else None),
        valid_from=meta.valid_from or valid_from,
        year=meta.year if meta.year is not None else year,
        example=meta.example or front.get("example") is True,
    )


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() if value else ""


def strip_inline(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text.strip()


def markdown_blocks(lines: list[str], title: str) -> list[Block]:
    builder = BlockBuilder()
    fenced = False
    seen_heading = False
    for raw_line in lines:
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
