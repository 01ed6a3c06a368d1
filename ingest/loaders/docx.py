"""Word (.docx) via python-docx: heading styles nest, list paragraphs stay lists, tables as rows."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from ingest.blocks import BlockBuilder
from ingest.clean import normalize_unicode
from ingest.documents import Block, DocumentMeta
from ingest.errors import UnreadableDocumentError
from ingest.structure import normalized

# A .docx is a zip; refuse to unpack more than this (a zip bomb inflates to gigabytes).
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024

_HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.I)
_TITLE_STYLES = {"title", "rubrik"}
_LIST_STYLE = re.compile(r"list|lista|liststycke|punkt", re.I)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def load(raw: bytes, meta: DocumentMeta) -> tuple[DocumentMeta, list[Block]]:
    name = meta.source
    check_zip(raw, name)
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises KeyError, ValueError, … on a damaged package
        raise _unreadable(
            name, f"filen är inte ett giltigt Word-dokument ({type(exc).__name__})"
        ) from exc
    builder = BlockBuilder()
    try:
        title = meta.title or (document.core_properties.title or "").strip()
        for item in _body_items(document):
            if isinstance(item, Table):
                for row in _table_rows(item):
                    builder.item(None, row)
                builder.flush()
            else:
                title = _add_paragraph(builder, item, title)
    except Exception as exc:  # python-docx trips over XML that Word itself would repair
        raise _unreadable(
            name, f"dokumentets innehåll har ett oväntat format ({type(exc).__name__})"
        ) from exc
    builder.flush()
    return replace(meta, title=title), builder.blocks


def check_zip(raw: bytes, name: str) -> None:
    """A real zip whose contents stay within MAX_UNCOMPRESSED_BYTES when unpacked."""
    if raw.startswith(_OLE_MAGIC):
        raise _unreadable(
            name,
            "filen är ett äldre Word-format (.doc) eller lösenordsskyddad; spara den som .docx",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(name, "filen är inte ett Word-dokument (.docx är ett zip-arkiv)") from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _unreadable(
            name,
            f"innehållet packas upp till {total / 1024 / 1024:.0f} MB, mer än gränsen "
            f"{MAX_UNCOMPRESSED_BYTES / 1024 / 1024:.0f} MB (möjlig zip-bomb)",
        )


def _body_items(document: Document) -> list[Paragraph | Table]:
    """Paragraphs and tables in document order."""
    items: list[Paragraph | Table] = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            items.append(Paragraph(child, document))
        elif child.tag.endswith("}tbl"):
            items.append(Table(child, document))
    return items


def _add_paragraph(builder: BlockBuilder, paragraph: Paragraph, title: str) -> str:
    text = normalize_unicode(paragraph.text).strip()
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = _HEADING_STYLE.match(style.strip())
    if not text:
        return title
    if style.strip().lower() in _TITLE_STYLES or (
        heading and normalized(text) == normalized(title)
    ):
        builder.flush()
        return title or text
    if heading:
        level = int(heading.group(1))
        if level == 1 and not title and not builder.stack and not builder.blocks:
            builder.flush()
            return text  # a leading top heading is the title when nothing else names the document
        builder.heading(level, text)
    elif (
        _LIST_STYLE.search(style)
        or paragraph._p.pPr is not None
        and paragraph._p.pPr.numPr is not None
    ):
        builder.item(None, text if re.match(r"^[•\-–*]|\d+[.)]\s", text) else "• " + text)
    else:
        builder.line(None, text)
        builder.flush_para()  # a Word paragraph is a paragraph
    return title


def _row_texts(row: _Row) -> list[str]:
    try:
        return [cell.text for cell in row.cells]
    except (ValueError, IndexError):
        # A merge python-docx cannot follow (a vertical merge that starts in the top row,
        # which Word tolerates): each cell's own text.
        return ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in row._tr.tc_lst]


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell_text in _row_texts(row):
            text = normalize_unicode(cell_text).strip().replace("\n", " ")
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _unreadable(name: str, reason: str) -> UnreadableDocumentError:
    return UnreadableDocumentError(
        f"{name}: Word-filen kan inte läsas: {reason}. Öppna den i Word och spara den på nytt "
        "som .docx.",
        path=name,
    )
