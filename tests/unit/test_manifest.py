"""The corpus manifest: validation with Swedish errors, and `discover` on a generated corpus
(listed documents, unlisted local routines with sidecars, files it must skip). Also checks
the real corpus/manifest.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.documents import KINDS
from ingest.errors import ManifestError
from ingest.manifest import discover, read_manifest
from ingest.settings import ROOT

REAL_CORPUS = ROOT / "corpus"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- read_manifest ---------------------------------------------------------------------------


def test_a_valid_manifest_reads_into_entries(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "manifest.yaml",
        """
documents:
  - source: kunskapsguiden/vägledning.txt
    title: Vägledning för ekonomiskt bistånd
    publisher: Socialstyrelsen
    year: 2021
    kind: nationell_vagledning
    municipality: Malmö
    valid_from: 2021-05-01
  - source: lokala-rutiner/rutin.md
""",
    )
    first, second = read_manifest(manifest)
    assert first.source == "kunskapsguiden/vägledning.txt"
    assert (first.title, first.year, first.kind) == (
        "Vägledning för ekonomiskt bistånd",
        2021,
        "nationell_vagledning",
    )
    assert first.valid_from == "2021-05-01"  # a YAML date becomes an ISO string
    assert (second.kind, second.title, second.year) == ("lokal_rutin", "", None)


def test_a_missing_manifest_is_empty(tmp_path: Path) -> None:
    assert read_manifest(tmp_path / "manifest.yaml") == []


@pytest.mark.parametrize("text", ["", "# bara en kommentar\n", "documents: []\n"])
def test_an_empty_manifest_is_empty(tmp_path: Path, text: str) -> None:
    assert read_manifest(write(tmp_path / "manifest.yaml", text)) == []


@pytest.mark.parametrize(
    "text", ["documents: en sträng\n", "- source: a.txt\n", "documents:\n  source: a.txt\n"]
)
def test_a_manifest_without_a_documents_list_is_rejected(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "manifest.yaml", text)
    with pytest.raises(ManifestError, match="måste ha en lista 'documents:'") as info:
        read_manifest(path)
    assert str(path) in str(info.value)


def test_unreadable_yaml_is_reported_in_swedish(tmp_path: Path) -> None:
    path = write(tmp_path / "manifest.yaml", "documents:\n  - source: [a.txt\n")
    with pytest.raises(ManifestError, match="kunde inte läsas"):
        read_manifest(path)


def test_an_unknown_kind_is_rejected_naming_the_entry_and_the_choices(tmp_path: Path) -> None:
    path = write(
        tmp_path / "manifest.yaml",
        """
documents:
  - source: a.txt
    kind: rapport
  - source: b.txt
    kind: broschyr
""",
    )
    with pytest.raises(ManifestError) as info:
        read_manifest(path)
    message = str(info.value)
    assert message.startswith(f"Manifestet {path}, post 2: kind:")
    assert "okänd kind 'broschyr'" in message
    assert all(kind in message for kind in KINDS)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("  - title: Utan källa\n", "source"),
        ("  - source: a.txt\n    year: tjugotjugo\n", "year"),
        ("  - source: a.txt\n    författare: Okänd\n", "författare"),
    ],
    ids=["utan-source", "year-som-text", "okant-falt"],
)
def test_an_invalid_entry_names_its_position_and_field(
    tmp_path: Path, entry: str, field: str
) -> None:
    path = write(tmp_path / "manifest.yaml", "documents:\n  - source: ok.txt\n" + entry)
    with pytest.raises(ManifestError, match=f"^Manifestet .*, post 2: {field}:"):
        read_manifest(path)


@pytest.mark.parametrize(
    "entry",
    [
        "  - title: Utan källa\n",
        "  - source: a.txt\n    year: tjugotjugo\n",
        "  - source: a.txt\n    författare: Okänd\n",
        "  - source: a.txt\n    kind: broschyr\n",
    ],
    ids=["utan-source", "year-som-text", "okant-falt", "okand-kind"],
)
def test_the_detail_of_an_entry_error_is_swedish_too(tmp_path: Path, entry: str) -> None:
    path = write(tmp_path / "manifest.yaml", "documents:\n" + entry)
    with pytest.raises(ManifestError) as info:
        read_manifest(path)
    english = ("Field required", "Input should", "Extra inputs", "Value error")
    assert not any(phrase in str(info.value) for phrase in english), str(info.value)


# --- discover --------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(
        root / "manifest.yaml",
        """
documents:
  - source: kunskapsguiden/vägledning.txt
    title: Vägledning om ekonomiskt bistånd
    publisher: Socialstyrelsen
    year: 2021
    kind: nationell_vagledning
  - source: rapporter/borttagen.pdf
    title: Rapport som saknas
    kind: rapport
""",
    )
    write(root / "kunskapsguiden/vägledning.txt", "Ekonomiskt bistånd prövas individuellt.")
    write(root / "lokala-rutiner/rutin-för-samtycke.md", "# Samtycke\n\nInhämta samtycke.")
    write(
        root / "lokala-rutiner/rutin-för-samtycke.md.meta.yaml",
        """
title: Rutin för samtycke i Malmö
kind: lokal_rutin
municipality: Malmö
valid_from: 2024-03-01
year: 2024
""",
    )
    write(root / "lokala-rutiner/hyresrutin.txt", "Hyran prövas mot skälig nivå.")
    write(root / "lokala-rutiner/fel-typ.md", "Text.")
    write(root / "lokala-rutiner/fel-typ.md.meta.yaml", "kind: broschyr\nyear: '2020'\n")
    write(root / "ÅTERKOMMANDE.HTML", "<h1>Åter</h1>")
    # Never documents:
    write(root / "ordlista.yaml", "SoL: socialtjänstlagen\n")
    write(root / "README.md", "# Om korpusen\n")
    write(root / ".utkast.md", "dold fil")
    write(root / ".git/info.md", "dold katalog")
    write(root / "lokala-rutiner/anteckning.odt", "okänd typ")
    write(root / "lokala-rutiner/foreldralos.md.meta.yaml", "title: Sidovagn utan fil\n")
    return root


def test_discover_finds_listed_and_unlisted_documents(corpus: Path) -> None:
    metas, _ = discover(corpus, corpus / "manifest.yaml")
    assert [m.source for m in metas] == [
        "kunskapsguiden/vägledning.txt",  # listed first, in manifest order
        "lokala-rutiner/fel-typ.md",
        "lokala-rutiner/hyresrutin.txt",
        "lokala-rutiner/rutin-för-samtycke.md",
        "ÅTERKOMMANDE.HTML",
    ]
    assert all(m.doc_id == m.source for m in metas)


def test_a_listed_document_gets_the_manifests_metadata(corpus: Path) -> None:
    listed = discover(corpus, corpus / "manifest.yaml")[0][0]
    assert (listed.title, listed.publisher, listed.year, listed.kind) == (
        "Vägledning om ekonomiskt bistånd",
        "Socialstyrelsen",
        2021,
        "nationell_vagledning",
    )


def test_an_unlisted_document_is_a_local_routine_described_by_its_sidecar(corpus: Path) -> None:
    by_source = {m.source: m for m in discover(corpus, corpus / "manifest.yaml")[0]}
    routine = by_source["lokala-rutiner/rutin-för-samtycke.md"]
    assert routine.title == "Rutin för samtycke i Malmö"
    assert (routine.kind, routine.municipality) == ("lokal_rutin", "Malmö")
    assert (routine.valid_from, routine.year) == ("2024-03-01", 2024)
    bare = by_source["lokala-rutiner/hyresrutin.txt"]
    assert (bare.title, bare.kind, bare.year, bare.municipality) == ("", "lokal_rutin", None, None)


def test_a_sidecar_with_an_unknown_kind_or_a_text_year_falls_back(corpus: Path) -> None:
    by_source = {m.source: m for m in discover(corpus, corpus / "manifest.yaml")[0]}
    odd = by_source["lokala-rutiner/fel-typ.md"]
    assert (odd.kind, odd.year) == ("lokal_rutin", None)


def test_a_broken_sidecar_is_ignored(corpus: Path) -> None:
    write(corpus / "lokala-rutiner/hyresrutin.txt.meta.yaml", "title: [oavslutad\n")
    by_source = {m.source: m for m in discover(corpus, corpus / "manifest.yaml")[0]}
    assert by_source["lokala-rutiner/hyresrutin.txt"].title == ""


def test_discover_skips_the_manifest_glossary_sidecars_hidden_and_unsupported_files(
    corpus: Path,
) -> None:
    sources = {m.source for m in discover(corpus, corpus / "manifest.yaml")[0]}
    for skipped in (
        "manifest.yaml",
        "ordlista.yaml",
        "README.md",
        ".utkast.md",
        ".git/info.md",
        "lokala-rutiner/anteckning.odt",
    ):
        assert skipped not in sources
    assert not any(s.endswith(".meta.yaml") for s in sources)


def test_a_missing_listed_file_is_reported_in_swedish(corpus: Path) -> None:
    metas, problems = discover(corpus, corpus / "manifest.yaml")
    assert "rapporter/borttagen.pdf" not in {m.source for m in metas}
    missing = [p for p in problems if p.source == "rapporter/borttagen.pdf"]
    assert len(missing) == 1
    assert missing[0].reason == (
        "Filen rapporter/borttagen.pdf finns inte i korpusen. Lägg tillbaka filen eller ta "
        "bort posten ur corpus/manifest.yaml."
    )


def test_discover_without_a_manifest_treats_every_file_as_a_local_routine(corpus: Path) -> None:
    metas, problems = discover(corpus, corpus / "saknas.yaml")
    # Only the file of a type we cannot read is a problem (reported, not silently skipped).
    assert [p.source for p in problems] == ["lokala-rutiner/anteckning.odt"]
    assert "kunskapsguiden/vägledning.txt" in {m.source for m in metas}
    assert all(m.kind == "lokal_rutin" for m in metas if not m.source.endswith("samtycke.md"))


def test_discover_raises_on_a_broken_manifest(corpus: Path) -> None:
    write(corpus / "manifest.yaml", "documents:\n  - source: a.txt\n    kind: broschyr\n")
    with pytest.raises(ManifestError, match="post 1"):
        discover(corpus, corpus / "manifest.yaml")


# --- the real corpus -------------------------------------------------------------------------


def test_the_real_manifest_validates_and_every_listed_file_exists() -> None:
    entries = read_manifest(REAL_CORPUS / "manifest.yaml")
    assert entries
    sources = [e.source for e in entries]
    assert len(sources) == len(set(sources)), "a document is listed twice"
    for entry in entries:
        assert (REAL_CORPUS / entry.source).is_file(), entry.source
        assert entry.title and entry.year, entry.source
    metas, problems = discover(REAL_CORPUS, REAL_CORPUS / "manifest.yaml")
    assert problems == []
    assert set(sources) <= {m.source for m in metas}


def test_links_out_of_the_corpus_are_reported_not_followed(tmp_path: Path) -> None:
    """A symlink in corpus/ (to /etc/passwd, say) must never become searchable."""
    secret = tmp_path / "hemligt.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    outside = tmp_path / "utanfor"
    outside.mkdir()
    (outside / "rutin.md").write_text("# Rutin\n\nText.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "lokala-rutiner").mkdir(parents=True)
    (corpus / "lokala-rutiner" / "riktig.md").write_text("# Riktig\n\nText.\n", encoding="utf-8")
    (corpus / "lokala-rutiner" / "passwd.md").symlink_to(secret)
    (corpus / "lankad-mapp").symlink_to(outside, target_is_directory=True)
    manifest = corpus / "manifest.yaml"
    manifest.write_text(
        "documents:\n  - source: lokala-rutiner/passwd.md\n    title: Lösenord\n", encoding="utf-8"
    )

    metas, problems = discover(corpus, manifest)

    assert [m.source for m in metas] == ["lokala-rutiner/riktig.md"]
    linked = {p.source for p in problems if "länk" in p.reason}
    assert "lokala-rutiner/passwd.md" in linked
    assert not any("hemligt" in m.source or "utanfor" in m.source for m in metas)
    assert all("Kopiera in själva filen" in p.reason for p in problems if p.source in linked)
