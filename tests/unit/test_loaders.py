"""Each loader on files generated here (PDF by reportlab, DOCX by python-docx, …) and bad inputs."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from core.budget import Budget
from core.documents import DocumentMeta, LoadedDocument
from core.errors import UnreadableDocumentError, UnsupportedFileError
from core.safeyaml import MAX_FIELD_CHARS
from ingest.loaders import SUPPORTED_SUFFIXES, content_hash, load_document
from ingest.loaders import docx as docx_loader
from ingest.loaders import pdf as pdf_loader
from tests import hostile_files

MB = 1024 * 1024
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

PDF_PAGES = [
    (
        "Ekonomiskt bistånd för hushåll",
        [
            "Socialnämnden prövar rätten till bistånd för hela hushållet.",
            "Sökanden ska lämna uppgifter om inkomster och utgifter för",
            "hela hushållet. Handläggaren gör sedan en bedömning av behovet.",
        ],
    ),
    (
        "Överklagande av beslut",
        [
            "Ett beslut om ekonomiskt bistånd kan överklagas till förvaltningsrätten.",
            "Överklagandet ska ha kommit in inom tre veckor från att beslutet",
            "delgavs. Den enskilde kan få hjälp att skriva överklagandet.",
        ],
    ),
    (
        "Återkrav",
        [
            "Bistånd som har betalats ut felaktigt kan under vissa villkor återkrävas.",
            "Beslut om återkrav ska alltid motiveras skriftligt för den enskilde.",
        ],
    ),
]


def meta_for(name: str, **fields: object) -> DocumentMeta:
    values: dict[str, object] = {"doc_id": name, "source": name, "title": ""}
    values.update(fields)
    return DocumentMeta(**values)  # type: ignore[arg-type]


def load(path: Path, max_bytes: int = 10 * MB, **fields: object) -> LoadedDocument:
    return load_document(path, meta_for(path.name, **fields), max_bytes)


def full_text(doc: LoadedDocument) -> str:
    return "\n".join(block.text for block in doc.blocks)


def sections(doc: LoadedDocument) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(block.section for block in doc.blocks))


# --- generators ------------------------------------------------------------------------------


def make_pdf(pages: list[tuple[str, list[str]]] = PDF_PAGES, title: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "Helvetica"  # the standard font covers Latin-1, so åäö too
    if DEJAVU.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
        font = "DejaVuSans"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    for number, (heading, lines) in enumerate(pages, start=1):
        pdf.setFont(font, 16)
        pdf.drawString(72, 770, heading)
        pdf.setFont(font, 11)
        for k, line in enumerate(lines):
            pdf.drawString(72, 740 - 16 * k, line)
        pdf.drawString(280, 40, f"Sida {number} ({len(pages)})")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_image_only_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(100, 100, 300, 400, fill=1)  # stands in for a scanned page: no text layer
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypt_pdf(raw: bytes, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    writer.encrypt(user_password=user_password, owner_password="ägare", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Rutin för handläggning"
    document.add_heading("Rutin för handläggning", level=0)
    document.add_paragraph("Rutinen gäller alla handläggare inom ekonomiskt bistånd.")
    document.add_heading("Ansökan", level=1)
    document.add_paragraph("Ansökan ska registreras samma dag som den kommer in.")
    document.add_heading("Komplettering", level=2)
    document.add_paragraph("Begär komplettering skriftligt, t.ex. via e-post.")
    document.add_paragraph("kontoutdrag för tre månader", style="List Bullet")
    document.add_paragraph("hyresavtal eller bostadsrättsavtal", style="List Bullet")
    document.add_heading("Beslut", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Ärende", "Handläggningstid"
    table.cell(1, 0).text, table.cell(1, 1).text = "Nybesök", "Två veckor"
    document.add_paragraph("Beslutet ska meddelas skriftligt med besvärshänvisning.")
    document.save(str(path))
    return path


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_pages_headings_and_swedish_letters(tmp_path: Path) -> None:
    path = tmp_path / "riktlinje.pdf"
    path.write_bytes(make_pdf(title="Riktlinje för ekonomiskt bistånd"))
    doc = load(path)
    assert doc.meta.title == "Riktlinje för ekonomiskt bistånd"  # from the PDF metadata
    assert sections(doc) == [
        ("Ekonomiskt bistånd för hushåll",),
        ("Överklagande av beslut",),
        ("Återkrav",),
    ]
    by_text = {block.text: block for block in doc.blocks}
    first = next(t for t in by_text if t.startswith("Socialnämnden prövar"))
    assert by_text[first].page == 1
    assert "utgifter för hela hushållet." in first  # hard line break joined
    second = next(b for b in doc.blocks if "förvaltningsrätten" in b.text)
    assert second.page == 2 and "beslutet delgavs." in second.text
    assert next(b for b in doc.blocks if "återkrävas" in b.text).page == 3
    assert "Sida 2 (3)" not in full_text(doc)


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    path = tmp_path / "skyddad.pdf"
    path.write_bytes(encrypt_pdf(make_pdf(), user_password=""))
    assert "förvaltningsrätten" in full_text(load(path, title="Skyddad"))


def test_encrypted_pdf_is_reported_as_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "hemlig.pdf"
    path.write_bytes(encrypt_pdf(make_pdf(), user_password="hemligt"))
    with pytest.raises(UnreadableDocumentError, match="krypterad") as info:
        load(path)
    assert info.value.path == "hemlig.pdf"


def test_pdf_without_text_layer_asks_for_ocr(tmp_path: Path) -> None:
    path = tmp_path / "skannad.pdf"
    path.write_bytes(make_image_only_pdf())
    with pytest.raises(UnreadableDocumentError, match="textlager.*OCR"):
        load(path)


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(4096),
        b"%PDF-1.7 not really",
        b"%PDF-1.4\n%%EOF\n",
        pytest.param("truncated", id="truncated"),
        pytest.param("garbled", id="garbled-objects"),
    ],
    ids=["random-bytes", "header-only", "empty-body", "truncated", "garbled-objects"],
)
def test_broken_pdfs_raise_unreadable(tmp_path: Path, content: object) -> None:
    if content == "truncated":
        good = make_pdf()
        content = good[: len(good) // 2]
    elif content == "garbled":
        good = bytearray(make_pdf())
        good[200:-200] = bytes(len(good) - 400)  # objects zeroed out, trailer kept
        content = bytes(good)
    path = tmp_path / "trasig.pdf"
    path.write_bytes(content)  # type: ignore[arg-type]
    with pytest.raises(UnreadableDocumentError, match="trasig.pdf"):
        load(path)


# --- DOCX ------------------------------------------------------------------------------------


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "rutin.docx"))
    assert doc.meta.title == "Rutin för handläggning"
    assert sections(doc) == [(), ("Ansökan",), ("Ansökan", "Komplettering"), ("Beslut",)]
    lists = [b for b in doc.blocks if b.is_list]
    assert lists[0].text == "• kontoutdrag för tre månader\n• hyresavtal eller bostadsrättsavtal"
    assert lists[1].text == "Ärende | Handläggningstid\nNybesök | Två veckor"
    assert "Rutin för handläggning" not in full_text(doc)  # the title is not body text


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "inte.docx"
    path.write_bytes("Det här är bara text med fel filändelse.".encode())
    with pytest.raises(UnreadableDocumentError, match="inte.docx"):
        load(path)


def test_docx_zip_without_word_content(tmp_path: Path) -> None:
    path = tmp_path / "tom.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hej.txt", "inget Word-innehåll")
    with pytest.raises(UnreadableDocumentError, match="Word"):
        load(path)


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(docx_loader, "MAX_UNCOMPRESSED_BYTES", 1 * MB)
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (3 * MB))
    assert path.stat().st_size < 100_000
    with pytest.raises(UnreadableDocumentError, match="zip-bomb"):
        load(path)


# --- Markdown --------------------------------------------------------------------------------

ROUTINE_MD = """---
title: Rutin för hembesök
kind: lokal_rutin
municipality: Testköping
valid_from: 2025-03-01
---

# Rutin för hembesök

Inledande text om **hembesök** och [riktlinjer](https://example.se).

## När görs hembesök

Hembesök görs när det behövs för att utreda behovet. Två handläggare
deltar alltid.

### Förberedelser

- boka tid med den enskilde
- ta med legitimation

## Dokumentation

> Hembesöket dokumenteras i journalen inom tre arbetsdagar.

– Det är viktigt, säger enhetschefen.
"""


def test_markdown_front_matter_sections_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "hembesok.md"
    path.write_text(ROUTINE_MD, encoding="utf-8")
    doc = load(path)
    meta = doc.meta
    assert (meta.title, meta.kind, meta.municipality) == (
        "Rutin för hembesök",
        "lokal_rutin",
        "Testköping",
    )
    assert (meta.valid_from, meta.year) == ("2025-03-01", 2025)
    assert sections(doc) == [
        (),
        ("När görs hembesök",),
        ("När görs hembesök", "Förberedelser"),
        ("Dokumentation",),
    ]
    text = full_text(doc)
    assert "Inledande text om hembesök och riktlinjer." in text
    assert "behovet. Två handläggare deltar alltid." in text  # soft wrap joined
    assert "• boka tid med den enskilde\n• ta med legitimation" in text
    assert "– Det är viktigt" in text  # a quote dash is not a list bullet
    assert not any(b.is_list for b in doc.blocks if "enhetschefen" in b.text)


def test_manifest_fields_win_over_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "hembesok.md"
    path.write_text(ROUTINE_MD, encoding="utf-8")
    doc = load(path, title="Hembesök (manifest)", municipality="Annanstad", year=2024)
    assert (doc.meta.title, doc.meta.municipality, doc.meta.year) == (
        "Hembesök (manifest)",
        "Annanstad",
        2024,
    )


def test_markdown_with_broken_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "trasig.md"
    path.write_text("---\ntitle: [oavslutad\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="front matter"):
        load(path)


# --- HTML ------------------------------------------------------------------------------------

PAGE_HTML = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Handläggning | Kunskapsguiden</title>
<style>.x{color:red}</style><script>var tracking = "Skript ska bort";</script></head>
<body>
<header><nav><a href="/">Start</a> <a href="/teman">Teman</a></nav></header>
<div id="cookie-banner">Vi använder kakor. <button>Godkänn alla cookies</button></div>
<main>
  <nav class="breadcrumb">Start › Ekonomiskt bistånd</nav>
  <h1>Handläggning av ekonomiskt bistånd</h1>
  <p>Handläggningen ska vara <strong>rättssäker</strong> och dokumenteras löpande.</p>
  <h2>Utredning</h2>
  <p>Utredningen ska belysa den enskildes behov.</p>
  <ul><li>inkomster</li><li>utgifter för <em>boende</em></li></ul>
  <h3>Barnets bästa</h3>
  <p>Barnets situation ska alltid uppmärksammas.<br>Se Kunskaps<b>guiden</b>.</p>
  <aside>Relaterat innehåll som inte hör hit.</aside>
  <section class="newsletter"><h2>Prenumerera på nyhetsbrevet!</h2>
    <p>Få nyheter direkt i din inkorg.</p><form><input type="email"></form></section>
  <p>Faktagranskad av: Socialstyrelsen Senast granskad: 2024-01-01</p>
</main>
<footer>Socialstyrelsen, 106 30 Stockholm</footer>
</body></html>
"""


def test_html_keeps_main_content_only(tmp_path: Path) -> None:
    path = tmp_path / "sida.html"
    path.write_text(PAGE_HTML, encoding="utf-8")
    doc = load(path)
    assert doc.meta.title == "Handläggning av ekonomiskt bistånd"
    assert sections(doc) == [(), ("Utredning",), ("Utredning", "Barnets bästa")]
    text = full_text(doc)
    assert "Handläggningen ska vara rättssäker och dokumenteras löpande." in text
    assert "• inkomster\n• utgifter för boende" in text
    assert "Barnets situation ska alltid uppmärksammas. Se Kunskapsguiden." in text
    for noise in ("Start", "Teman", "kakor", "Skript", "Relaterat", "nyhetsbrev", "inkorg",
                  "Faktagranskad", "106 30"):  # fmt: skip
        assert noise not in text, noise


def test_html_newsletter_without_markup_hints(tmp_path: Path) -> None:
    path = tmp_path / "enkel.htm"
    path.write_text(
        "<html><body><h1>Titel</h1><p>Riktig text om bistånd.</p>"
        "<p>Prenumerera på nyhetsbrevet!</p><p>Håll dig uppdaterad via din inkorg.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    assert full_text(load(path)) == "Riktig text om bistånd."


# --- plain text ------------------------------------------------------------------------------


def test_cp1252_text_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "ansi.txt"
    body = "Rätt till bistånd\n\nSocialnämnden prövar rätten till ekonomiskt bistånd – även för barnfamiljer.\n"
    path.write_bytes(body.encode("cp1252"))
    doc = load(path)
    assert doc.meta.title == "Rätt till bistånd"
    assert (
        full_text(doc)
        == "Socialnämnden prövar rätten till ekonomiskt bistånd – även för barnfamiljer."
    )


def test_utf8_with_bom_and_web_structure(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    body = (
        "Handläggning\n\nInledande stycke om handläggning.\n\nDokumentation\n\n"
        "Journalen ska föras löpande.\n\n • första punkten\n • andra punkten.\n\n"
        "Prenumerera på nyhetsbrevet!\n\nHåll dig uppdaterad genom att prenumerera – direkt i din inkorg."
    )
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    doc = load(path)
    assert doc.meta.title == "Handläggning"
    assert "\ufeff" not in full_text(doc)
    assert sections(doc) == [(), ("Dokumentation",)]
    assert doc.blocks[-1].is_list and doc.blocks[-1].text == "• första punkten\n• andra punkten."
    assert "nyhetsbrev" not in full_text(doc)


def test_pdf_text_format_uses_the_pdf_cleaning(tmp_path: Path) -> None:
    path = tmp_path / "rapport.txt"
    path.write_text(
        "Inledning \n\nDet här är en rapport om det kommu-\n\nnala arbetet. \n\n \n\n"
        "Ekonomiskt bistånd 6 \n\nMer text på nästa sida. \n\nEkonomiskt bistånd 7 \n",
        encoding="utf-8",
    )
    doc = load(path, title="Rapport", format="pdf-text")
    assert [(b.section, b.page, b.text) for b in doc.blocks] == [
        (("Inledning",), 6, "Det här är en rapport om det kommunala arbetet."),
        (("Inledning",), 7, "Mer text på nästa sida."),
    ]


# --- checks and errors -----------------------------------------------------------------------


def test_binary_data_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "binar.txt"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UnreadableDocumentError, match="binär"):
        load(path)


def test_control_characters_without_nul_are_binary_too(tmp_path: Path) -> None:
    path = tmp_path / "kontroll.txt"
    path.write_bytes(b"\x01\x02\x03\x04\x05abc\x06\x07\x08\x0e\x0f" * 50)
    with pytest.raises(UnreadableDocumentError, match="binär"):
        load(path)


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file_of_every_type(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"tom{suffix}"
    path.write_bytes(b"")
    with pytest.raises(UnreadableDocumentError, match=f"tom{suffix}: filen är tom"):
        load(path)


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "stor.txt"
    path.write_text("Text om bistånd. " * 1000, encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="större än gränsen"):
        load(path, max_bytes=1000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="finns inte"):
        load(tmp_path / "saknas.txt")


@pytest.mark.parametrize("name, fmt", [("rutin.rtf", None), ("rutin.txt", "odt")])
def test_unsupported_type_or_format(tmp_path: Path, name: str, fmt: str | None) -> None:
    path = tmp_path / name
    path.write_text("Text.", encoding="utf-8")
    with pytest.raises(UnsupportedFileError, match="stöds inte"):
        load(path, format=fmt)


def test_text_that_is_only_boilerplate_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "tomt.txt"
    path.write_text("Faktagranskad av: Socialstyrelsen Senast granskad:\n\n\n", encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="ingen text"):
        load(path)


def test_content_hash_covers_bytes_and_chunk_metadata(tmp_path: Path) -> None:
    path = tmp_path / "rutin.txt"
    path.write_text("Rubrik\n\nEn mening om bistånd.\n", encoding="utf-8")
    meta = meta_for("rutin.txt", title="Rutin")
    doc = load_document(path, meta, MB)
    raw = path.read_bytes()
    assert doc.content_hash == content_hash(raw, meta) == content_hash(raw, replace(meta))
    assert content_hash(raw, replace(meta, title="Annan titel")) != doc.content_hash
    assert content_hash(raw, replace(meta, year=2020)) != doc.content_hash
    assert content_hash(raw + b" ", meta) != doc.content_hash


# --- metadata people write, and the work budget (issue 12, items 1-3) ---------------------------


def test_front_matter_with_an_alias_bomb_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = hostile_files.yaml_alias_bomb_md(tmp_path)
    assert path.stat().st_size < 1000
    with pytest.raises(UnreadableDocumentError, match="YAML-alias") as info:
        load(path)
    assert str(info.value).startswith("aliasbomb.md: front matter")
    assert info.value.path == "aliasbomb.md"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-30", "valid_from: datumet 2024-02-30 finns inte"),
        ("2024-13-01", "valid_from: datumet 2024-13-01 finns inte"),
        ("snart", "valid_from: 'snart' är inget datum"),
        ("[2024, 2]", "valid_from: '[2024, 2]' är inget datum"),
    ],
)
def test_front_matter_valid_from_must_be_a_real_date(
    tmp_path: Path, value: str, expected: str
) -> None:
    path = tmp_path / "rutin.md"
    path.write_text(f"---\ntitle: Rutin\nvalid_from: {value}\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(UnreadableDocumentError) as info:
        load(path)
    assert str(info.value).startswith("rutin.md: front matter, fältet valid_from")
    assert expected.split(": ", 1)[1] in str(info.value)


def test_the_impossible_date_of_the_hostile_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="datumet 2024-02-30 finns inte"):
        load(hostile_files.impossible_date_md(tmp_path))


def test_impossible_dates_elsewhere_in_front_matter_are_never_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "tid.md"
    path.write_text("---\npublicerad: 2024-02-28 25:00:00\n---\n\nText.\n", encoding="utf-8")
    doc = load(path)  # a field we do not read: kept as text, harmless
    assert full_text(doc) == "Text."
    path.write_text("---\nx: {a: 2024-02-30}\n---\n\nText.\n", encoding="utf-8")
    assert full_text(load(path)) == "Text."
    path.write_text("---\n2024-02-30: en nyckel\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="tid.md: front matter .*datum"):
        load(path)


def test_front_matter_fields_and_titles_become_one_bounded_line(tmp_path: Path) -> None:
    path = tmp_path / "lang.md"
    path.write_text(
        f'---\npublisher: "Kommun\\n{"x" * 5000}"\nmunicipality: Malmö\n---\n\n'
        f"# {'Rubrik ' * 2000}\n\nText.\n",
        encoding="utf-8",
    )
    doc = load(path)
    assert len(doc.meta.publisher) <= MAX_FIELD_CHARS and "\n" not in doc.meta.publisher
    assert len(doc.meta.title) <= MAX_FIELD_CHARS  # the title, from the long first heading
    assert doc.meta.municipality == "Malmö"


def test_a_heading_too_long_for_a_section_name_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "rubrik.md"
    path.write_text(f"# Rutin\n\n## {'Lång rubrik ' * 100}\n\nText.\n", encoding="utf-8")
    doc = load(path)
    assert all(len(part) <= 300 for block in doc.blocks for part in block.section)
    assert "Lång rubrik Lång rubrik" in full_text(doc)


def test_raw_bytes_are_parsed_instead_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rutin.txt"
    path.write_text("Rubrik\n\nFilens text.\n", encoding="utf-8")
    doc = load_document(path, meta_for("rutin.txt"), MB, raw=b"Rubrik\n\nDe hashade bytena.\n")
    assert full_text(doc) == "De hashade bytena."


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_refuses_by_time_and_by_characters_in_swedish() -> None:
    clock = FakeClock()
    budget = Budget("rutin.pdf", seconds=120, max_chars=5_000_000, clock=clock)
    budget.spend(4_000_000)
    clock.now = 119.0
    budget.check()
    clock.now = 121.0
    with pytest.raises(UnreadableDocumentError) as info:
        budget.check()
    assert str(info.value).startswith("rutin.pdf: dokumentet tog längre tid än 120 s att läsa")
    assert "Dela upp" in str(info.value) and info.value.path == "rutin.pdf"
    with pytest.raises(UnreadableDocumentError, match="gav mer än 5 000 000 tecken text"):
        Budget("rutin.pdf", clock=clock).spend(5_000_001)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".docx", ".pdf"])
def test_every_loader_spends_the_character_budget(tmp_path: Path, suffix: str) -> None:
    body = [("Rubrik", ["Handläggaren dokumenterar beslutet i journalen."] * 20)]
    path = tmp_path / f"rutin{suffix}"
    if suffix == ".pdf":
        path.write_bytes(make_pdf(body))
    elif suffix == ".docx":
        import docx

        document = docx.Document()
        for line in body[0][1]:
            document.add_paragraph(line)
        document.save(str(path))
    else:
        text = "\n\n".join(body[0][1])
        path.write_text(f"<p>{text}</p>" if suffix == ".html" else text, encoding="utf-8")
    load_document(path, meta_for(path.name), MB, budget=Budget(path.name, max_chars=10_000))
    with pytest.raises(UnreadableDocumentError, match=f"rutin{suffix}: .*mer än 100 tecken"):
        load_document(path, meta_for(path.name), MB, budget=Budget(path.name, max_chars=100))


def test_a_docx_whose_xml_inflates_past_the_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(docx_loader, "MAX_XML_BYTES", 2 * MB)
    path = hostile_files.docx_bomb(tmp_path, xml_bytes=3 * MB)
    assert path.stat().st_size < 100_000
    with pytest.raises(UnreadableDocumentError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith("bomb.docx: Word-filen kan inte läsas")
    assert "word/document.xml packas upp till 3 MB" in message and "zip-bomb" in message
    small = hostile_files.docx_bomb(tmp_path, xml_bytes=MB // 4, name="liten.docx")
    assert "Handläggaren dokumenterar" in full_text(load(small))  # the generator is a real docx


def test_a_pdf_with_more_pages_than_the_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pdf_loader, "MAX_PAGES", 2)
    path = tmp_path / "lang.pdf"
    path.write_bytes(make_pdf())
    with pytest.raises(UnreadableDocumentError, match="lang.pdf: PDF-filen har 3 sidor, fler än"):
        load(path)


def test_html_nested_deeper_than_python_recursion_loads(tmp_path: Path) -> None:
    for make in (
        hostile_files.deep_html,
        hostile_files.deep_list_html,
        hostile_files.deep_table_html,
    ):
        doc = load(make(tmp_path, 5000))
        assert "Handläggaren dokumenterar beslutet i journalen." in full_text(doc)


def test_html_line_breaks_outside_paragraphs_still_separate_words(tmp_path: Path) -> None:
    path = tmp_path / "br.html"
    path.write_text(
        "<div>Första raden.<br>Andra<br/>raden.</div>"
        "<table><tr><td>A<table><tr><td>inre</td></tr></table></td><td>B</td></tr></table>"
        "<ul><li>ett<ul><li>två</li></ul> tre</li></ul>",
        encoding="utf-8",
    )
    assert full_text(load(path)) == "Första raden. Andra raden.\nA | B\ninre\n• ett tre\n• två"
