"""PDF (.pdf) via pypdf, page by page: page numbers are kept, then the PDF cleaning applies."""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Callable
from dataclasses import replace

from pypdf import PdfReader
from pypdf.errors import DependencyError

from core.budget import Budget, thousands
from core.documents import Block, DocumentMeta
from core.errors import UnreadableDocumentError
from ingest.clean import clean_pdf_pages
from ingest.structure import pdf_blocks

log = logging.getLogger(__name__)

MAX_PAGES = 3000  # a page count no handbook reaches; a few kilobytes can declare millions


def load(raw: bytes, meta: DocumentMeta, budget: Budget) -> tuple[DocumentMeta, list[Block]]:
    name = meta.source
    if b"%PDF-" not in raw[:1024]:
        raise _unreadable(name, "filen är inte en PDF (den saknar PDF-huvud)")
    if b"%%EOF" not in raw:
        raise _unreadable(name, "filen verkar avkortad (slutmarkeringen %%EOF saknas)")
    reader = _open(raw, name)
    pages: list[tuple[int | None, str]] = []
    # pypdf raises many kinds of exceptions on damaged files; all of them mean "unreadable".
    try:
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise UnreadableDocumentError(
                f"{name}: PDF-filen har {thousands(count)} sidor, fler än gränsen "
                f"{thousands(MAX_PAGES)}. Dela upp den i mindre filer och lägg in dem var för sig.",
                path=name,
            )
        for number, page in enumerate(reader.pages, start=1):
            budget.check()
            text = page.extract_text(visitor_operand_before=_checking(budget)) or ""
            budget.spend(len(text))
            pages.append((number, text))
        title = _metadata_title(reader)
    except DependencyError as exc:
        raise _no_aes(name) from exc
    except UnreadableDocumentError:
        raise  # the budget or the page limit
    except Exception as exc:
        raise _unreadable(
            name, f"sidan {len(pages) + 1} kunde inte läsas ({type(exc).__name__})"
        ) from exc
    if not any(text.strip() for _, text in pages):
        raise UnreadableDocumentError(
            f"{name}: PDF-filen saknar textlager – den är troligen skannad. Kör OCR först "
            "(t.ex. ocrmypdf) och lägg in den igen.",
            path=name,
        )
    if not meta.title and title:
        meta = replace(meta, title=title)
    lines = clean_pdf_pages(pages)
    budget.check()
    return meta, pdf_blocks(lines, meta.title)


def _checking(budget: Budget) -> Callable[..., None]:
    """A pypdf visitor that checks the time every few thousand drawing operators: one page
    can hold a content stream that takes minutes to extract."""
    operators = itertools.count()

    def visit(*_: object) -> None:
        if next(operators) % 2000 == 0:
            budget.check()

    return visit


def _open(raw: bytes, name: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except DependencyError as exc:
        raise _no_aes(name) from exc
    except Exception as exc:  # see load()
        raise _unreadable(name, f"filen är skadad ({type(exc).__name__})") from exc
    if encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except DependencyError as exc:
            raise _no_aes(name) from exc
        except Exception as exc:  # unsupported or broken encryption
            log.info("could not decrypt %s: %s", name, exc)
            opened = False
        if not opened:
            raise UnreadableDocumentError(
                f"{name}: PDF-filen är krypterad (lösenordsskyddad). Spara en kopia utan lösenord "
                "och lägg in den igen.",
                path=name,
            )
    return reader


def _metadata_title(reader: PdfReader) -> str:
    info = reader.metadata
    title = str(info.title).strip() if info and info.title else ""
    return "" if title.lower() in {"untitled", "microsoft word", ""} else title


def _no_aes(name: str) -> UnreadableDocumentError:
    """pypdf needs the `cryptography` package for AES; without it even a PDF that opens
    without a password (only printing or copying restricted) cannot be read."""
    return UnreadableDocumentError(
        f"{name}: PDF-filen är krypterad med AES, och Python-paketet cryptography som behövs för "
        "att läsa den saknas i installationen. Installera projektets beroenden på nytt "
        "(`pip install -e .`), eller spara en kopia av PDF-filen utan skydd och lägg in den igen.",
        path=name,
    )


def _unreadable(name: str, reason: str) -> UnreadableDocumentError:
    return UnreadableDocumentError(
        f"{name}: PDF-filen kan inte läsas: {reason}. Öppna den i en PDF-läsare och spara den "
        "på nytt, eller exportera den igen från originalet.",
        path=name,
    )
