"""Citation markers: one grammar to find, format, strip, split and renumber (issue 11, item 10)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import markers
from core.markers import Segment, cited_numbers, format_marker, split, strip

NUMBERS = st.lists(st.integers(1, 999), min_size=1, max_size=6, unique=True)
# Text that holds no marker: no square brackets.
PROSE = st.text(st.characters(blacklist_characters="[]", codec="utf-8"), max_size=40)


@pytest.mark.parametrize(
    ("written", "numbers"),
    [
        ("[1]", [1]),
        ("[1, 2]", [1, 2]),
        ("[1,2]", [1, 2]),
        ("[ 3 ]", [3]),
        ("[1; 2]", [1, 2]),
        ("[1 och 2]", [1, 2]),
        ("[1-3]", [1, 2, 3]),
        ("[2–4]", [2, 3, 4]),
        ("[1-40]", [1, 40]),  # not a range anyone means: the two ends
        ("[Källa 1]", [1]),
        ("[källorna 1 och 2]", [1, 2]),
        ("[KÄLLA 2]", [2]),
        ("[source 5]", [5]),
        ("[2, 2, 1]", [2, 1]),
    ],
)
def test_every_form_a_model_writes_is_read(written: str, numbers: list[int]) -> None:
    assert cited_numbers(f"Sekretess gäller {written}.") == numbers


@pytest.mark.parametrize("text", ["[a]", "[x1]", "[]", "4 kap. 1 § SoL", "[1000]", "(1)"])
def test_what_is_not_a_marker(text: str) -> None:
    assert markers.find(text) == []


@given(NUMBERS, PROSE, PROSE)
def test_formatting_and_finding_round_trip(numbers: list[int], before: str, after: str) -> None:
    text = before + format_marker(numbers) + after
    [found] = markers.find(text)
    assert list(found.numbers) == numbers
    assert text[found.start : found.end] == format_marker(numbers)
    assert markers.replace(text, lambda ns: list(ns)) == text


@given(st.lists(st.tuples(PROSE, NUMBERS), max_size=5))
def test_stripping_leaves_no_marker_and_keeps_the_words(parts: list[tuple[str, list[int]]]) -> None:
    text = " ".join(f"{prose} {format_marker(ns)}" for prose, ns in parts)
    stripped = strip(text)
    assert markers.find(stripped) == []
    words = re.findall(r"\w+", " ".join(prose for prose, _ in parts))
    assert re.findall(r"\w+", stripped) == words


def test_format_writes_the_one_canonical_form() -> None:
    assert format_marker([3]) == "[3]"
    assert format_marker([1, 2, 1]) == "[1, 2]"
    assert format_marker([]) == ""


def test_replace_renumbers_and_drops_a_marker_left_empty() -> None:
    text = "A [Källa 3]. B [1-2]. C [9]."
    renumbered = markers.replace(text, lambda ns: [{3: 1, 1: 2, 2: 3}[n] for n in ns if n != 9])
    assert renumbered == "A [1]. B [2, 3]. C ."


def test_strip_leaves_no_space_before_punctuation() -> None:
    assert strip("Sekretess gäller [1]. Samtycke krävs [2, 3] ; alltid.") == (
        "Sekretess gäller. Samtycke krävs; alltid."
    )


def test_split_gives_each_sentence_the_markers_that_close_it() -> None:
    text = "Försörjningsstöd är en del [1]. Nämnden ansvarar [Källa 2] [3-4]. Utan källa."
    assert split(text) == [
        Segment("Försörjningsstöd är en del.", (1,)),
        Segment("Nämnden ansvarar.", (2, 3, 4)),
        Segment("Utan källa.", ()),
    ]
    assert split("Sekretess gäller. [1]\n\nSamtycke krävs. [2]") == [
        Segment("Sekretess gäller.", (1,)),
        Segment("Samtycke krävs.", (2,)),
    ]
    assert split("") == []
