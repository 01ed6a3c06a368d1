"""What an upload may become: never a document of the manifest, never a file the corpus
discovery skips (checked against `discover` itself, so the two cannot drift apart), form data
as one clean line of bounded length, a sidecar read or refused with a reason, and a publish
reported only from what the ingest really indexed. Files on a tmp corpus; `HashEmbeddings`
stands in for the model where an upload is chunked."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import DocumentError
from core.safeyaml import MAX_FIELD_CHARS
from core.settings import Settings
from core.store import DocumentRecord
from ingest.manifest import SUPPORTED_SUFFIXES, discover
from ingest.pipeline import Failure, IngestReport
from ingest.upload import (
    ADDED,
    NOT_INDEXED_NAMES,
    UNCHANGED,
    UPDATED,
    UPLOAD_DIR,
    Indexed,
    indexed_upload,
    is_indexed_name,
    one_line,
    publish,
    remove,
    sidecar_path,
    upload_meta,
    upload_target,
)
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

ROUTINE = """# Rutin för hembesök

Hembesök görs av två handläggare tillsammans, t.ex. vid en nyansökan enligt SoL. Besöket
bokas minst tre dagar i förväg.
"""
MANIFEST = """documents:
  - source: lokala-rutiner/EXEMPEL-rutin.md
    title: Exempel på rutin för samtycke
    kind: lokal_rutin
    example: true
  - source: kunskapsguiden/vagledning.txt
    title: Vägledning
    kind: nationell_vagledning
"""


def corpus_settings(tmp: Path, manifest: str = MANIFEST) -> Settings:
    corpus = tmp / "corpus"
    (corpus / UPLOAD_DIR).mkdir(parents=True)
    (corpus / "kunskapsguiden").mkdir()
    (corpus / "manifest.yaml").write_text(manifest, encoding="utf-8")
    (corpus / UPLOAD_DIR / "EXEMPEL-rutin.md").write_text(ROUTINE * 6, encoding="utf-8")
    (corpus / "kunskapsguiden" / "vagledning.txt").write_text(ROUTINE, encoding="utf-8")
    return make_settings(tmp, corpus_dir=corpus)


def discovered(names: list[str]) -> set[str]:
    """The sources `discover` indexes when `names` lie in the upload folder."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus" / UPLOAD_DIR
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).write_text(ROUTINE, encoding="utf-8")
        metas, _ = discover(folder.parent, folder.parent / "manifest.yaml")
    return {m.source for m in metas}


# --- names the discovery skips ---------------------------------------------------------------

SKIPPED_BY_DISCOVERY = [  # written out, not taken from NOT_INDEXED_NAMES: both ways are checked
    "README.md",
    "LASMIG.md",
    "manifest.yaml",
    "ordlista.yaml",
    ".dold.md",
    ".upload-tmp",
    "rutin.yaml",
    "rutin.YML",
    "rutin.md.meta.yaml",
]
INDEXED_BY_DISCOVERY = ["Rutin.md", "readme.md", "README.txt", "LASMIG.html", "manifest.md"]


@pytest.mark.parametrize("name", SKIPPED_BY_DISCOVERY + INDEXED_BY_DISCOVERY)
def test_upload_and_discovery_agree_on_what_is_indexed(name: str) -> None:
    assert is_indexed_name(name) == (f"{UPLOAD_DIR}/{name}" in discovered([name]))


def test_every_name_the_upload_calls_reserved_is_skipped_by_discovery() -> None:
    assert not discovered(sorted(NOT_INDEXED_NAMES)) & {
        f"{UPLOAD_DIR}/{n}" for n in NOT_INDEXED_NAMES
    }
    assert discovered(["Rutin.md"]) == {f"{UPLOAD_DIR}/Rutin.md"}  # the check can fail


@settings(max_examples=60, deadline=None)
@given(
    st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)), max_size=40),
    st.sampled_from([*SUPPORTED_SUFFIXES, ".yaml", ".yml", ".meta.yaml", ".rtf", ""]),
    st.booleans(),
)
@example("README", ".md", False)
@example("LASMIG", ".md", False)
@example("rutin", ".md", True)
def test_discovery_agrees_on_any_name(stem: str, suffix: str, hidden: bool) -> None:
    name = ("." if hidden else "") + stem + suffix
    if name in {"", ".", ".."} or len(name.encode()) > 255:
        return
    assert is_indexed_name(name) == (f"{UPLOAD_DIR}/{name}" in discovered([name]))


# --- the target of an upload ------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename", ["EXEMPEL-rutin.md", "exempel-RUTIN.md", "C:\\Mina filer\\EXEMPEL-rutin.md"]
)
def test_a_name_of_the_manifest_is_refused_with_what_it_would_replace(
    tmp_path: Path, filename: str
) -> None:
    settings = corpus_settings(tmp_path)
    with pytest.raises(DocumentError) as info:
        upload_target(filename, settings)
    message = str(info.value)
    assert message.startswith(f"{filename}: ")
    assert "”Exempel på rutin för samtycke”" in message and "corpus/manifest.yaml" in message
    assert "skriva över" in message and "Byt namn på filen" in message
    assert info.value.path == filename


def test_a_manifest_name_in_another_unicode_form_is_still_refused(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Åtgärd för återkrav.md")
    settings = corpus_settings(
        tmp_path, MANIFEST + f"  - source: lokala-rutiner/{nfd.replace(' ', '-')}\n"
    )
    with pytest.raises(DocumentError, match="corpus/manifest.yaml"):
        upload_target("Åtgärd för återkrav.md", settings)


@pytest.mark.parametrize("filename", ["README.md", "LASMIG.md", "mapp/README.md"])
def test_a_name_the_corpus_never_indexes_is_refused(tmp_path: Path, filename: str) -> None:
    with pytest.raises(DocumentError) as info:
        upload_target(filename, corpus_settings(tmp_path))
    message = str(info.value)
    assert "aldrig bli sökbart" in message and "Byt namn på filen" in message
    assert "Rutin-" in message  # a name that would work


def test_a_new_name_and_an_earlier_upload_are_told_apart(tmp_path: Path) -> None:
    settings = corpus_settings(tmp_path)
    target = upload_target("Ny rutin.md", settings)
    assert (target.name, target.source, target.replaces) == (
        "Ny-rutin.md",
        f"{UPLOAD_DIR}/Ny-rutin.md",
        False,
    )
    (settings.corpus_dir / target.source).write_text(ROUTINE, encoding="utf-8")
    assert upload_target("Ny rutin.md", settings).replaces


def test_publish_does_not_overwrite_a_document_of_the_manifest(tmp_path: Path) -> None:
    settings = corpus_settings(tmp_path)
    path = settings.corpus_dir / UPLOAD_DIR / "EXEMPEL-rutin.md"
    before = path.read_bytes()
    with pytest.raises(DocumentError, match="skriva över"):
        publish("EXEMPEL-rutin.md", b"# Kort\n\nEn rad.", "Kort", settings, HashEmbeddings())
    assert path.read_bytes() == before
    assert not sidecar_path(path).exists()


@pytest.mark.parametrize("name", ["README.md", "LASMIG.md"])
def test_publish_writes_nothing_under_a_name_that_is_never_indexed(
    tmp_path: Path, name: str
) -> None:
    settings = corpus_settings(tmp_path)
    with pytest.raises(DocumentError, match="aldrig bli sökbart"):
        publish(name, ROUTINE.encode(), "Rutin", settings, HashEmbeddings())
    assert not (settings.corpus_dir / UPLOAD_DIR / name).exists()


def test_remove_refuses_a_document_of_the_manifest(tmp_path: Path) -> None:
    settings = corpus_settings(tmp_path)
    with pytest.raises(DocumentError, match="manifest.yaml"):
        remove(f"{UPLOAD_DIR}/EXEMPEL-rutin.md", settings)
    assert (settings.corpus_dir / UPLOAD_DIR / "EXEMPEL-rutin.md").exists()


# --- form data --------------------------------------------------------------------------------

HOSTILE = "\x1b[31mRöd\x1b[0m rutin\r\n\tför \x1b]0;fönstertitel\x07hembesök\x9b2J\x00\x7f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HOSTILE, "Röd rutin för hembesök"),
        ("Rutin\u202e för åäö", "Rutin för åäö"),
        ("  Bara   mellanslag  ", "Bara mellanslag"),
        ("\x1b]8;;http://x\x1b\\länk\x1b]8;;\x1b\\", "länk"),
        ("\x1b]0;utan slut", "]0;utan slut"),  # an unterminated escape loses its ESC
        ("", ""),
    ],
)
def test_one_line_removes_escape_sequences_and_control_characters(
    value: str, expected: str
) -> None:
    assert one_line(value) == expected


@given(st.text(max_size=400))
def test_one_line_is_printable_and_bounded(value: str) -> None:
    line = one_line(value)
    assert line.isprintable() and len(line) <= MAX_FIELD_CHARS
    assert "\x1b" not in line and "\n" not in line


def test_a_hostile_title_becomes_one_clean_line() -> None:
    meta = upload_meta("lokala-rutiner/x.md", HOSTILE, municipality="\x1b[1mTestköping\r")
    assert meta.title == "Röd rutin för hembesök"
    assert meta.municipality == "Testköping"


LONG = "Rutin för hembesök " * 55_000  # about 1 MB; 1 044 999 characters as one line


@pytest.mark.parametrize(
    ("fields", "label"),
    [({"title": LONG}, "Titeln"), ({"title": "Rutin", "municipality": LONG}, "Kommunnamnet")],
)
def test_a_field_too_long_is_refused_not_cut(fields: dict[str, str], label: str) -> None:
    with pytest.raises(DocumentError) as info:
        upload_meta("lokala-rutiner/x.md", **fields)
    message = str(info.value)
    assert message.startswith(f"lokala-rutiner/x.md: {label} har 1 044 999 tecken")
    assert f"högst {MAX_FIELD_CHARS} tecken" in message and f"Korta {label.lower()}" in message


def test_a_field_of_exactly_the_limit_is_kept_whole() -> None:
    title = "å" * MAX_FIELD_CHARS
    assert upload_meta("lokala-rutiner/x.md", title).title == title
    with pytest.raises(DocumentError, match="Titeln har 301 tecken"):
        upload_meta("lokala-rutiner/x.md", title + "å")


@pytest.mark.parametrize("day", ["2025-13-01", "igår", "2025-02-30"])
def test_a_valid_from_that_is_not_a_date_is_refused(day: str) -> None:
    with pytest.raises(DocumentError, match="'Gäller från' ska vara ett datum"):
        upload_meta("lokala-rutiner/x.md", "Rutin", valid_from=day)


def test_a_valid_from_gives_the_year() -> None:
    meta = upload_meta("lokala-rutiner/x.md", "Rutin", valid_from="2024-05-01")
    assert (meta.valid_from, meta.year) == ("2024-05-01", 2024)


def test_a_published_upload_has_clean_form_data_in_its_sidecar(tmp_path: Path) -> None:
    settings = corpus_settings(tmp_path)
    meta = publish("Rutin.md", ROUTINE.encode(), HOSTILE, settings, HashEmbeddings())
    assert meta.title == "Röd rutin för hembesök"
    metas, problems = discover(settings.corpus_dir, settings.manifest_path)  # read back
    assert [m.title for m in metas if m.source == meta.source] == ["Röd rutin för hembesök"]
    assert not problems


# --- what the ingest did with a publish -------------------------------------------------------

SOURCE = f"{UPLOAD_DIR}/rutin.md"


def record(source: str = SOURCE, chunks: int = 3) -> dict[str, DocumentRecord]:
    return {
        source: DocumentRecord(source, source, "Rutin", "lokal_rutin", 2024, "abc", chunks, 0.0)
    }


@pytest.mark.parametrize(
    ("report", "change"),
    [
        (IngestReport(added=(SOURCE,)), ADDED),
        (IngestReport(updated=("annan.md", SOURCE)), UPDATED),
        (IngestReport(skipped=(SOURCE,)), UNCHANGED),
    ],
)
def test_a_publish_is_reported_from_the_ingest(report: IngestReport, change: str) -> None:
    assert indexed_upload(report, SOURCE, record()) == Indexed(SOURCE, change, 3)


def test_a_failed_upload_is_an_error_with_the_reason() -> None:
    report = IngestReport(
        added=("annan.md",),
        failed=(Failure("annan.md", "annat fel"), Failure(SOURCE, f"{SOURCE}: filen är tom.")),
    )
    with pytest.raises(DocumentError) as info:
        indexed_upload(report, SOURCE, record())
    message = str(info.value)
    assert "kunde inte indexeras" in message and "filen är tom." in message
    assert "annat fel" not in message and "publicerad" not in message


@pytest.mark.parametrize(
    ("report", "documents"),
    [
        (IngestReport(added=("lokala-rutiner/annan.md",)), record()),  # not in the report
        (IngestReport(added=(SOURCE,)), record("lokala-rutiner/annan.md")),  # not in the index
        (IngestReport(), {}),
    ],
)
def test_an_upload_missing_from_the_report_or_the_index_is_an_error(
    report: IngestReport, documents: dict[str, DocumentRecord]
) -> None:
    with pytest.raises(DocumentError, match="finns inte i indexet"):
        indexed_upload(report, SOURCE, documents)
