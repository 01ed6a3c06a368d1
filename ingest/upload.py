"""Coordinators' changes to the corpus: publish (add or replace) and remove a local routine.

A publish first loads and chunks the upload from a temporary file; only a document that reads
cleanly is written into `corpus/lokala-rutiner/` (atomically, by rename), with its form data in
a sidecar `<name>.meta.yaml`, and the incremental ingest then swaps it into the index. A bad
file therefore changes nothing: not the corpus, not the index. Nor does an upload whose name
would overwrite a document of the manifest, or that the corpus discovery would never index.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.documents import KINDS, Chunk, DocumentKind, DocumentMeta
from core.errors import DocumentError, UnsupportedFileError
from core.safeyaml import MAX_FIELD_CHARS, bounded
from core.settings import Settings
from core.store import DocumentRecord
from ingest.manifest import (
    IGNORED_NAMES,
    SUPPORTED_SUFFIXES,
    ManifestEntry,
    check_manifest,
    sidecar_path,
)
from ingest.pipeline import ChunkEmbedder, IngestReport, prepare_chunks

UPLOAD_DIR = "lokala-rutiner"
# Names the corpus discovery (ingest.manifest.discover) never indexes: instructions and
# settings. Written under one of them, an upload would be "published" and never searchable.
# They are discovery's own list; tests/unit/test_upload_guard.py checks that discovery agrees.
NOT_INDEXED_NAMES = IGNORED_NAMES
_UNSAFE = re.compile(r"[^A-Za-z0-9åäöÅÄÖéÉüÜ._-]+")
ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"


def one_line(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """A title, name or other short value as one printable line, safe to show in a terminal or
    a page: escape sequences and control characters removed, cut to `limit` with "…"."""
    return bounded(value, limit)


def safe_filename(name: str) -> str:
    """A file name that cannot escape the upload folder or confuse a file system."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")  # control, format
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(
            f"Filtypen '{suffix or 'saknas'}' i '{name}' stöds inte. Ladda upp en fil av typen "
            f"{', '.join(SUPPORTED_SUFFIXES)}.",
            path=name,
        )
    # Cut before stripping, so the cut cannot leave the stem ending in a separator.
    stem = _UNSAFE.sub("-", stem).lstrip(".-_")[:80].rstrip(".-_") or "dokument"
    return stem + suffix


def is_indexed_name(name: str) -> bool:
    """Whether the corpus discovery indexes a file of this name in the upload folder."""
    return (
        name not in NOT_INDEXED_NAMES
        and not name.startswith(".")
        and Path(name).suffix.lower() in SUPPORTED_SUFFIXES
    )


@dataclass(frozen=True)
class Target:
    """The file an upload becomes, and whether it replaces an earlier upload of that name."""

    name: str
    source: str
    replaces: bool


def upload_target(filename: str, settings: Settings) -> Target:
    """Where `filename` is written. DocumentError if the discovery would never index it, or if
    it would overwrite a document of the manifest (those are changed in the manifest)."""
    name = safe_filename(filename)
    source = f"{UPLOAD_DIR}/{name}"
    if not is_indexed_name(name):
        raise DocumentError(
            f"{filename}: filnamnet {name} är reserverat för instruktioner i korpusmappen, så "
            f"dokumentet skulle aldrig bli sökbart. Byt namn på filen (till exempel till "
            f"Rutin-{name}) och ladda upp den igen.",
            path=filename,
        )
    if entry := _manifest_entry(source, settings):
        raise DocumentError(
            f"{filename}: filnamnet {name} används redan av ”{one_line(entry.title) or name}” "
            f"({entry.source}), som förvaltas i corpus/manifest.yaml. Uppladdningen skulle "
            "skriva över det dokumentet. Byt namn på filen och ladda upp den igen.",
            path=filename,
        )
    return Target(name, source, (settings.corpus_dir / source).exists())


def _manifest_entry(source: str, settings: Settings) -> ManifestEntry | None:
    """The manifest's entry for `source`; letter case aside, since on some file systems the
    names would still be one file."""
    key = unicodedata.normalize("NFC", source).casefold()
    entries, _ = check_manifest(settings.manifest_path)  # a broken entry is ingest's to report
    for entry in entries:
        if unicodedata.normalize("NFC", entry.source).casefold() == key:
            return entry
    return None


def upload_meta(
    source: str,
    title: str,
    kind: str = DocumentKind.LOCAL_ROUTINE,
    municipality: str | None = None,
    valid_from: str | None = None,
    year: int | None = None,
) -> DocumentMeta:
    """The form's data as metadata: one clean line per field; DocumentError for an unknown
    kind, a field too long to be a title or a name, or a date that is not a date."""
    if kind not in KINDS:
        raise DocumentError(f"{source}: okänd dokumenttyp '{one_line(kind, 40)}'.", path=source)
    if valid_from:
        try:
            day = dt.date.fromisoformat(str(valid_from))
        except ValueError:
            raise DocumentError(
                f"{source}: 'Gäller från' ska vara ett datum som 2025-01-31, inte "
                f"'{one_line(valid_from, 40)}'.",
                path=source,
            ) from None
        valid_from, year = day.isoformat(), day.year if year is None else year
    return DocumentMeta(
        doc_id=source,
        source=source,
        title=_form_field(title, "Titeln", source),
        kind=DocumentKind(kind),
        municipality=_form_field(municipality or "", "Kommunnamnet", source) or None,
        valid_from=valid_from or None,
        year=year,
    )


def _form_field(value: str, label: str, source: str) -> str:
    """A field cleaned to one line; refused, not cut, when it is too long: a cut title would be
    published without anyone having read it."""
    text = one_line(value, limit=max(len(value), 1))
    if len(text) > MAX_FIELD_CHARS:
        count = f"{len(text):,}".replace(",", " ")  # "1 000 000"
        raise DocumentError(
            f"{source}: {label} har {count} tecken; högst {MAX_FIELD_CHARS} tecken är "
            f"tillåtet. Korta {label.lower()} och försök igen.",
            path=source,
        )
    return text


@dataclass(frozen=True)
class Preview:
    chunks: tuple[Chunk, ...]
    text: str  # the extracted text, each block once (chunks overlap), for checks by the caller


def preview(
    filename: str, data: bytes, meta: DocumentMeta, settings: Settings, embedder: ChunkEmbedder
) -> Preview:
    """Load and chunk an upload without touching the corpus or the index."""
    suffix = Path(safe_filename(filename)).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + suffix)
        path.write_bytes(data)
        try:
            doc, chunks = prepare_chunks(path, meta, settings, embedder)
        except DocumentError as exc:
            # Name the user's file, not our temporary one.
            message = str(exc).replace(str(path), filename).replace(path.name, filename)
            raise type(exc)(message, path=filename) from exc
    return Preview(tuple(chunks), "\n\n".join(block.text for block in doc.blocks))


def publish(
    filename: str,
    data: bytes,
    title: str,
    settings: Settings,
    embedder: ChunkEmbedder,
    kind: str = DocumentKind.LOCAL_ROUTINE,
    municipality: str | None = None,
    valid_from: str | None = None,
) -> DocumentMeta:
    """Validate, then write the upload into the corpus. The caller runs the ingest and then
    asks `indexed_upload` what became of it."""
    target = upload_target(filename, settings)
    meta = upload_meta(
        target.source, title or Path(target.name).stem, kind, municipality, valid_from
    )
    if len(data) > settings.max_file_mb * 1024 * 1024:
        raise DocumentError(
            f"{filename} är större än gränsen {settings.max_file_mb:g} MB. Dela upp dokumentet.",
            path=filename,
        )
    preview(filename, data, meta, settings, embedder)  # raises on a bad file
    folder = settings.corpus_dir / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / target.name
    sidecar = {
        "title": meta.title, "kind": str(meta.kind), "municipality": meta.municipality,
        "valid_from": meta.valid_from, "year": meta.year,
    }  # fmt: skip
    _atomic_write(sidecar_path(path), yaml.safe_dump(sidecar, allow_unicode=True).encode())
    _atomic_write(path, data)
    return meta


@dataclass(frozen=True)
class Indexed:
    """What the ingest after a publish did with the upload."""

    source: str
    change: str  # ADDED, UPDATED, or UNCHANGED (this very file and form were indexed already)
    chunks: int


def indexed_upload(
    report: IngestReport, source: str, documents: Mapping[str, DocumentRecord]
) -> Indexed:
    """The upload `source` as the ingest `report` and the index's `documents` have it.
    DocumentError, with the reason, when it is not in the index: a publish is only reported
    done when the document can really be found."""
    for failure in report.failed:
        if failure.source == source:
            raise DocumentError(
                f"{source} sparades i korpusen men kunde inte indexeras, så det används inte i "
                f"svaren. Orsak: {failure.reason} Rätta filen och ladda upp den igen med samma "
                "namn.",
                path=source,
            )
    change = (
        ADDED if source in report.added
        else UPDATED if source in report.updated
        else UNCHANGED if source in report.skipped
        else None
    )  # fmt: skip
    record = next((d for d in documents.values() if d.source == source), None)
    if change is None or record is None:
        raise DocumentError(
            f"{source} sparades i korpusen men finns inte i indexet efter indexeringen, så det "
            "används inte i svaren. Kör `kunskapsguide ingest` och läs rapporten, eller kontakta "
            "den som förvaltar assistenten.",
            path=source,
        )
    return Indexed(source, change, record.chunks)


def remove(source: str, settings: Settings) -> None:
    """Delete an uploaded document from the corpus; the caller runs the ingest."""
    path = (settings.corpus_dir / source).resolve()
    folder = (settings.corpus_dir / UPLOAD_DIR).resolve()
    if folder not in path.parents or _manifest_entry(source, settings):
        raise DocumentError(
            f"{source} är inte en uppladdad lokal rutin och kan inte tas bort här. Dokument i "
            "corpus/manifest.yaml ändras och tas bort där.",
            path=source,
        )
    path.unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
