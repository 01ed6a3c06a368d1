"""Generators of hostile corpus files (issue 12, items 1-3), shared by unit and integration tests.

Each function writes one file into `folder` and returns its path. They are deterministic (same
arguments, same bytes), small on disk, and default to small sizes; the sizes of the issue are
the `FULL_*` constants, passed as arguments where a test needs the full-size case.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FULL_DOCX_XML_BYTES = 280 * 1024 * 1024  # "a 1 MB DOCX inflating to 280 MB of XML"
FULL_PDF_PAGES = 2000  # "a 321 kB PDF of 2000 pages sharing one content stream"
FULL_HTML_DEPTH = 100_000  # "100k nested <div>s"
FULL_WORD_CHARS = 297_000  # "one 297 kB unbroken word"
FULL_UPLOAD_BYTES = 48_600_000  # "a 48.6 MB upload"
LONG_NAME_BYTES = 253  # "a corpus file name of 253 bytes"

_BODY = "# Rutin\n\nHandläggaren dokumenterar beslutet i journalen.\n"


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --- item 1: YAML ------------------------------------------------------------------------------


def yaml_alias_bomb(levels: int = 9, width: int = 9) -> str:
    """YAML lines that expand to width**levels strings once anything walks the aliases."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    lines.append(f"publisher: [{', '.join([f'*a{levels - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def yaml_alias_bomb_md(folder: Path, name: str = "aliasbomb.md", levels: int = 9) -> Path:
    """Markdown whose front matter holds an alias bomb in `publisher:` (the issue's 557 bytes)."""
    return _write(folder, name, f"---\ntitle: Rutin\n{yaml_alias_bomb(levels)}---\n\n{_BODY}")


def impossible_date_md(folder: Path, name: str = "omojligt-datum.md") -> Path:
    """Markdown with `valid_from: 2024-02-30` in its front matter."""
    return _write(folder, name, f"---\ntitle: Rutin\nvalid_from: 2024-02-30\n---\n\n{_BODY}")


def impossible_date_sidecar(folder: Path, name: str = "sidovagn.md") -> Path:
    """A routine whose sidecar `<name>.meta.yaml` says `valid_from: 2024-02-30`. Returns the
    routine's path."""
    _write(folder, name + ".meta.yaml", "title: Rutin med sidovagn\nvalid_from: 2024-02-30\n")
    return _write(folder, name, _BODY)


def impossible_date_manifest(folder: Path, good: str = "bra.md", bad: str = "dalig.md") -> Path:
    """A corpus folder with two routines and a manifest whose second entry has an impossible
    date. Returns the manifest's path."""
    _write(folder, good, _BODY)
    _write(folder, bad, _BODY)
    return _write(
        folder,
        "manifest.yaml",
        f"documents:\n  - source: {good}\n    title: Bra rutin\n    valid_from: 2024-02-28\n"
        f"  - source: {bad}\n    title: Dålig rutin\n    valid_from: 2024-02-30\n",
    )


def long_name_file(folder: Path, name_bytes: int = LONG_NAME_BYTES) -> Path:
    """A routine whose file name is `name_bytes` bytes long (the sidecar name would not fit)."""
    suffix = ".md"
    stem = ("rutin-for-hembesok-" * 20)[: name_bytes - len(suffix)]
    return _write(folder, stem + suffix, _BODY)


# --- items 2 and 3: HTML, DOCX, PDF, text -------------------------------------------------------


def deep_html(folder: Path, depth: int = 1000, name: str = "djup.html") -> Path:
    """A page with `depth` nested <div>s around one paragraph."""
    html = (
        "<html><head><title>Djup sida</title></head><body>"
        + "<div>" * depth
        + "<p>Handläggaren dokumenterar beslutet i journalen.</p>"
        + "</div>" * depth
        + "</body></html>"
    )
    return _write(folder, name, html)


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PARAGRAPH = (
    b"<w:p><w:r><w:t>Handl\xc3\xa4ggaren dokumenterar beslutet i journalen.</w:t></w:r></w:p>"
)


def docx_bomb(folder: Path, xml_bytes: int = 8 * 1024 * 1024, name: str = "bomb.docx") -> Path:
    """A valid .docx (made by python-docx) whose word/document.xml is rewritten to about
    `xml_bytes` of one repeated paragraph: it deflates to a small fraction of that."""
    import docx

    seed = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Rutin")
    document.save(seed)
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
    tail = b"</w:body></w:document>"
    block = _PARAGRAPH * (1024 * 1024 // len(_PARAGRAPH))
    with (
        zipfile.ZipFile(seed) as src,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))  # same bytes
            fixed.compress_type = zipfile.ZIP_DEFLATED
            if info.filename != "word/document.xml":
                dst.writestr(fixed, src.read(info.filename))
                continue
            with dst.open(fixed, "w", force_zip64=True) as out:
                out.write(head.encode())
                written = len(head)
                while written < xml_bytes:
                    whole = max(1, (xml_bytes - written) // len(_PARAGRAPH))  # paragraphs
                    piece = block[: min(len(block), whole * len(_PARAGRAPH))]
                    out.write(piece)
                    written += len(piece)
                out.write(tail)
    return path


def pdf_shared_stream(
    folder: Path,
    pages: int = 50,
    lines: int = 3000,
    name: str = "delad.pdf",
    visible: bool = True,
) -> Path:
    """A PDF of `pages` pages whose /Contents all point at one compressed content stream of
    `lines` text-drawing operations: small on disk, and each page costs the whole stream to
    extract. `visible=False` draws empty strings: slow pages that give (almost) no text, so
    only the time budget can stop them. The full-size case: pages=FULL_PDF_PAGES (350 kB)."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
    )

    shown = b"(Handlaggaren dokumenterar beslutet rad %d.)" if visible else b"()"
    ops = b"".join(
        b"BT /F1 10 Tf 40 %d Td " % (800 - k % 780)
        + (shown % k if visible else shown)
        + b" Tj ET\n"
        for k in range(lines)
    )
    if not visible:  # one line of text, so that the document is not refused as a scan
        ops += b"BT /F1 10 Tf 40 20 Td (Sidfot) Tj ET\n"
    writer = PdfWriter()
    stream = DecodedStreamObject()
    stream.set_data(ops)
    content = writer._add_object(stream.flate_encode())
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    for _ in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        page[NameObject("/Contents")] = ArrayObject([content])
        page[NameObject("/Resources")] = resources
    writer.add_metadata({"/Title": "Delad innehållsström"})
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        writer.write(out)
    return path


def long_word_txt(folder: Path, n_chars: int = 20_000, name: str = "langt-ord.txt") -> Path:
    """A text whose body is one "word" of `n_chars` characters without a space."""
    pattern = "handläggningsärendedokumentation"
    word = (pattern * (n_chars // len(pattern) + 1))[:n_chars]
    return _write(folder, name, f"Rubrik\n\n{word}\n")


def large_text(folder: Path, n_bytes: int = 2_000_000, name: str = "stor.txt") -> Path:
    """Ordinary Swedish prose of about `n_bytes` bytes, in paragraphs of five sentences."""
    sentence = "Handläggaren dokumenterar beslutet i journalen inom tre arbetsdagar. "
    paragraph = (sentence * 5).strip() + "\n\n"
    count = n_bytes // len(paragraph.encode()) + 1
    return _write(folder, name, "Rubrik\n\n" + paragraph * count)


def long_paragraph_txt(
    folder: Path, n_chars: int = 300_000, name: str = "langt-stycke.txt"
) -> Path:
    """One paragraph of `n_chars` characters whose periods never end a sentence (every word
    after them is lowercase): the sentence splitter sees one growing sentence."""
    words = "bl.a. handläggaren skriver t.ex. ett beslut. och sedan "
    text = (words * (n_chars // len(words) + 1))[:n_chars]
    return _write(folder, name, f"Rubrik\n\n{text}\n")


def deep_list_html(folder: Path, depth: int = 1000, name: str = "djup-lista.html") -> Path:
    """A page with `depth` lists nested in each other's items."""
    html = (
        "<html><body><h1>Lista</h1>"
        + "<ul><li>Punkt" * depth
        + "</li></ul>" * depth
        + "<p>Handläggaren dokumenterar beslutet i journalen.</p></body></html>"
    )
    return _write(folder, name, html)


def deep_table_html(folder: Path, depth: int = 1000, name: str = "djup-tabell.html") -> Path:
    """A page with `depth` tables nested in each other's cells."""
    html = (
        "<html><body><h1>Tabell</h1>"
        + "<table><tr><td>Cell" * depth
        + "</td></tr></table>" * depth
        + "<p>Handläggaren dokumenterar beslutet i journalen.</p></body></html>"
    )
    return _write(folder, name, html)


def large_html(folder: Path, n_bytes: int = 2_000_000, name: str = "stor.html") -> Path:
    """A page of about `n_bytes` bytes of ordinary paragraphs."""
    paragraph = "<p>Handläggaren dokumenterar beslutet i journalen inom tre arbetsdagar.</p>\n"
    count = n_bytes // len(paragraph.encode()) + 1
    return _write(folder, name, "<html><body><h1>Sida</h1>" + paragraph * count + "</body></html>")
