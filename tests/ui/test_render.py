"""The pure rendering helpers: quotes marked in their passage, text that markdown leaves alone."""

from __future__ import annotations

import re

import pytest

from assistant.extractive import QUOTE_SEPARATOR
from ui.render import answer_markdown, highlighted_html, plain

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
