"""Swedish normalisation: folding, tokens, terms, stop words, compounds."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.settings import ROOT
from core.textnorm import (
    Vocabulary,
    analyze,
    compound_parts,
    content_terms,
    fold,
    is_stop_word,
    term,
    tokenize,
    word_terms,
)

SMALL_CORPUS = [
    "Sekretessen kan brytas när en lag tillåter det.",
    "Rätten till stöd för den egna försörjningen prövas av socialnämnden.",
    "Försörjning, stöd och sekretess. Socialt arbete kräver erfarenhet.",
    "En sekreterare och en handläggare arbetar med skydd för barn.",
    "Uppgifterna lämnas för att hindra brott och brytande av regler.",
]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Socialtjänstlagen", "socialtjanstlagen"),
        ("ÅÄÖ åäö", "aao aao"),
        ("Café résumé", "cafe resume"),
        (unicodedata.normalize("NFD", "Bistånd"), "bistand"),  # decomposed, as from some PDFs
        ("SoL", "sol"),
        ("", ""),
        ("Hej 👋 2001:453", "hej 👋 2001:453"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("SoL:s 4 kap. 1 §, t.ex. bl.a.", ["SoL", "4", "kap", "1", "§", "t.ex", "bl.a"]),
        (
            "Socialtjänstlagen (2001:453), SOSFS 2013:1",
            ["Socialtjänstlagen", "2001:453", "SOSFS", "2013:1"],
        ),
        (
            "LSS-insatser och individ- och familjeomsorg",
            ["LSS", "insatser", "och", "individ", "och", "familjeomsorg"],
        ),
        ("IVO:s tillsyn; SIP:en", ["IVO", "tillsyn", "SIP"]),
        ("slut.Nästa stycke", ["slut", "Nästa", "stycke"]),  # a PDF artifact, not an abbreviation
        ("1,5 procent", ["1,5", "procent"]),
        ("", []),
        ("🙂 — …", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    "forms",
    [
        ["sekretess", "sekretessen", "sekretesen", "Sekretess"],  # incl. the common misspelling
        ["socialtjänstlagen", "socialtjanstlagen", "Socialtjänstlagen"],
        ["bistånd", "biståndet"],
        ["samtycke", "samtycket", "samtycker"],
        ["handläggare", "handläggaren", "handlaggare"],
        ["försörjning", "forsorjning", "försörjningen"],
        ["beslut", "beslutet", "besluten"],
    ],
)
def test_forms_share_a_term(forms: list[str]) -> None:
    assert len({term(f) for f in forms}) == 1, {f: term(f) for f in forms}


def test_unaccented_query_meets_accented_word() -> None:
    # Stemming "bistandet" without the å gives another stem; the folded alternate meets it.
    assert set(word_terms("bistandet")) & set(word_terms("biståndet"))
    assert content_terms("nar far man bryta sekretesen") == content_terms(
        "när får man bryta sekretessen"
    )


def test_stop_words_respect_diacritics() -> None:
    assert is_stop_word("är") and is_stop_word("ar")  # typed without ä it is still "är"
    assert not is_stop_word("år")  # year: a content word
    assert is_stop_word("Och") and is_stop_word("t.ex")
    assert content_terms("nar far man bryta sekretesen") == {term("bryta"), term("sekretess")}


def test_content_terms_leave_out_noise() -> None:
    assert content_terms("4 kap. 1 § SoL") == {term("kap"), term("SoL")}
    assert term("2001:453") in content_terms("lagen (2001:453)")
    assert content_terms("") == set()


@pytest.fixture(scope="module")
def small_vocabulary() -> Vocabulary:
    return Vocabulary.from_texts(SMALL_CORPUS)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("sekretessbrytande", ["sekretess", "brytande"]),  # only "sekretessen" occurs alone
        ("försörjningsstöd", ["försörjning", "stöd"]),  # linking s dropped
        ("forsorjningsstod", ["forsorjning", "stod"]),  # typed without åäö
        ("Försörjningsstödet", ["försörjning", "stödet"]),
        ("sekretesskydd", ["sekretess", "skydd"]),  # the shared s of a reduced triple
        ("barnskydd", ["barn", "skydd"]),
    ],
)
def test_compound_parts(small_vocabulary: Vocabulary, word: str, parts: list[str]) -> None:
    assert compound_parts(word, small_vocabulary) == parts


@pytest.mark.parametrize(
    "word", ["handläggare", "sekretess", "stöd", "arbete", "", "SoL", "2001:453", "å"]
)
def test_words_that_are_not_compounds(small_vocabulary: Vocabulary, word: str) -> None:
    assert compound_parts(word, small_vocabulary) == []


@pytest.fixture(scope="module")
def corpus_vocabulary() -> Vocabulary:
    paths = sorted((ROOT / "corpus").rglob("*.txt")) + sorted((ROOT / "corpus").rglob("*.md"))
    # Words broken at line ends joined again, as ingest's cleaning does before indexing.
    texts = [re.sub(r"(\w)-\n\s*(\w)", r"\1\2", p.read_text(encoding="utf-8")) for p in paths]
    return Vocabulary.from_texts(texts)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("sekretessbrytande", ["sekretess", "brytande"]),
        ("försörjningsstöd", ["försörjning", "stöd"]),
        ("socialsekreterare", ["social", "sekreterare"]),
        ("biståndshandläggare", ["bistånd", "handläggare"]),
        ("arbetssituation", ["arbet", "situation"]),
        ("utvecklingsarbetet", ["utveckling", "arbetet"]),  # not "utveckling" + "sarbetet"
        ("handläggare", []),  # not "handläg" + "gare"
        ("utredning", []),  # not "utred" + "ning"
    ],
)
def test_compound_parts_on_the_real_corpus(
    corpus_vocabulary: Vocabulary, word: str, parts: list[str]
) -> None:
    assert compound_parts(word, corpus_vocabulary) == parts


def test_analyze_adds_compound_parts(small_vocabulary: Vocabulary) -> None:
    terms = analyze("Försörjningsstöd", small_vocabulary)
    assert terms[0] == term("försörjningsstöd")
    assert {term("försörjning"), term("stöd")} <= set(terms)
    assert analyze("Försörjningsstöd") == [term("försörjningsstöd")]  # no vocabulary, no split


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöéABCÅÄÖ §.:-0123456789\n", max_size=80))
def test_analysis_never_fails_and_terms_are_folded(text: str) -> None:
    for t in analyze(text, Vocabulary.from_texts(SMALL_CORPUS)):
        assert t and t == fold(t)


@given(
    st.lists(
        st.sampled_from(["sekretess", "är", "stöd", "SoL", "4", "§", "år", "t.ex."]), max_size=12
    )
)
def test_content_terms_of_a_join_are_the_union(words: list[str]) -> None:
    half = len(words) // 2
    left, right = " ".join(words[:half]), " ".join(words[half:])
    assert content_terms(f"{left} {right}") == content_terms(left) | content_terms(right)
