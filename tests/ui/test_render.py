"""The pure rendering helpers: quotes marked in their passage, text that markdown leaves alone."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from assistant.extractive import QUOTE_SEPARATOR
from tests import parts
from ui.render import answer_markdown, highlighted_html, plain, source_heading

PASSAGE = (
    "Inom socialtjänsten gäller sekretess. Exempel på tillfällen då sekretessen kan brytas är:\n"
    " • om den enskilde lämnar sitt samtycke\n"
    "Det betyder att  huvudregeln är att sekretess gäller."
)


def marked(html: str) -> list[str]:
    return re.findall(r"<mark[^>]*>(.*?)</mark>", html, re.S)


def test_a_quote_of_separate_sentences_is_marked_sentence_by_sentence() -> None:
    quote = (
        "Inom socialtjänsten gäller sekretess. Det betyder att huvudregeln är att sekretess gäller."
    )
    assert marked(highlighted_html(PASSAGE, quote)) == [
        "Inom socialtjänsten gäller sekretess.",
        "Det betyder att  huvudregeln är att sekretess gäller.",  # whitespace as in the source
    ]


def test_sentences_quoted_apart_are_all_marked() -> None:
    """compose() joins sentences of one passage with QUOTE_SEPARATOR; each is marked."""
    quote = QUOTE_SEPARATOR.join(
        [
            "Inom socialtjänsten gäller sekretess.",
            "Det betyder att huvudregeln är att sekretess gäller.",
        ]
    )
    assert len(marked(highlighted_html(PASSAGE, quote))) == 2


def test_a_contiguous_quote_is_marked_once_across_line_breaks() -> None:
    quote = "brytas är: • om den enskilde lämnar sitt samtycke"
    assert len(marked(highlighted_html(PASSAGE, quote))) == 1


@pytest.mark.parametrize("quote", ["", "Finns inte i texten.", "   "])
def test_no_match_marks_nothing_and_keeps_the_text(quote: str) -> None:
    html = highlighted_html(PASSAGE, quote)
    assert "<mark" not in html
    assert "samtycke" in html


def test_source_text_cannot_inject_html() -> None:
    html = highlighted_html('<script>alert("x")</script> Text med åäö 🙂.', "Text med åäö 🙂.")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert marked(html) == ["Text med åäö 🙂."]


@pytest.mark.parametrize(
    "text",
    ["Kostnaden är $5 och $6", "*inte kursiv*", "# ingen rubrik", "[länk](http://x)", ":red[färg]"],
)
def test_plain_escapes_markdown(text: str) -> None:
    escaped = plain(text)
    assert escaped != text
    assert escaped.replace("\\", "") == text


def test_answer_markers_are_bold_and_line_breaks_kept() -> None:
    out = answer_markdown("Sekretess gäller [1] och samtycke [1, 2]:\n• punkt")
    assert "**[1]**" in out and "**[1, 2]**" in out
    assert "  \n" in out


# --- where a source comes from (issue 11, item 9) ------------------------------------------


def test_a_local_routine_heading_names_its_municipality_and_an_example_is_badged() -> None:
    routine = parts.passage(
        title="Rutin för samtycke", kind="lokal_rutin", municipality="Exempelkommunen",
        example=True, year=2024, text="Samtycke ska dokumenteras.",
    )  # fmt: skip
    heading = source_heading(routine, 1)
    assert "Exempelkommunen" in heading and ":gray-badge[Exempel]" in heading
    guidance = parts.passage(title="Uppdrag", kind="nationell_vagledning", year=2021, text="Text.")
    assert "Exempel" not in source_heading(guidance) and ":blue-badge[" in source_heading(guidance)


def _detail(url: str | None, valid_from: str | None) -> None:
    from tests import parts
    from ui.render import source_detail

    p = parts.passage(text="Samtycke ska dokumenteras.", url=url, valid_from=valid_from)
    source_detail(p, "", "k", lambda _p: "")


@pytest.mark.parametrize(
    ("url", "linked"), [("https://www.socialstyrelsen.se/x", True), ("javascript:alert(1)", False)]
)
def test_the_original_is_linked_only_where_it_is_a_web_address(url: str, linked: bool) -> None:
    at = AppTest.from_function(_detail, args=(url, "2024-05-01")).run()
    assert not at.exception
    links = [m.value for m in at.markdown if "Öppna originalet" in m.value]
    assert links == ([f"[:material/open_in_new: Öppna originalet]({url})"] if linked else [])
    assert any("gäller från 2024-05-01" in c.value for c in at.caption)
