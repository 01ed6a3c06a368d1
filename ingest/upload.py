"""Coordinators' changes to the corpus: publish (add or replace) and remove a local routine.

A publish first loads and chunks the upload from a temporary file; only a document that reads
cleanly is written into `corpus/lokala-rutiner/` (atomically, by rename), with its form data in
a sidecar `<name>.meta.yaml`, and the incremental ingest then swaps it into the index. A bad
file therefore changes nothing: not the corpus, not the index.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import yaml

from ingest.documents import KINDS, Chunk, DocumentMeta
from ingest.errors import DocumentError, UnsupportedFileError
from ingest.manifest import SUPPORTED_SUFFIXES
from ingest.pipeline import ChunkEmbedder, prepare_chunks
from ingest.settings import Settings

UPLOAD_DIR = "lokala-rutiner"
SIDECAR_SUFFIX = ".meta.yaml"
_UNSAFE = re.compile(r"[^A-Za-z0-9åäöÅÄÖéÉüÜ._-]+")


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


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, object]:
    side = sidecar_path(path)
    if not side.exists():
        return {}
    data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def upload_meta(
    source: str,
    title: str,
    kind: str = "lokal_rutin",
    municipality: str | None = None,
    valid_from: str | None = None,
    year: int | None = None,
) -> DocumentMeta:
    if kind not in KINDS:
        raise DocumentError(f"Okänd dokumenttyp '{kind}'.", path=source)
    if year is None and valid_from:
        year = int(str(valid_from)[:4])
    return DocumentMeta(
        doc_id=source, source=source, title=title.strip(), kind=kind,
        municipality=(municipality or None), valid_from=valid_from, year=year,
    )  # fmt: skip


def preview(
    filename: str, data: bytes, meta: DocumentMeta, settings: Settings, embedder: ChunkEmbedder
) -> list[Chunk]:
    """Load and chunk an upload without touching the corpus or the index."""
    suffix = Path(safe_filename(filename)).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + suffix)
        path.write_bytes(data)
        try:
            _, chunks = prepare_chunks(path, meta, settings, embedder)
        except DocumentError as exc:
            # Name the user's file, not our temporary one.
            message = str(exc).replace(str(path), filename).replace(path.name, filename)
            raise type(exc)(message, path=filename) from exc
    return chunks


def publish(
    filename: str,
    data: bytes,
    title: str,
    settings: Settings,
    embedder: ChunkEmbedder,
    kind: str = "lokal_rutin",
    municipality: str | None = None,
    valid_from: str | None = None,
) -> DocumentMeta:
    """Validate, then write the upload into the corpus. The caller runs the ingest."""
    name = safe_filename(filename)
    source = f"{UPLOAD_DIR}/{name}"
    meta = upload_meta(source, title or Path(name).stem, kind, municipality, valid_from)
    if len(data) > settings.max_file_mb * 1024 * 1024:
        raise DocumentError(
            f"{filename} är större än gränsen {settings.max_file_mb:g} MB. Dela upp dokumentet.",
            path=filename,
        )
    preview(filename, data, meta, settings, embedder)  # raises on a bad file
    folder = settings.corpus_dir / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    sidecar = {
        "title": meta.title, "kind": meta.kind, "municipality": meta.municipality,
        "valid_from": meta.valid_from, "year": meta.year,
    }  # fmt: skip
    _atomic_write(sidecar_path(target), yaml.safe_dump(sidecar, allow_unicode=True).encode())
    _atomic_write(target, data)
    return replace(meta)


def remove(source: str, settings: Settings) -> None:
    """Delete an uploaded document from the corpus; the caller runs the ingest."""
    path = (settings.corpus_dir / source).resolve()
    folder = (settings.corpus_dir / UPLOAD_DIR).resolve()
    if folder not in path.parents:
        raise DocumentError(
            f"{source} ligger inte bland de lokala rutinerna och kan inte tas bort här. "
            "Nationella källor ändras i corpus/manifest.yaml.",
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
