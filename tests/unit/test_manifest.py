"""The corpus manifest: validation with Swedish errors, and `discover` on a generated corpus
(listed documents, unlisted local routines with sidecars, files it must skip). Also checks
the real corpus/manifest.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.documents import KINDS
from core.errors import ManifestError
from core.safeyaml import MAX_FIELD_CHARS
from core.settings import ROOT
from ingest.manifest import check_manifest, discover, read_manifest
from tests import hostile_files

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


# Changed deliberately (issue 12, item 2): a broken sidecar used to be ignored, and its
# document indexed without the metadata the coordinator gave it. Now it is reported.
def test_a_broken_sidecar_is_a_problem_of_its_document_and_the_rest_goes_on(corpus: Path) -> None:
    write(corpus / "lokala-rutiner/hyresrutin.txt.meta.yaml", "title: [oavslutad\n")
    metas, problems = discover(corpus, corpus / "manifest.yaml")
    sources = {m.source for m in metas}
    assert "lokala-rutiner/hyresrutin.txt" not in sources  # never with empty metadata
    assert "lokala-rutiner/rutin-för-samtycke.md" in sources
    [problem] = [p for p in problems if p.source == "lokala-rutiner/hyresrutin.txt"]
    assert "hyresrutin.txt.meta.yaml" in problem.reason
    assert "YAML-syntaxen är felaktig på rad" in problem.reason
    assert "indexeras inte" in problem.reason


@pytest.mark.parametrize(
    ("sidecar", "expected"),
    [
        ("title: Rutin\nvalid_from: 2024-02-30\n", ["valid_from", "2024-02-30", "finns inte"]),
        ("valid_from: snart\n", ["valid_from", "'snart' är inget datum"]),
        (hostile_files.yaml_alias_bomb(), ["YAML-alias"]),
        ("- en\n- lista\n", ["fält som 'title: …'"]),
        ("title: " + "x" * 20_000 + "\n", ["gränsen"]),
    ],
    ids=["omojligt-datum", "inget-datum", "aliasbomb", "lista", "for-lang"],
)
def test_a_sidecar_that_is_refused_names_the_file_and_why(
    corpus: Path, sidecar: str, expected: list[str]
) -> None:
    write(corpus / "lokala-rutiner/hyresrutin.txt.meta.yaml", sidecar)
    metas, problems = discover(corpus, corpus / "manifest.yaml")
    assert "lokala-rutiner/hyresrutin.txt" not in {m.source for m in metas}
    [problem] = [p for p in problems if p.source == "lokala-rutiner/hyresrutin.txt"]
    assert problem.reason.startswith("lokala-rutiner/hyresrutin.txt.meta.yaml: ")
    for phrase in expected:
        assert phrase in problem.reason, problem.reason


def test_the_impossible_date_sidecar_of_the_hostile_files(tmp_path: Path) -> None:
    routine = hostile_files.impossible_date_sidecar(tmp_path / "corpus" / "lokala-rutiner")
    corpus = tmp_path / "corpus"
    metas, problems = discover(corpus, corpus / "manifest.yaml")
    assert metas == []
    assert [p.source for p in problems] == [f"lokala-rutiner/{routine.name}"]
    assert "valid_from" in problems[0].reason and "2024-02-30" in problems[0].reason


def test_sidecar_fields_become_one_bounded_line(corpus: Path) -> None:
    write(
        corpus / "lokala-rutiner/hyresrutin.txt.meta.yaml",
        f'title: "Rutin\\n\\x1b[31m{"å" * 1000}"\nmunicipality: Malmö\n',
    )
    by_source = {m.source: m for m in discover(corpus, corpus / "manifest.yaml")[0]}
    routine = by_source["lokala-rutiner/hyresrutin.txt"]
    assert len(routine.title) <= MAX_FIELD_CHARS and routine.title.startswith("Rutin åå")
    assert "\n" not in routine.title and "\x1b" not in routine.title
    assert routine.municipality == "Malmö"


def test_a_file_name_too_long_for_a_sidecar_is_a_problem_and_the_rest_goes_on(
    corpus: Path,
) -> None:
    path = hostile_files.long_name_file(corpus / "lokala-rutiner")
    assert len(path.name.encode()) == 253
    metas, problems = discover(corpus, corpus / "manifest.yaml")
    rel = f"lokala-rutiner/{path.name}"
    assert rel not in {m.source for m in metas}
    assert "lokala-rutiner/hyresrutin.txt" in {m.source for m in metas}
    [problem] = [p for p in problems if p.source == rel]
    assert "filnamnet är för långt (253 byte)" in problem.reason
    assert "kortare namn" in problem.reason


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


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("documents:\n  - source: [a.txt\n", "rad 3"),
        ("documents: &d\n  - source: a.txt\nigen: *d\n", "YAML-alias"),
        ("documents: en sträng\n", "måste ha en lista"),
    ],
    ids=["syntax", "alias", "ingen-lista"],
)
def test_discover_raises_on_a_manifest_that_cannot_be_read(
    corpus: Path, text: str, reason: str
) -> None:
    write(corpus / "manifest.yaml", text)
    with pytest.raises(ManifestError, match=reason):
        discover(corpus, corpus / "manifest.yaml")


# Changed deliberately (issue 12, item 2): one bad entry used to stop the whole ingest with a
# ManifestError. Now it is a problem of that entry, and every other document is indexed.
@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("    kind: broschyr\n", "post 2: kind: okänd kind 'broschyr'"),
        ("    valid_from: 2024-02-30\n", "post 2: valid_from: datumet 2024-02-30 finns inte"),
        ("    year: tjugotjugo\n", "post 2: year: måste vara ett heltal"),
    ],
    ids=["okand-kind", "omojligt-datum", "year-som-text"],
)
def test_a_bad_manifest_entry_is_a_problem_of_that_entry_only(
    corpus: Path, entry: str, expected: str
) -> None:
    write(
        corpus / "manifest.yaml",
        "documents:\n  - source: kunskapsguiden/vägledning.txt\n    title: Vägledning\n"
        "  - source: lokala-rutiner/hyresrutin.txt\n    title: Hyresrutin\n" + entry,
    )
    metas, problems = discover(corpus, corpus / "manifest.yaml")
    sources = {m.source for m in metas}
    assert "kunskapsguiden/vägledning.txt" in sources  # the rest goes on
    assert "lokala-rutiner/rutin-för-samtycke.md" in sources
    # The bad entry's file is not indexed as an unlisted routine without its metadata either.
    assert "lokala-rutiner/hyresrutin.txt" not in sources
    [problem] = [p for p in problems if p.source == "lokala-rutiner/hyresrutin.txt"]
    assert expected in problem.reason
    assert problem.reason.endswith("Rätta posten i manifestet och kör igen.")


def test_the_impossible_date_manifest_of_the_hostile_files(tmp_path: Path) -> None:
    manifest = hostile_files.impossible_date_manifest(tmp_path)
    entries, problems = check_manifest(manifest)
    assert [(e.source, e.valid_from) for e in entries] == [("bra.md", "2024-02-28")]
    assert [p.source for p in problems] == ["dalig.md"]
    assert "valid_from: datumet 2024-02-30 finns inte" in problems[0].reason
    # read_manifest, for callers that must not act on half a manifest, refuses it whole.
    with pytest.raises(ManifestError, match="post 2: valid_from"):
        read_manifest(manifest)
    metas, _ = discover(tmp_path, manifest)
    assert [m.source for m in metas] == ["bra.md"]


def test_an_entry_that_is_not_a_mapping_is_named_by_its_position(tmp_path: Path) -> None:
    path = write(tmp_path / "manifest.yaml", "documents:\n  - bara-en-sträng.txt\n")
    _, [problem] = check_manifest(path)
    assert problem.source == "manifest.yaml, post 1"
    assert "posten ska vara fält" in problem.reason


def test_manifest_text_fields_become_one_bounded_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "manifest.yaml",
        f'documents:\n  - source: a.txt\n    title: "Titel\\n{"ö" * 5000}"\n'
        f'    publisher: "Social\\tstyrelsen\\x07"\n    url: https://example.se/{"a" * 5000}\n',
    )
    [entry] = read_manifest(path)
    assert len(entry.title) <= MAX_FIELD_CHARS and entry.title.startswith("Titel öö")
    assert entry.publisher == "Social styrelsen"
    assert entry.url is not None and 300 < len(entry.url) <= 2000


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
