"""Hypothesis fuzzing of every loader and of the PDF cleaning and structure functions.

A loader may refuse a file only with one of the product's own errors (which carry a message
for people); anything else escaping it would crash an ingest or the coordinator's upload.
Inputs are valid files of each type, then mutated (bytes flipped, cut, spliced), plus
structured nonsense the parsers accept (odd Word XML, odd front matter, tag soup).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.documents import DocumentMeta
from core.errors import KunskapsguideError
from ingest.clean import clean_pdf_pages, clean_pdf_text, normalize_unicode
from ingest.loaders import SUPPORTED_SUFFIXES, load_document
from ingest.structure import pdf_blocks, web_blocks
from tests.unit.test_loaders import make_docx, make_pdf

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MB = 1024 * 1024


def pieces(alphabet: list[str], max_size: int) -> st.SearchStrategy[str]:
    """Text made of characters and longer pieces (headers, footers, hyphenations)."""
    return st.lists(st.sampled_from(alphabet), max_size=max_size).map("".join)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def load_bytes(folder: Path, raw: bytes, suffix: str, fmt: str | None = None) -> None:
    """Load `raw` as a file with `suffix`: it loads, or it raises one of our errors."""
    path = folder / f"fuzz{suffix}"
    path.write_bytes(raw)
    meta = DocumentMeta(doc_id=path.name, source=path.name, title="", format=fmt)
    try:
        doc = load_document(path, meta, max_bytes=4 * MB)
    except KunskapsguideError as exc:
        assert str(exc)  # a message for people, never empty
        return
    assert doc.blocks and all(b.text.strip() for b in doc.blocks)


# --- valid seeds of each type ------------------------------------------------------------------


@cache
def seed_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        docx = make_docx(Path(tmp) / "seed.docx").read_bytes()
    return {
        ".pdf": make_pdf(),
        ".docx": docx,
        ".md": "---\ntitle: Rutin\nyear: 2024\n---\n\n# Rutin\n\n## Ansökan\n\n- punkt ett\n"
        "- punkt två\n\nText om bistånd, t.ex. enligt SoL.\n".encode(),
        ".txt": "Rätt till bistånd\n\nSocialnämnden prövar rätten till bistånd.\n\n"
        " • första\n • andra\n".encode("cp1252"),
        ".html": "<html><head><title>Sida | Kunskapsguiden</title></head><body><main><h1>Titel"
        "</h1><p>Text om bistånd.</p><ul><li>ett</li></ul><table><tr><td>a</td><td>b</td></tr>"
        "</table></main></body></html>".encode(),
        ".htm": b"<p>Kort sida om \xe5\xe4\xf6.</p>",
    }


@st.composite
def mutated(draw: st.DrawFn, suffix: str) -> bytes:
    """A valid file of the type, with some bytes overwritten, cut off or spliced in."""
    data = bytearray(seed_files()[suffix])
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "splice", "chunk"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 2048))]
        elif kind == "splice":
            data[at:at] = draw(st.binary(max_size=64))
        elif kind == "chunk":
            n = draw(st.integers(1, 256))
            data[at : at + n] = bytes(min(n, len(data) - at))
    return bytes(data)


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_every_loader_survives_mutated_files(folder: Path, suffix: str) -> None:
    @FUZZ
    @given(raw=mutated(suffix))
    def run(raw: bytes) -> None:
        load_bytes(folder, raw, suffix)

    run()


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_every_loader_survives_arbitrary_bytes(folder: Path, suffix: str) -> None:
    headers = {".pdf": b"%PDF-1.7\n", ".docx": b"PK\x03\x04"}

    @settings(FUZZ, max_examples=100)
    @given(raw=st.binary(max_size=4096), tail=st.booleans())
    def run(raw: bytes, tail: bool) -> None:
        data = headers.get(suffix, b"") + raw + (b"\n%%EOF\n" if tail else b"")
        load_bytes(folder, data, suffix)

    run()


def test_pdf_text_format_survives_arbitrary_text(folder: Path) -> None:
    @FUZZ
    @given(text=pieces(list("ab åÄ.-•\n\f\t12(S)") + ["Sida 3 (9)"], 300))
    def run(text: str) -> None:
        load_bytes(folder, text.encode(), ".txt", fmt="pdf-text")

    run()


# --- structured nonsense the parsers accept ----------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STYLES = ["Heading1", "Heading9", "Rubrik2", "Title", "ListBullet", "Liststycke", "Okänd", ""]


@st.composite
def word_body(draw: st.DrawFn) -> str:
    """Word XML that parses: paragraphs with odd styles and numbering, (nested) tables."""
    words = st.text(alphabet=st.sampled_from(list("abcåäö •-1.)\t ")), max_size=40)

    def paragraph() -> str:
        style = draw(st.sampled_from(_STYLES))
        ppr = f'<w:pStyle w:val="{style}"/>' if style else ""
        if draw(st.booleans()):
            ppr += '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="7"/></w:numPr>'
        text = draw(words).replace("&", "").replace("<", "")
        return f'<w:p><w:pPr>{ppr}</w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'

    def table(depth: int) -> str:
        rows = []
        for _ in range(draw(st.integers(0, 3))):
            cells = []
            for _ in range(draw(st.integers(0, 3))):
                merge = draw(st.sampled_from(["", '<w:tcPr><w:vMerge/></w:tcPr>',
                                              '<w:tcPr><w:gridSpan w:val="2"/></w:tcPr>']))  # fmt: skip
                inner = table(depth + 1) if depth < 1 and draw(st.booleans()) else ""
                cells.append(f"<w:tc>{merge}{paragraph()}{inner}</w:tc>")
            rows.append(f"<w:tr>{''.join(cells)}</w:tr>")
        return f"<w:tbl>{''.join(rows)}</w:tbl>"

    items = [
        paragraph() if draw(st.booleans()) else table(0) for _ in range(draw(st.integers(0, 8)))
    ]
    return "".join(items)


def _docx_with_body(body: str) -> bytes:
    seed = seed_files()[".docx"]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seed)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = (
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
                ).encode()
            dst.writestr(info, data)
    return out.getvalue()


def test_docx_loader_survives_odd_word_xml(folder: Path) -> None:
    @FUZZ
    @given(body=word_body())
    def run(body: str) -> None:
        load_bytes(folder, _docx_with_body(body), ".docx")

    run()


_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=20) | st.dates(min_value=dt.date(1, 1, 1)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip
_FRONT_KEYS = ["title", "kind", "year", "valid_from", "municipality", "url", "example", "publisher"]


def test_markdown_loader_survives_odd_front_matter(folder: Path) -> None:
    @FUZZ
    @given(
        front=st.dictionaries(st.sampled_from(_FRONT_KEYS), _YAML_VALUES, max_size=6),
        body=st.text(alphabet=st.sampled_from(list("#-*>|` aå\n1.")), max_size=200),
    )
    def run(front: dict[str, object], body: str) -> None:
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\n" + body + "\nText."
        load_bytes(folder, text.encode(), ".md")

    run()


_TAGS = ["<p>", "</p>", "<h1>", "</h2>", "<li>", "<ul>", "<table><tr><td>", "</td>", "<br>",
         "<main>", "<nav>", "<script>", "<!--", "-->", "<![CDATA[", "&amp;", "&#0;", "&#xD800;",
         "<meta charset='utf-16'>", "<div class='cookie'>", "</div>", "<h3>", "<pre>"]  # fmt: skip


def test_html_loader_survives_tag_soup(folder: Path) -> None:
    @FUZZ
    @given(parts=st.lists(st.sampled_from(_TAGS) | st.text(max_size=12), max_size=40))
    def run(parts: list[str]) -> None:
        load_bytes(folder, "".join(parts).encode("utf-8", "surrogatepass"), ".html")

    run()


# --- the cleaning and structure functions ------------------------------------------------------

_PDF_PIECES = (
    list("abcÅÄÖåäö ABC.,:;-–•()\"”\n\n\f\t\u00ad\u200b\uf0b7123") + [
        "Sida 2 (7)", "Ekonomiskt bistånd 4", "1 Inledning", "2.3 ", "\n\n", "www.x.se",
        "kommu-\nnala", "året.1 Därefter",
    ]
)  # fmt: skip


@FUZZ
@given(text=pieces(_PDF_PIECES, 400), title=st.text(max_size=10))
def test_pdf_cleaning_and_structure_never_raise(text: str, title: str) -> None:
    lines = clean_pdf_text(text)
    assert all(isinstance(t, str) and "\n" not in t for _, t in lines)
    blocks = pdf_blocks(lines, title)
    assert all(b.text.strip() for b in blocks)


@FUZZ
@given(
    pages=st.lists(
        st.tuples(st.none() | st.integers(1, 999), pieces(_PDF_PIECES, 200)),
        max_size=6,
    )
)
def test_pdf_page_cleaning_never_raises(pages: list[tuple[int | None, str]]) -> None:
    pdf_blocks(clean_pdf_pages(pages), "")


@FUZZ
@given(lines=st.lists(pieces(_PDF_PIECES, 60), max_size=30), title=st.text(max_size=10))
def test_web_structure_never_raises(lines: list[str], title: str) -> None:
    blocks = web_blocks([normalize_unicode(line) for line in lines], title)
    assert all(b.text.strip() for b in blocks)


def test_docx_merge_python_docx_cannot_follow_keeps_its_text(folder: Path) -> None:
    """Found by the fuzzer: a vertical merge that starts in a table's top row (Word opens
    such files) made python-docx raise ValueError out of the loader."""
    cell = "<w:tc>{}<w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>"
    body = (
        "<w:tbl><w:tr>"
        + cell.format("<w:tcPr><w:vMerge/></w:tcPr>", "Nybesök")
        + cell.format("", "Två veckor")
        + "</w:tr></w:tbl>"
    )
    path = folder / "sammanfogad.docx"
    path.write_bytes(_docx_with_body(body))
    doc = load_document(path, DocumentMeta(doc_id="d", source=path.name, title="Rutin"), MB)
    assert [b.text for b in doc.blocks] == ["Nybesök | Två veckor"]
