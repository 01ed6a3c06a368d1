"""Plain text: web pages saved as text (.txt) and text extracted from PDFs (format pdf-text)."""

from __future__ import annotations

import codecs
import re
from dataclasses import replace

from core.budget import Budget
from core.documents import Block, DocumentMeta
from core.errors import UnreadableDocumentError
from ingest.clean import clean_pdf_text, drop_web_boilerplate, normalize_unicode
from ingest.structure import pdf_blocks, web_blocks


def load_txt(raw: bytes, meta: DocumentMeta, budget: Budget) -> tuple[DocumentMeta, list[Block]]:
    text = decode_text(raw, meta.source, budget)  # spent first: every step below is linear
    lines = drop_web_boilerplate(normalize_unicode(text).split("\n"))
    if not meta.title:
        meta = replace(meta, title=_first_line_title(lines))
    budget.check()
    return meta, web_blocks(lines, meta.title)


def load_pdf_text(
    raw: bytes, meta: DocumentMeta, budget: Budget
) -> tuple[DocumentMeta, list[Block]]:
    lines = clean_pdf_text(decode_text(raw, meta.source, budget))
    budget.check()
    blocks = pdf_blocks(lines, meta.title)
    if not meta.title and blocks and blocks[0].section:
        meta = replace(meta, title=blocks[0].section[-1])
    return meta, blocks


def decode_text(raw: bytes, name: str, budget: Budget | None = None) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM), else Windows-1252; never binary data.
    The characters are spent from `budget` before any work on them."""
    text = _decoded(raw, name)
    if budget is not None:
        budget.spend(len(text))
    return checked_text(text, name)


def _decoded(raw: bytes, name: str) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _binary(name) from exc
    if b"\x00" in raw:
        raise _binary(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte and is its closest kin.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


# Control characters (Unicode category Cc) other than line breaks and tabs, and surrogates (Cs)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def checked_text(text: str, name: str) -> str:
    """Reject text that is mostly control characters: binary data with a .txt name."""
    controls = len(_CONTROLS.findall(text))
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise _binary(name)
    return text


def _binary(name: str) -> UnreadableDocumentError:
    return UnreadableDocumentError(
        f"{name}: filen ser ut att vara binär data, inte text. Spara dokumentet som vanlig text "
        "(UTF-8) eller ladda upp originalet som .pdf eller .docx.",
        path=name,
    )


def _first_line_title(lines: list[str]) -> str:
    """A short first line followed by a blank line is the page title."""
    content = [line.strip() for line in lines]
    first = next((k for k, line in enumerate(content) if line), None)
    if first is None:
        return ""
    line = content[first]
    followed_by_blank = first + 1 >= len(content) or not content[first + 1]
    short = len(line) <= 120 and not line.endswith((".", ":", ";", ","))
    return line if short and followed_by_blank else ""
