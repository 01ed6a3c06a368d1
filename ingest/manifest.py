"""The corpus manifest: which documents the corpus holds and what they are.

Documents listed in the manifest get its metadata. Supported files under `corpus/` that the
manifest does not list (a coordinator dropped a routine into `lokala-rutiner/`) are indexed
too, as local routines, with title and the rest taken from front matter or the first heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ingest.documents import KINDS, DocumentMeta
from ingest.errors import ManifestError

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
IGNORED_NAMES = frozenset({"manifest.yaml", "ordlista.yaml", "README.md", "LASMIG.md"})
_CONFIG_SUFFIXES = {".yaml", ".yml"}


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    title: str = ""
    publisher: str = ""
    year: int | None = None
    kind: str = "lokal_rutin"
    municipality: str | None = None
    url: str | None = None
    valid_from: str | None = None
    format: str | None = None
    example: bool = False
    note: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"okänd kind '{value}', välj en av {', '.join(KINDS)}")
        return value

    @field_validator("valid_from", mode="before")
    @classmethod
    def _date_to_str(cls, value: Any) -> Any:
        return None if value is None else str(value)


@dataclass(frozen=True)
class ManifestProblem:
    source: str
    reason: str


def meta_from_entry(entry: ManifestEntry) -> DocumentMeta:
    return DocumentMeta(
        doc_id=entry.source,
        source=entry.source,
        title=entry.title,
        publisher=entry.publisher,
        year=entry.year,
        kind=entry.kind,
        municipality=entry.municipality,
        url=entry.url,
        valid_from=entry.valid_from,
        format=entry.format,
        example=entry.example,
    )


def read_manifest(path: Path) -> list[ManifestEntry]:
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(f"Manifestet {path} kunde inte läsas: {exc}") from exc
    items = raw.get("documents", []) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ManifestError(f"Manifestet {path} måste ha en lista 'documents:'.")
    entries = []
    for i, item in enumerate(items, start=1):
        try:
            entries.append(ManifestEntry.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "posten"
            raise ManifestError(
                f"Manifestet {path}, post {i}: {where}: {_swedish(first)}. Rätta posten i "
                "manifestet och kör igen."
            ) from exc
    return entries


_MESSAGES = {
    "missing": "fältet saknas",
    "extra_forbidden": "okänt fält",
    "int_parsing": "måste vara ett heltal",
    "int_type": "måste vara ett heltal",
    "string_type": "måste vara text",
    "bool_parsing": "måste vara true eller false",
    "bool_type": "måste vara true eller false",
}


def _swedish(error: Any) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else "ogiltigt värde"
    return _MESSAGES.get(error["type"], "ogiltigt värde")


def discover(corpus_dir: Path, manifest_path: Path) -> tuple[list[DocumentMeta], list[ManifestProblem]]:
    """Every document the corpus holds; manifest entries whose file is missing and files of
    a type we cannot read, as problems."""
    entries = read_manifest(manifest_path)
    metas: list[DocumentMeta] = []
    problems: list[ManifestProblem] = []
    listed: set[str] = set()
    root = corpus_dir.resolve()
    for entry in entries:
        listed.add(entry.source)
        if _leaves_corpus(corpus_dir / entry.source, root):
            problems.append(ManifestProblem(entry.source, _LINK_MESSAGE.format(rel=entry.source)))
            continue
        if not (corpus_dir / entry.source).is_file():
            problems.append(
                ManifestProblem(
                    entry.source,
                    f"Filen {entry.source} finns inte i korpusen. Lägg tillbaka filen eller ta "
                    "bort posten ur corpus/manifest.yaml.",
                )
            )
            continue
        metas.append(meta_from_entry(entry))
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        if (
            not path.is_file()
            or rel in listed
            or path.name in IGNORED_NAMES
            or path.suffix.lower() in _CONFIG_SUFFIXES  # manifest, glossary, sidecars
            or any(part.startswith(".") for part in path.relative_to(corpus_dir).parts)
        ):
            continue
        if _leaves_corpus(path, root):
            problems.append(ManifestProblem(rel, _LINK_MESSAGE.format(rel=rel)))
        elif path.suffix.lower() in SUPPORTED_SUFFIXES:
            metas.append(_unlisted_meta(path, rel))
        else:  # a coordinator's .doc or .rtf must not vanish without a word
            problems.append(
                ManifestProblem(
                    rel,
                    f"{rel}: filtypen '{path.suffix or 'saknas'}' stöds inte, så filen "
                    f"indexeras inte. Spara den som en av {', '.join(SUPPORTED_SUFFIXES)}, "
                    "eller flytta den ur korpusmappen.",
                )
            )
    return metas, problems


_LINK_MESSAGE = (
    "{rel}: filen är en länk (symlänk) och länkar följs inte, så att inget utanför korpusmappen "
    "kan bli sökbart. Kopiera in själva filen i stället."
)


def _leaves_corpus(path: Path, root: Path) -> bool:
    """True for a link, or a path through a linked folder, that points out of the corpus -
    and for any link at all: a file in the corpus is a file, not a pointer elsewhere."""
    if path.is_symlink():
        return True
    try:
        return not path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return True


def _unlisted_meta(path: Path, rel: str) -> DocumentMeta:
    """A file the manifest does not list: a local routine, described by its sidecar if any."""
    side = path.with_name(path.name + ".meta.yaml")
    data: dict[str, Any] = {}
    if side.exists():
        try:
            loaded = yaml.safe_load(side.read_text(encoding="utf-8"))
            data = loaded if isinstance(loaded, dict) else {}
        except (yaml.YAMLError, UnicodeDecodeError):
            data = {}
    year = data.get("year")
    return DocumentMeta(
        doc_id=rel,
        source=rel,
        title=str(data.get("title") or ""),
        kind=str(data.get("kind") or "lokal_rutin") if data.get("kind") in KINDS else "lokal_rutin",
        municipality=data.get("municipality") or None,
        valid_from=str(data["valid_from"]) if data.get("valid_from") else None,
        year=int(year) if isinstance(year, int) else None,
    )
