"""Word (.docx) via python-docx: heading styles nest, list paragraphs stay lists, tables as rows."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from core.budget import Budget
from core.documents import Block, DocumentMeta
from core.errors import UnreadableDocumentError
from core.safeyaml import bounded
from ingest.blocks import BlockBuilder
from ingest.clean import normalize_unicode
from ingest.structure import normalized

# A .docx is a zip; refuse to unpack more than this (a zip bomb inflates to gigabytes).
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
# The XML parts are parsed whole, into a tree several times their size: a 1 MB file whose
# word/document.xml inflates to 280 MB never finished. A 1 000-page report has about 20 MB.
MAX_XML_BYTES = 50 * 1024 * 1024

_HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.I)
_TITLE_STYLES = {"title", "rubrik"}
_LIST_STYLE = re.compile(r"list|lista|liststycke|punkt", re.I)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def load(raw: bytes, meta: DocumentMeta, budget: Budget) -> tuple[DocumentMeta, list[Block]]:
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
        styles = _paragraph_styles(document)
        for item in _body_items(document):
            if isinstance(item, Table):
                for row in _table_rows(item, budget):
                    builder.item(None, row)
                builder.flush()
            else:
                title = _add_paragraph(builder, item, styles(item), title, budget)
    except UnreadableDocumentError:
        raise  # the budget is spent
    except Exception as exc:  # python-docx trips over XML that Word itself would repair
        raise _unreadable(
            name, f"dokumentets innehåll har ett oväntat format ({type(exc).__name__})"
        ) from exc
    builder.flush()
    return replace(meta, title=title), builder.blocks


def check_zip(
    raw: bytes, name: str, max_total: int | None = None, max_xml: int | None = None
) -> None:
    """A real zip whose parts stay within `max_total` bytes when unpacked, and whose XML
    parts (parsed whole) within `max_xml` each; the module's limits by default."""
    max_total = max_total or MAX_UNCOMPRESSED_BYTES
    max_xml = max_xml or MAX_XML_BYTES
    if raw.startswith(_OLE_MAGIC):
        raise _unreadable(
            name,
            "filen är ett äldre Word-format (.doc) eller lösenordsskyddad; spara den som .docx",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(name, "filen är inte ett Word-dokument (.docx är ett zip-arkiv)") from exc
    # zipfile never unpacks more than a part's declared size (a part that lies fails its
    # checksum), so the declared sizes are safe to judge by.
    total = sum(info.file_size for info in infos)
    if total > max_total:
        raise _unreadable(
            name,
            f"innehållet packas upp till {_mb(total)} MB, mer än gränsen {_mb(max_total)} MB "
            "(möjlig zip-bomb)",
        )
    xml = max(
        (info for info in infos if info.filename.lower().endswith((".xml", ".rels"))),
        key=lambda info: info.file_size,
        default=None,
    )
    if xml is not None and xml.file_size > max_xml:
        raise _unreadable(
            name,
            f"delen {bounded(xml.filename, 80)} packas upp till {_mb(xml.file_size)} MB text "
            f"(XML), mer än gränsen {_mb(max_xml)} MB (möjlig zip-bomb). Är dokumentet så stort, "
            "dela upp det i flera filer",
        )


def _mb(size: int) -> str:
    value = size / 1024 / 1024
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _body_items(document: Document) -> list[Paragraph | Table]:
    """Paragraphs and tables in document order."""
    items: list[Paragraph | Table] = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            items.append(Paragraph(child, document))
        elif child.tag.endswith("}tbl"):
            items.append(Table(child, document))
    return items


def _paragraph_styles(document: Document) -> Callable[[Paragraph], str]:
    """The style name of a paragraph, as `paragraph.style.name` gives it; looked up in a table
    made once, since python-docx searches every style for each paragraph (half an hour for
    a document of 260 000 paragraphs)."""
    names: dict[str, str] = {}
    for style in document.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH and style.style_id is not None:
            names[style.style_id] = style.name or ""
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name if default is not None else "") or ""

    def style_of(paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        return names.get(style_id, default_name) if style_id is not None else default_name

    return style_of


def _add_paragraph(
    builder: BlockBuilder, paragraph: Paragraph, style: str, title: str, budget: Budget
) -> str:
    text = normalize_unicode(paragraph.text).strip()
    budget.spend(len(text))
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


def _table_rows(table: Table, budget: Budget) -> list[str]:
    rows = []
    for row in table.rows:
        budget.check()
        cells: list[str] = []
        for cell_text in _row_texts(row):
            text = normalize_unicode(cell_text).strip().replace("\n", " ")
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
            budget.spend(len(rows[-1]))
    return rows


def _unreadable(name: str, reason: str) -> UnreadableDocumentError:
    return UnreadableDocumentError(
        f"{name}: Word-filen kan inte läsas: {reason}. Öppna den i Word och spara den på nytt "
        "som .docx.",
        path=name,
    )
