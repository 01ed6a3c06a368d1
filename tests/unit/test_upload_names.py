"""`safe_filename`: an uploaded file's name can neither escape the upload folder nor confuse a
file system or a person reading it, and keeps its (supported) type."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.errors import DocumentError, UnsupportedFileError
from ingest.manifest import SUPPORTED_SUFFIXES
from ingest.upload import safe_filename


def assert_safe(name: str) -> None:
    assert name and "/" not in name and "\\" not in name
    assert not any(unicodedata.category(ch)[0] == "C" for ch in name)  # control, format
    assert unicodedata.normalize("NFC", name) == name
    assert not name.startswith(".")  # not hidden, not "." or ".."
    assert any(name.endswith(suffix) for suffix in SUPPORTED_SUFFIXES)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("Rutin för samtycke.md", "Rutin-för-samtycke.md"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\x.txt", "x.txt"),
        ("C:\\Users\\Åsa\\Dokument\\Riktlinje 2024.docx", "Riktlinje-2024.docx"),
        ("/absolut/sökväg/Överklagande.pdf", "Överklagande.pdf"),
        ("rutin\u202efdp.md", "rutinfdp.md"),  # right-to-left override removed
        ("på\u200bverkan\ufeff.md", "påverkan.md"),  # zero-width space, BOM
        ("pa\u030averkan.md", "påverkan.md"),  # NFD becomes NFC
        ("Ha\u0308lsa och o\u0308versyn.html", "Hälsa-och-översyn.html"),
        ("🎉 Fest 🎉.md", "Fest.md"),
        ("RAPPORT.PDF", "RAPPORT.pdf"),
        ("tab\there\nnewline.txt", "tabherenewline.txt"),
        ("sida.htm", "sida.htm"),
        (".md", "dokument.md"),
        ("..md", "dokument.md"),
        ("🎉.txt", "dokument.txt"),
        ("---___....md", "dokument.md"),
    ],
)
def test_safe_filename(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected
    assert_safe(expected)


def test_a_very_long_name_is_cut_but_keeps_its_suffix() -> None:
    name = safe_filename("Riktlinje för ekonomiskt bistånd " * 20 + ".docx")
    assert name.endswith(".docx") and len(name) <= 80 + len(".docx")
    assert name.startswith("Riktlinje-för-ekonomiskt-bistånd-")
    assert_safe(name)


@pytest.mark.parametrize("cut_at", [" ", ".", "_"])
def test_a_cut_stem_does_not_end_in_a_separator(cut_at: str) -> None:
    name = safe_filename("x" * 79 + cut_at + "yyyy.md")
    assert name == "x" * 79 + ".md"


@pytest.mark.parametrize(
    ("given_name", "shown"),
    [
        ("rutin", "'saknas'"),
        ("rutin.exe", "'.exe'"),
        ("rutin.md.exe", "'.exe'"),
        ("rapport.pdf ", "'.pdf '"),
        ("mapp/rutin.md/", "'saknas'"),
        ("", "'saknas'"),
        ("bild.PNG", "'.png'"),
    ],
)
def test_an_unsupported_or_missing_suffix_is_refused_in_swedish(
    given_name: str, shown: str
) -> None:
    with pytest.raises(UnsupportedFileError) as info:
        safe_filename(given_name)
    message = str(info.value)
    assert message.startswith(f"Filtypen {shown}") and "stöds inte" in message
    assert f"'{given_name}'" in message  # names the user's file as given
    assert all(suffix in message for suffix in SUPPORTED_SUFFIXES)  # says what to do instead
    assert info.value.path == given_name
    assert isinstance(info.value, DocumentError)


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_every_supported_suffix_is_kept(suffix: str) -> None:
    assert safe_filename("Ärende" + suffix.upper()) == "Ärende" + suffix


@given(st.text(max_size=200))
@example("\u202e")
@example("../" * 40)
@example("a\u0308" * 100)
@example("\x00\x1f\x7f")
def test_any_text_with_a_supported_suffix_gives_a_safe_name(text: str) -> None:
    name = safe_filename(text + ".md")
    assert_safe(name)
    assert name.endswith(".md") and len(name) <= 83


@given(st.text(max_size=200))  # long enough to be cut
def test_a_safe_name_is_left_as_it_is(text: str) -> None:
    name = safe_filename(text + ".pdf")
    assert safe_filename(name) == name


@given(
    st.text(st.characters(exclude_characters="/\\"), max_size=60),
    st.sampled_from(SUPPORTED_SUFFIXES),
)
def test_a_safe_name_keeps_åäö(text: str, suffix: str) -> None:
    name = safe_filename(f"Åtgärd för {text} ärende i Örebro{suffix}")
    assert name.startswith("Åtgärd-för") and name.endswith(suffix)
    assert_safe(name)
