"""Load one document file into `Block`s, whatever its format.

`load_document` checks the file first (missing, empty, too large, unknown type), then picks a
loader by `meta.format` or else by suffix. A document that yields no text at all is an error,
never an empty document. Every loader spends a `Budget` (time and extracted characters) as it
goes, so that no small file can cost unbounded work.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from core.budget import Budget
from core.documents import Block, DocumentMeta, LoadedDocument
from core.errors import UnreadableDocumentError, UnsupportedFileError
from core.safeyaml import bounded
from ingest.loaders import docx, html, markdown, pdf, text

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")

# Bump when loading or cleaning changes what comes out, so every document is re-indexed.
# 2: answer sentences indexed beside the chunks; 3: titles are captions; 4: titles one bounded
# line, over-long headings kept as text, nested HTML tables' rows once, words cut tighter;
# 5: a study's notes on its search words are not answer material (core.material).
LOADER_VERSION = "5"

Loader = Callable[[bytes, DocumentMeta, Budget], tuple[DocumentMeta, list[Block]]]
LOADERS: dict[str, Loader] = {
    "txt": text.load_txt,
    "pdf-text": text.load_pdf_text,
    "md": markdown.load,
    "pdf": pdf.load,
    "docx": docx.load,
    "html": html.load,
}
_SUFFIX_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}


def load_document(
    path: Path,
    meta: DocumentMeta,
    max_bytes: int,
    *,
    raw: bytes | None = None,
    budget: Budget | None = None,
) -> LoadedDocument:
    """Read, check and parse one file (or `raw`, the bytes the caller read and hashed), within
    `budget` (by default one from core.budget's constants, starting now; pass the same budget
    on to `chunk_document`). Raises UnreadableDocumentError or UnsupportedFileError."""
    name = meta.source or path.name
    budget = budget or Budget(name)
    if not path.is_file():
        raise UnreadableDocumentError(
            f"{name}: filen finns inte ({path}). Kontrollera sökvägen, eller ta bort posten ur "
            "corpus/manifest.yaml.",
            path=name,
        )
    loader = LOADERS[document_format(path, meta)]
    size = len(raw) if raw is not None else path.stat().st_size
    if size == 0:
        raise UnreadableDocumentError(
            f"{name}: filen är tom. Spara dokumentet på nytt och lägg in det igen.", path=name
        )
    if size > max_bytes:
        raise UnreadableDocumentError(
            f"{name}: filen är {_mb(size)} MB, större än gränsen {_mb(max_bytes)} MB. "
            "Dela upp dokumentet eller höj KG_MAX_FILE_MB.",
            path=name,
        )
    raw = path.read_bytes() if raw is None else raw
    loaded_meta, blocks = loader(raw, meta, budget)
    blocks = [block for block in blocks if block.text.strip()]
    if not blocks:
        raise UnreadableDocumentError(
            f"{name}: dokumentet innehåller ingen text. Är det en skannad PDF saknar den textlager "
            "– kör OCR först. Annars: kontrollera att filen inte är tom eller trasig.",
            path=name,
        )
    loaded_meta = _with_title(loaded_meta, path)
    return LoadedDocument(
        meta=loaded_meta, blocks=tuple(blocks), content_hash=content_hash(raw, meta)
    )


def _mb(size: int) -> str:
    """Megabytes for a message: "52.43", or "0.0195" for a small limit (not "0.0")."""
    value = size / 1024 / 1024
    return f"{value:.2f}" if value >= 1 else f"{value:.3g}"


def document_format(path: Path, meta: DocumentMeta) -> str:
    """The loader key for a file: the manifest's `format`, or else the file suffix."""
    fmt = meta.format or _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt not in LOADERS:
        what = (
            f"formatet '{meta.format}'" if meta.format else f"filtypen '{path.suffix or 'saknas'}'"
        )
        raise UnsupportedFileError(
            f"{meta.source or path.name}: {what} stöds inte. Använd en av "
            f"{', '.join(SUPPORTED_SUFFIXES)} (eller format: {', '.join(LOADERS)} i manifestet).",
            path=meta.source or path.name,
        )
    return fmt


def content_hash(raw: bytes, meta: DocumentMeta) -> str:
    """sha256 of the file bytes and of the metadata that reaches the chunks."""
    digest = hashlib.sha256(raw)
    digest.update(f"\0{LOADER_VERSION}\0{meta.fingerprint()}".encode())
    return digest.hexdigest()


def _with_title(meta: DocumentMeta, path: Path) -> DocumentMeta:
    """A document always has a title, of one line: loaders fill it from the text (a heading
    may be long; every chunk carries the title), else the file name."""
    if meta.title.strip():
        return replace(meta, title=bounded(meta.title))
    stem = re.sub(r"[-_]+", " ", path.stem).strip() or path.name
    return replace(meta, title=bounded(stem[:1].upper() + stem[1:]))
