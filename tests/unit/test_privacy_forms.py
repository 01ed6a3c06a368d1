"""Personnummer and phone numbers are masked in every written form people type or paste: any
dash, NBSP and thin spaces, full-width digits, zero-width characters between the digits. The
text around them is kept exactly as typed."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from assistant.privacy import (
    PERSONNUMMER,
    SAMORDNINGSNUMMER,
    TELEFONNUMMER,
    mask_personal_data,
)
from tests.unit.test_privacy import GROUPINGS, check_digit

# ASCII hyphen, hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar,
# minus sign, small em dash, small hyphen-minus, full-width hyphen-minus.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# Space, NBSP, narrow NBSP, figure space, thin space, hair space, ideographic space.
SPACES = " \u00a0\u202f\u2007\u2009\u200a\u3000"
# Zero-width space, non-joiner and joiner, word joiner, BOM, soft hyphen.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
LETTERS = "abcdefghijklmnopqrstuvwxyzåäöÅÄÖéüABCSOL"

dashes = st.sampled_from(DASHES)
spaces = st.sampled_from(SPACES)
words = st.text(LETTERS, min_size=1, max_size=8)
sentences = st.lists(words, max_size=5).map(" ".join)
# How an identifier meets the text around it.
openers = st.sampled_from([" ", ": ", " (", "\n", "\u00a0", " – "])
closers = st.sampled_from([" ", ", ", ". ", ")", "?", "\n", "\u00a0", " – "])


def digits_in(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


@st.composite
def disguised(draw: st.DrawFn, plain: str) -> str:
    """`plain` with some digits (and "+") full-width and invisible characters between its
    characters."""
    out = []
    for i, ch in enumerate(plain):
        if i and draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
        wide = (ch.isdigit() or ch == "+") and draw(st.integers(0, 3)) == 0
        out.append(chr(ord(ch) + 0xFEE0) if wide else ch)  # "0" → "０", "+" → "＋"
    return "".join(out)


@st.composite
def personnummer(draw: st.DrawFn) -> tuple[str, str]:
    """A valid personnummer or samordningsnummer in a random written form, and its kind."""
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()))
    coordination = draw(st.booleans())
    day = born.day + (60 if coordination else 0)
    nine = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    ten = nine + check_digit(nine)
    century = f"{born.year // 100:02d}" if draw(st.booleans()) else ""
    date = ten[:6]
    if draw(st.booleans()):  # "85 03 12"
        date = f"{ten[:2]}{draw(spaces)}{ten[2:4]}{draw(spaces)}{ten[4:6]}"
    old = dt.date.today().year - born.year >= 100
    sign = "+" if old and not century else draw(dashes)
    separator = draw(
        st.sampled_from(["", sign, f"{draw(spaces)}{sign}{draw(spaces)}", draw(spaces)])
    )
    value = draw(disguised(century + date + separator + ten[6:]))
    return value, SAMORDNINGSNUMMER if coordination else PERSONNUMMER


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    """A Swedish phone number in a random written form."""
    area, lengths = draw(
        st.sampled_from(
            [
                ("070", [7]),
                ("073", [7]),
                ("076", [7]),
                ("08", [7, 8]),
                ("031", [6, 7]),
                ("0771", [6]),
                ("0380", [5, 6]),
            ]
        )
    )
    length = draw(st.sampled_from(lengths))
    digits = "".join(str(draw(st.integers(0, 9))) for _ in range(length))
    groups, at = [], 0
    for size in GROUPINGS[length]:
        groups.append(digits[at : at + size])
        at += size
    spaced = "".join(g + draw(spaces) for g in groups[:-1]) + groups[-1]
    style = draw(
        st.sampled_from(
            ["dash", "spaced dash", "space", "slash", "bare", "block", "dots", "parens"]
            + ["+46", "0046", "+46 (0)"]
        )
    )
    plain = {
        "dash": f"{area}{draw(dashes)}{spaced}",
        "spaced dash": f"{area} {draw(dashes)} {spaced}",
        "space": f"{area}{draw(spaces)}{spaced}",
        "slash": f"{area}/{spaced}",
        "bare": area + digits,
        "block": f"{area}{draw(spaces)}{digits}",
        "dots": ".".join([area, *groups]),
        "parens": f"({area}){draw(spaces)}{spaced}",
        "+46": f"+46{draw(spaces)}{area[1:]}{draw(spaces)}{spaced}",
        "0046": f"0046{draw(spaces)}{area[1:]}{draw(spaces)}{spaced}",
        "+46 (0)": f"+46 (0){area[1:]}{draw(dashes)}{spaced}",
    }[style]
    return draw(disguised(plain))


@given(personnummer(), sentences, openers, closers, sentences)
@example(("85 03 12-1234", PERSONNUMMER), "klient", " ", ".", "")
@example(("８５０３１２\u20131234", PERSONNUMMER), "", "", " ", "ringde")
@example(("8503\u200b12\u00a0-\u00a012\u200d34", PERSONNUMMER), "om", " (", ")", "")
def test_personnummer_in_any_form_is_masked(
    number: tuple[str, str], before: str, opener: str, closer: str, after: str
) -> None:
    value, kind = number
    head, tail = before + opener, closer + after
    result = mask_personal_data(head + value + tail)
    assert digits_in(result.text) == ""
    assert result.text == f"{head}[{kind}]{tail}"
    assert result.found == (kind,)


@given(phone_numbers(), sentences, openers, closers, sentences)
@example("070\u2011123 45 67", "ring", " ", ".", "")
@example("070.123.45.67", "", "", " ", "i morgon")
@example("(08) 123 456 78", "tel", ": ", ",", "vxl")
@example("０７０\u2212１２３\u202f４５\u202f６７", "", "", "", "")
def test_phone_number_in_any_form_is_masked(
    number: str, before: str, opener: str, closer: str, after: str
) -> None:
    head, tail = before + opener, closer + after
    result = mask_personal_data(head + number + tail)
    assert digits_in(result.text) == "", number
    # Ten bare digits that pass the Luhn check read as a personnummer; masked either way.
    kinds = (TELEFONNUMMER, PERSONNUMMER, SAMORDNINGSNUMMER)
    assert result.text in {f"{head}[{kind}]{tail}" for kind in kinds}, number


# Text in which numbers, separators and identifiers meet in every way.
messy = st.lists(
    st.one_of(
        st.sampled_from(["0", "1", "5", "7", "8", "9", "46", "+", "(", ")", "@", ".", "/", ":"]),
        dashes,
        spaces,
        st.sampled_from(INVISIBLE),
        words,
        personnummer().map(lambda number: number[0]),
        phone_numbers(),
        st.just("a.b@kommun.se"),
    ),
    max_size=12,
).map("".join)


@given(messy)
@example("070-123 45 67 20 8503121234")
def test_masking_is_idempotent(text: str) -> None:
    once = mask_personal_data(text)
    twice = mask_personal_data(once.text)
    assert twice.text == once.text
    assert twice.found == ()


@given(st.text().filter(lambda t: not digits_in(t) and "@" not in unicodedata.normalize("NFKC", t)))
def test_text_without_digits_is_unchanged(text: str) -> None:
    result = mask_personal_data(text)
    assert result.text == text
    assert result.found == ()
