"""Typo correction against the corpus's own words. Pure: a few sentences stand in for the corpus."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.spelling import SpellingIndex, within_one_edit

CORPUS = [
    "Sekretess gäller inom socialtjänsten. Sekretessen kan brytas med samtycke.",
    "Muntligt samtycke ska dokumenteras. Försörjningsstöd är en del av ekonomiskt bistånd.",
    "Kompetensutveckling för handläggare. Socialtjänstlagen reglerar biståndet.",
    "Uppgifter saknas i ansökan. Det saknas underlag. Vägar till arbete.",
    "Klienten har rätt att överklaga beslutet.",
]


@pytest.fixture(scope="module")
def index() -> SpellingIndex:
    return SpellingIndex.from_texts(CORPUS)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sekretes", "sekretess"),  # a letter missing (eight letters: may be lengthened)
        ("samtyke", "samtycke"),
        ("kompetensutvekling", "kompetensutveckling"),
        ("forsorjningsstod", "försörjningsstöd"),  # åäö restored
        ("socialtjanstlagen", "socialtjänstlagen"),
        ("sekertess", "sekretess"),  # neighbours swapped
    ],
)
def test_typos_get_the_corpus_spelling(index: SpellingIndex, typed: str, expected: str) -> None:
    assert index.suggest(typed) == expected


@pytest.mark.parametrize(
    "word",
    [
        "sekretess",  # spelt as the corpus spells it
        "räknas",  # a real word one edit from "saknas": the first letter differs
        "vägrar",  # a real six-letter word one deletion from "vägar"
        "klientens",  # another inflection of a corpus word
        "far",  # too short to tell a typo from another word
        "tandvård",  # unknown to the corpus and nothing near it
    ],
)
def test_real_and_unknown_words_are_left_alone(index: SpellingIndex, word: str) -> None:
    assert index.suggest(word) is None


def test_correct_replaces_whole_words_only(index: SpellingIndex) -> None:
    assert index.correct("far man ta muntligt samtyke?") == "far man ta muntligt samtycke?"
    assert index.correct("sekretes pa soc") == "sekretess pa soc"


def test_english_questions_are_not_corrected(index: SpellingIndex) -> None:
    question = "can I accept verbal consent from a client"
    assert index.correct(question) == question


words = st.text(alphabet="abcdeåäö", min_size=0, max_size=8)


@given(words, words)
def test_one_edit_is_symmetric(a: str, b: str) -> None:
    assert within_one_edit(a, b) == within_one_edit(b, a)


@given(words, st.data())
def test_each_single_edit_is_within_one(word: str, data: st.DataObject) -> None:
    letter = data.draw(st.sampled_from("abcåäö"))
    i = data.draw(st.integers(0, len(word)))
    assert within_one_edit(word, word[:i] + letter + word[i:])  # insertion
    if word:
        j = data.draw(st.integers(0, len(word) - 1))
        assert within_one_edit(word, word[:j] + word[j + 1 :])  # deletion
        assert within_one_edit(word, word[:j] + letter + word[j + 1 :])  # substitution
    if len(word) >= 2:
        k = data.draw(st.integers(0, len(word) - 2))
        swapped = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        assert within_one_edit(word, swapped)


def test_two_edits_are_not_within_one() -> None:
    assert not within_one_edit("sekretess", "sekrtes")
    assert not within_one_edit("abc", "cba")


def test_a_shouted_word_is_the_corpus_word() -> None:
    # e5 reads "SEKRETESS" as another word than "sekretess": it was refused, the other answered.
    index = SpellingIndex.from_texts([*CORPUS, "Insatser enligt LSS ges av kommunen."])
    assert index.correct("Vad gäller om SEKRETESS?") == "Vad gäller om sekretess?"
    assert index.correct("VAD GÄLLER OM SEKRETESS") == "vad gäller om sekretess"
    assert index.correct("SEKRETES") == "sekretess"  # shouted and mistyped
    assert index.correct("Vem beslutar om LSS?") == "Vem beslutar om LSS?"  # the corpus's acronym
    assert index.correct("Vad gör IVO?") == "Vad gör IVO?"  # short: may be an acronym
    assert index.correct("What does SEKRETESS mean?") == "What does sekretess mean?"
