"""The corpus manifest: which documents the corpus holds and what they are.

Documents listed in the manifest get its metadata. Supported files under `corpus/` that the
manifest does not list (a coordinator dropped a routine into `lokala-rutiner/`) are indexed
too, as local routines, with title and the rest taken from a sidecar `<name>.meta.yaml`, front
matter or the first heading.

Everything here is written by people, so it is read defensively: YAML through the bounded
reader (no aliases, no deep nesting), every text field cut to one line, dates checked. A bad
entry, sidecar or file name is a problem of that one document; only a manifest that cannot be
read at all stops the ingest.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.documents import KINDS, DocumentKind, DocumentMeta
from core.errors import DocumentError, ManifestError
from core.safeyaml import MAX_YAML_CHARS, YamlRefused, bounded, load_yaml

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
SIDECAR_SUFFIX = ".meta.yaml"
MAX_SIDECAR_CHARS = 10_000  # a handful of one-line fields
MAX_URL_CHARS = 2_000
IGNORED_NAMES = frozenset({"manifest.yaml", "ordlista.yaml", "README.md", "LASMIG.md"})
_CONFIG_SUFFIXES = {".yaml", ".yml"}

# --- YAML and fields people write ---------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A plain YAML timestamp where a value stands (after "key: ", "- ", "[" or ","): PyYAML builds
# a date from it and raises a bare ValueError for 2024-02-30, losing which field it was.
_YAML_DATE = re.compile(
    r"(?:(?<=:[ \t])|(?<=-[ \t])|(?<=[\[{,])|(?<=[\[{,][ \t])|^)[ \t]*"
    r"(?P<date>(?P<y>\d{4})-(?P<m>\d\d?)-(?P<d>\d\d?)"
    r"(?:(?:[Tt]|[ \t]+)(?P<H>\d\d?):(?P<M>\d\d):(?P<S>\d\d)(?:\.\d*)?"
    r"(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?)"
    r"(?=[ \t]*(?:#|$|[,\]}]))",
    re.M,
)


def read_yaml(text: str, max_chars: int = MAX_YAML_CHARS) -> Any:
    """YAML people wrote, via the bounded reader. A date that does not exist (2024-02-30) is
    kept as text, so that `checked_date` can name its field. Raises what `load_yaml` raises
    (YamlRefused, yaml.YAMLError, ValueError); `yaml_reason` says it in Swedish."""
    return load_yaml(_YAML_DATE.sub(_quote_if_impossible, text), max_chars=max_chars)


def _quote_if_impossible(match: re.Match[str]) -> str:
    try:
        dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is not None:
            dt.time(int(match["H"]), int(match["M"]), int(match["S"]))
    except ValueError:
        indent = match[0][: match.start("date") - match.start()]
        return f"{indent}'{match['date']}'"
    return match[0]


def yaml_reason(exc: Exception, first_line: int = 1) -> str:
    """Why YAML could not be read, as a Swedish sentence. `first_line`: the file's line number
    of the YAML's first line (front matter starts on line 2)."""
    if isinstance(exc, YamlRefused):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return "Filen är inte sparad som UTF-8-text."
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f" på rad {mark.line + first_line}" if mark is not None else ""
        return f"YAML-syntaxen är felaktig{where} (kontrollera kolon, citattecken och indrag)."
    return "Ett värde kan inte tolkas, till exempel ett datum eller klockslag som inte finns."


def checked_date(value: Any) -> str | None:
    """A valid_from as an ISO date (YYYY-MM-DD), or None when empty. ValueError with a Swedish
    reason for anything that is not a date that exists."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip() if isinstance(value, str | int) else ""
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(
                f"datumet {text} finns inte; skriv ett riktigt datum som ÅÅÅÅ-MM-DD"
            ) from None
    raise ValueError(
        f"'{bounded(value, 40)}' är inget datum; skriv det som ÅÅÅÅ-MM-DD, till exempel 2025-01-31"
    )


# --- the manifest -------------------------------------------------------------------------------


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    title: str = ""
    publisher: str = ""
    year: int | None = None
    kind: str = DocumentKind.LOCAL_ROUTINE
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
            raise ValueError(f"okänd kind '{bounded(value, 40)}', välj en av {', '.join(KINDS)}")
        return value

    @field_validator("valid_from", mode="before")
    @classmethod
    def _real_date(cls, value: Any) -> Any:
        return checked_date(value)

    @field_validator("title", "publisher", "municipality", "note")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return None if value is None else bounded(value)

    @field_validator("url")
    @classmethod
    def _one_line_url(cls, value: str | None) -> str | None:
        return None if value is None else bounded(value, MAX_URL_CHARS)

    @field_validator("format")
    @classmethod
    def _short_format(cls, value: str | None) -> str | None:
        return None if value is None else bounded(value, 40)


@dataclass(frozen=True)
class ManifestProblem:
    source: str
    reason: str


def meta_from_entry(entry: ManifestEntry) -> DocumentMeta:
    """An entry's document: its fields are DocumentMeta's (a manifest entry's id is its
    source), besides the coordinators' own `note`."""
    return DocumentMeta(doc_id=entry.source, **entry.model_dump(exclude={"note"}))


def read_manifest(path: Path) -> list[ManifestEntry]:
    """The manifest's entries; ManifestError if it cannot be read or any entry is invalid
    (for callers that must not act on a half-valid manifest). The ingest uses
    `check_manifest`, which reports a bad entry and goes on with the rest."""
    entries, problems = check_manifest(path)
    if problems:
        raise ManifestError(problems[0].reason)
    return entries


def check_manifest(path: Path) -> tuple[list[ManifestEntry], list[ManifestProblem]]:
    """The valid entries, and a problem for each invalid one (named by its source where it
    has one). ManifestError only when the manifest as a whole cannot be read."""
    if not path.exists():
        return [], []
    try:
        raw = read_yaml(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, ValueError, OSError) as exc:
        reason = yaml_reason(exc) if not isinstance(exc, OSError) else "Filen kan inte öppnas."
        raise ManifestError(
            f"Manifestet {path} kunde inte läsas: {reason} Rätta filen och kör igen."
        ) from exc
    items = raw.get("documents", []) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ManifestError(f"Manifestet {path} måste ha en lista 'documents:'.")
    entries: list[ManifestEntry] = []
    problems: list[ManifestProblem] = []
    for i, item in enumerate(items, start=1):
        try:
            entries.append(ManifestEntry.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "posten"
            problems.append(
                ManifestProblem(
                    _entry_source(item, path, i),
                    f"Manifestet {path}, post {i}: {bounded(where, 60)}: {_swedish(first)}. "
                    "Rätta posten i manifestet och kör igen.",
                )
            )
    return entries, problems


def _entry_source(item: Any, path: Path, i: int) -> str:
    """The source an invalid entry names, or else where the entry is."""
    source = item.get("source") if isinstance(item, dict) else None
    return source if isinstance(source, str) and source.strip() else f"{path.name}, post {i}"


_MESSAGES = {
    "missing": "fältet saknas",
    "extra_forbidden": "okänt fält",
    "int_parsing": "måste vara ett heltal",
    "int_type": "måste vara ett heltal",
    "string_type": "måste vara text",
    "bool_parsing": "måste vara true eller false",
    "bool_type": "måste vara true eller false",
    "model_type": "posten ska vara fält som 'source: …'",
}


def _swedish(error: Any) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else "ogiltigt värde"
    return _MESSAGES.get(error["type"], "ogiltigt värde")


# --- discovery ----------------------------------------------------------------------------------


def discover(
    corpus_dir: Path, manifest_path: Path
) -> tuple[list[DocumentMeta], list[ManifestProblem]]:
    """Every document the corpus holds; as problems: manifest entries that are invalid or
    whose file is missing, files of a type we cannot read, broken sidecars and names the file
    system cannot handle. A file with a problem is not indexed (never with made-up metadata)."""
    entries, problems = check_manifest(manifest_path)
    metas: list[DocumentMeta] = []
    listed: set[str] = {p.source for p in problems}  # a bad entry still claims its file
    root = corpus_dir.resolve()
    for entry in entries:
        listed.add(entry.source)
        try:
            problem = _listed_problem(corpus_dir, root, entry.source)
        except OSError as exc:
            problem = _os_problem(entry.source, exc)
        if problem:
            problems.append(ManifestProblem(entry.source, problem))
        else:
            metas.append(meta_from_entry(entry))
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            if _skipped(path, rel, corpus_dir, listed):
                continue
            if _leaves_corpus(path, root):
                problems.append(ManifestProblem(rel, _LINK_MESSAGE.format(rel=rel)))
            elif path.suffix.lower() in SUPPORTED_SUFFIXES:
                metas.append(_unlisted_meta(path, rel))
            else:  # a coordinator's .doc or .rtf must not vanish without a word
                problems.append(
                    ManifestProblem(
                        rel,
                        f"{rel}: filtypen '{bounded(path.suffix, 20) or 'saknas'}' stöds inte, så "
                        f"filen indexeras inte. Spara den som en av {', '.join(SUPPORTED_SUFFIXES)}"
                        ", eller flytta den ur korpusmappen.",
                    )
                )
        except DocumentError as exc:
            problems.append(ManifestProblem(rel, str(exc)))
        except OSError as exc:
            problems.append(ManifestProblem(rel, _os_problem(rel, exc)))
    return metas, problems


def _listed_problem(corpus_dir: Path, root: Path, source: str) -> str | None:
    if _leaves_corpus(corpus_dir / source, root):
        return _LINK_MESSAGE.format(rel=bounded(source))
    if not (corpus_dir / source).is_file():
        return (
            f"Filen {bounded(source)} finns inte i korpusen. Lägg tillbaka filen eller ta "
            "bort posten ur corpus/manifest.yaml."
        )
    return None


def _skipped(path: Path, rel: str, corpus_dir: Path, listed: set[str]) -> bool:
    """Folders, listed files, the manifest, glossary, sidecars, instructions, hidden files."""
    return (
        rel in listed
        or path.name in IGNORED_NAMES
        or path.suffix.lower() in _CONFIG_SUFFIXES  # manifest, glossary, sidecars
        or any(part.startswith(".") for part in path.relative_to(corpus_dir).parts)
        or not path.is_file()
    )


def _os_problem(rel: str, exc: OSError) -> str:
    """A file the file system will not let us handle, said in Swedish."""
    name = bounded(rel)
    if exc.errno == errno.ENAMETOOLONG:
        size = len(Path(rel).name.encode("utf-8", "surrogateescape"))
        return (
            f"{name}: filnamnet är för långt ({size} byte) för att filen ska kunna läsas med "
            f"sina uppgifter ({SIDECAR_SUFFIX}), så den indexeras inte. Byt till ett kortare "
            "namn (högst 200 tecken) och kör indexeringen igen."
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{name}: filen får inte läsas (behörighet saknas), så den indexeras inte."
    return (
        f"{name}: filen kunde inte läsas från disken (felkod {exc.errno}), så den indexeras "
        "inte. Kontrollera filen och kör indexeringen igen."
    )


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


def sidecar_path(path: Path) -> Path:
    """Where the form data of an uploaded or unlisted document is kept."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _unlisted_meta(path: Path, rel: str) -> DocumentMeta:
    """A file the manifest does not list: a local routine, described by its sidecar if any.
    DocumentError if the sidecar cannot be read or has an invalid date; OSError if the file
    system refuses the sidecar's name."""
    side = sidecar_path(path)
    data: dict[str, Any] = {}
    if side.exists():  # OSError (ENAMETOOLONG) for a name too long to have a sidecar
        data = _read_sidecar(side, rel)
    year = data.get("year")
    try:
        valid_from = checked_date(data.get("valid_from"))
    except ValueError as exc:
        raise _sidecar_error(rel, f"Fältet valid_from: {exc}.") from None
    kind = data.get("kind")
    return DocumentMeta(
        doc_id=rel,
        source=rel,
        title=bounded(data.get("title") or ""),
        kind=DocumentKind.parse(kind),
        municipality=bounded(data.get("municipality") or "") or None,
        valid_from=valid_from,
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
    )


def _read_sidecar(side: Path, rel: str) -> dict[str, Any]:
    try:
        loaded = read_yaml(side.read_text(encoding="utf-8"), max_chars=MAX_SIDECAR_CHARS)
    except (yaml.YAMLError, ValueError) as exc:
        raise _sidecar_error(rel, yaml_reason(exc)) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise _sidecar_error(rel, "Den ska bestå av fält som 'title: …'.")
    return loaded


def _sidecar_error(rel: str, reason: str) -> DocumentError:
    return DocumentError(
        f"{bounded(rel)}{SIDECAR_SUFFIX}: uppgifterna om dokumentet kunde inte läsas. {reason} "
        f"Dokumentet indexeras inte förrän filen är rättad: rätta eller ta bort "
        f"{Path(rel).name}{SIDECAR_SUFFIX}.",
        path=rel,
    )
