"""Robust quote matching: the cleaned index text must still match quotes copied from the files."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.matching import (
    longest_common_run,
    match_tokens,
    normalize_for_match,
    quote_coverage,
    quote_in_text,
)

QUOTE_20 = (
    "Den som är anställd inom socialtjänsten är skyldig att genast rapportera vetskap om "
    "missförhållanden som rör enskilda personer i verksamheten"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ansvar för kommu-\n\nnen", "ansvar för kommunen"),  # PDF line-end hyphenation
        ("social-\r\ntjänstlagen", "socialtjänstlagen"),
        ("  Hej\t\n\n  där  ", "hej där"),
        ("Socialtjänstlagen, SoL", "socialtjänstlagen, sol"),
        ("”skälig levnadsnivå”", '"skälig levnadsnivå"'),
        ("‘citat’ och «citat»", "'citat' och \"citat\""),
        ("2013–2015 — klart", "2013-2015 - klart"),
        ("social\u00adsekreterare", "socialsekreterare"),  # soft hyphen
        ("a\u0308ldre", "äldre"),  # decomposed ä becomes NFC
        ("barn- \n\noch ungdomsvården", "barn- och ungdomsvården"),  # suspended compound kept
        ("hälso-\noch sjukvården", "hälso- och sjukvården"),
        ("\u2022 helhetssyn\n\uf0b7 närhet", "helhetssyn närhet"),  # bullets
    ],
)
def test_normalize_for_match(raw: str, expected: str) -> None:
    assert normalize_for_match(raw) == expected


def test_inword_and_line_end_hyphens_normalize_alike() -> None:
    variants = ["kommunernas FoU-enheter", "kommunernas FoU-\n\nenheter", "kommunernas FoUenheter"]
    assert len({normalize_for_match(v) for v in variants}) == 1


def test_match_tokens_drop_punctuation() -> None:
    assert match_tokens("Stöd, och (kontroll): 12 %!") == ["stöd", "och", "kontroll", "12"]


def test_exact_match_despite_whitespace_hyphenation_and_case() -> None:
    text = (
        "Arbetsgivarens skyldighet att tillhandahålla introduktion till nyanställda regleras \n\n"
        "av arbetsmiljö-\n\nlagen. Men vilken är"
    )
    quote = "arbetsgivarens skyldighet att tillhandahålla introduktion till nyanställda regleras av ARBETSMILJÖLAGEN."
    assert quote_in_text(quote, text, min_coverage=1.0)


def test_punctuation_differences_still_match_whole_quote() -> None:
    assert quote_in_text(
        "stöd, och kontroll i arbetet", "stöd och kontroll i arbetet.", min_coverage=1.0
    )


def test_chunk_boundary_straddle_matches_long_enough_part() -> None:
    words = QUOTE_20.split()
    assert len(words) == 20
    # the passage ends inside the quote: its last 13 of 20 tokens (65 %) fell in the next chunk
    first_chunk = "Lex Sarah. " + " ".join(words[:13])
    second_chunk = " ".join(words[13:]) + ". Mer text."
    assert quote_in_text(QUOTE_20, first_chunk)
    assert not quote_in_text(QUOTE_20, second_chunk)  # 7 tokens: under 60 % and under 8
    assert not quote_in_text(QUOTE_20, first_chunk, min_coverage=1.0)


def test_partial_match_needs_the_coverage_share() -> None:
    words = QUOTE_20.split()
    assert not quote_in_text(QUOTE_20, " ".join(words[:11]))  # 55 % < 60 %
    assert quote_in_text(QUOTE_20, " ".join(words[:11]), min_coverage=0.5)


def test_partial_match_needs_min_tokens_for_short_quotes() -> None:
    quote = "Ett samtycke gäller i högst tolv månader och sedan nytt"  # 10 tokens
    assert not quote_in_text(
        quote, "Ett samtycke gäller i högst tolv månader"
    )  # 7 tokens: 70 % but < 8
    assert quote_in_text(quote, "Ett samtycke gäller i högst tolv månader och", min_tokens=8)


def test_scattered_words_do_not_count_as_a_run() -> None:
    scrambled = " ".join(reversed(QUOTE_20.split()))
    assert not quote_in_text(QUOTE_20, scrambled)


def test_quote_coverage() -> None:
    assert quote_coverage("tolv månader gäller samtycket", "samtycket gäller i tolv månader") == 0.5
    assert quote_coverage("Tolv månader", "i högst tolv\n\nmånader") == 1.0
    assert quote_coverage("", "text") == 0.0
    assert quote_coverage("helt annat", "text") == 0.0


def test_empty_quote_never_matches_and_bad_coverage_is_rejected() -> None:
    assert not quote_in_text("", "text")
    assert not quote_in_text(" – ", "text - mer")
    with pytest.raises(ValueError):
        quote_in_text("a", "a", min_coverage=0)


@pytest.mark.parametrize(
    ("needle", "haystack", "expected"),
    [
        ("a b c d", "x a b y b c d", 3),
        ("a b", "b a", 1),
        ("a b", "", 0),
        ("", "a", 0),
        ("a a a", "a a", 2),
    ],
)
def test_longest_common_run(needle: str, haystack: str, expected: int) -> None:
    assert longest_common_run(needle.split(), haystack.split()) == expected


# Letters that cannot spell "och", "eller", "samt" or "till", whose line-end hyphens are
# deliberately kept; with them a hyphenated tail could legitimately stay separate.
_WORD = st.text(alphabet="abdefgkmnprsuvåäöÅÄ", min_size=2, max_size=12)


@given(words=st.lists(_WORD, min_size=3, max_size=25), data=st.data())
def test_reflowed_and_hyphenated_text_matches_its_quote(
    words: list[str], data: st.DataObject
) -> None:
    """Any hard-wrapped, PDF-style rendering of a sentence still contains the sentence."""
    quote = " ".join(words)
    rendered = []
    for word in words:
        split = data.draw(st.integers(min_value=0, max_value=len(word) - 1))
        if split:  # hyphenate the word across a blank-line break
            word = f"{word[:split]}-\n\n{word[split:]}"
        rendered.append(word)
        rendered.append(data.draw(st.sampled_from([" ", " \n\n", "\n", "  "])))
    assert quote_in_text(quote, "Före. " + "".join(rendered) + " Efter.", min_coverage=1.0)
