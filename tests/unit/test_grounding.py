"""The grounding check on hand-made Swedish cases, including the two failures seen from the
local 1.5B model: JO named where the text says IVO, and an invented name."""

from __future__ import annotations

import pytest

from assistant.grounding import (
    SUPPORT_THRESHOLD,
    check_grounding,
    is_refusal,
    parse_citations,
    support_score,
)
from assistant.prompt import REFUSAL_PHRASE
from tests.unit.test_prompt import make_passage

TILLSYN = (
    "Inspektionen för vård och omsorg, IVO, utövar tillsyn över socialtjänsten. "
    "Justitieombudsmannen, JO, utövar tillsyn över myndigheter och även över socialtjänsten."
)
IVO_ONLY = "Inspektionen för vård och omsorg, IVO, utövar tillsyn över socialtjänsten."
LEX_SARAH = (
    "Den som är anställd inom socialtjänsten är skyldig att genast rapportera "
    "missförhållanden. Rapporten lämnas till den som bedriver verksamheten."
)
BESLUT = "Ett beslut om ekonomiskt bistånd kan överklagas inom tre veckor, enligt 16 kap. 3 § SoL."


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IVO utövar tillsyn [1].", [("IVO utövar tillsyn.", [1])]),
        ("IVO utövar tillsyn. [1]", [("IVO utövar tillsyn.", [1])]),
        ("IVO utövar tillsyn.[1] JO också.[2]", [("IVO utövar tillsyn.", [1]), ("JO också.", [2])]),
        ("Båda utövar tillsyn [1, 2].", [("Båda utövar tillsyn.", [1, 2])]),
        ("Båda utövar tillsyn [1][2].", [("Båda utövar tillsyn.", [1, 2])]),
        ("Båda utövar tillsyn [1,2] [2].", [("Båda utövar tillsyn.", [1, 2])]),
        ("Se 4 kap. 1 § SoL [Källa 3].", [("Se 4 kap. 1 § SoL.", [3])]),
        (
            "Det gäller t.ex. bl.a. barn [2]. Beslut fattas [1].",
            [("Det gäller t.ex. bl.a. barn.", [2]), ("Beslut fattas.", [1])],
        ),
        ("Utan källa. Med källa [1].", [("Utan källa.", []), ("Med källa.", [1])]),
        (
            "[1] IVO utövar tillsyn.\n[2] Socialnämnden består av politiker.",
            [("IVO utövar tillsyn.", [1]), ("Socialnämnden består av politiker.", [2])],
        ),
        (
            "**IVO** utövar tillsyn [1].\n- JO granskar [2].",
            [("IVO utövar tillsyn.", [1]), ("JO granskar.", [2])],
        ),
        ("Detta gäller [1-3].", [("Detta gäller.", [1, 2, 3])]),
        ("", []),
    ],
)
def test_parse_citations(text: str, expected: list[tuple[str, list[int]]]) -> None:
    assert parse_citations(text) == expected


def test_refusal_phrase_is_recognised_loosely() -> None:
    assert is_refusal(REFUSAL_PHRASE)
    assert is_refusal("källorna täcker inte detta")
    assert is_refusal("Källorna täcker inte detta. [1]")
    assert not is_refusal("Källorna täcker detta.")


# --- support score -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "passage", "supported"),
    [
        ("IVO utövar tillsyn över socialtjänsten.", TILLSYN, True),
        ("Tillsynen över socialtjänsten utövas av IVO.", TILLSYN, True),  # inflected
        ("JO utövar tillsyn över socialtjänsten.", TILLSYN, True),
        # the model's failure: JO named where the passage says IVO
        ("JO utövar tillsyn över socialtjänsten.", IVO_ONLY, False),
        ("Justitieombudsmannen utövar tillsyn över socialtjänsten.", IVO_ONLY, False),
        # invented people and actors
        ("Rapporten enligt lex Sarah lämnas till Anna Svensson.", LEX_SARAH, False),
        ("Missförhållanden ska genast rapporteras till Socialstyrelsen.", LEX_SARAH, False),
        ("Socialnämnden utövar tillsyn över socialtjänsten.", IVO_ONLY, False),
        ("Den anställde ska genast rapportera missförhållanden.", LEX_SARAH, True),
        # numbers must be the passage's numbers
        ("Beslutet kan överklagas inom tre veckor enligt 16 kap. 3 § SoL.", BESLUT, True),
        ("Beslutet kan överklagas enligt 16 kap. 4 § SoL.", BESLUT, False),
        # mostly unrelated content words
        ("Handläggaren ska alltid göra hembesök hos familjen.", LEX_SARAH, False),
    ],
)
def test_support_score(sentence: str, passage: str, supported: bool) -> None:
    assert (support_score(sentence, passage) >= SUPPORT_THRESHOLD) is supported


def test_support_score_values() -> None:
    assert support_score("IVO utövar tillsyn över socialtjänsten.", TILLSYN) == 1.0
    assert support_score("JO utövar tillsyn.", IVO_ONLY) == 0.0  # a missing name is fatal
    assert support_score("Det är så.", IVO_ONLY) == 1.0  # no content words, no claim
    # 2 of 3 content words: "utövar" and "tillsyn" found, "skolan" not
    assert support_score("Skolan utövar tillsyn.", IVO_ONLY) == pytest.approx(2 / 3)


def test_words_match_by_inflection_not_by_shared_first_part() -> None:
    assert support_score("socialtjänst", "socialtjänsten") == 1.0
    assert support_score("beslutet", "beslut") == 1.0
    assert support_score("socialsekreterare", "socialtjänsten") == 0.0
    assert support_score("Mycket jobb.", "Hon talade med JO.") == 0.0  # "jo" ≠ "jobb"


def test_diacritics_and_case_do_not_matter() -> None:
    assert support_score("BISTÅND prövas", "bistand provas") == 1.0


# --- the whole check -----------------------------------------------------------------------


def test_supported_sentences_are_kept_and_the_rest_flagged() -> None:
    passages = {1: make_passage(IVO_ONLY), 2: make_passage(LEX_SARAH)}
    text = (
        "IVO utövar tillsyn över socialtjänsten [1]. "
        "JO utövar också tillsyn över socialtjänsten [1]. "
        "Anställda ska genast rapportera missförhållanden [2]. "
        "Rapporten lämnas till Anna Svensson [2]. "
        "Det här är bra att veta. "
        "Beslut kan överklagas [7]."
    )
    result = check_grounding(text, passages)
    assert result.kept == (
        "IVO utövar tillsyn över socialtjänsten.",
        "Anställda ska genast rapportera missförhållanden.",
    )
    assert result.flagged == (
        "JO utövar också tillsyn över socialtjänsten.",  # wrong actor
        "Rapporten lämnas till Anna Svensson.",  # invented name
        "Det här är bra att veta.",  # no citation
        "Beslut kan överklagas.",  # cites a source that does not exist
    )
    assert result.cited_numbers == (1, 2)
    assert result.text == (
        "IVO utövar tillsyn över socialtjänsten. [1] "
        "Anställda ska genast rapportera missförhållanden. [2]"
    )
    assert not result.refused


def test_citations_are_narrowed_to_the_passages_that_support_the_sentence() -> None:
    passages = {1: make_passage(LEX_SARAH), 2: make_passage(IVO_ONLY), 3: make_passage(BESLUT)}
    result = check_grounding("IVO utövar tillsyn över socialtjänsten [1][2][3][4].", passages)
    assert result.text == "IVO utövar tillsyn över socialtjänsten. [2]"
    assert result.cited_numbers == (2,)


def test_a_sentence_may_join_facts_from_two_cited_passages() -> None:
    passages = {1: make_passage(IVO_ONLY), 2: make_passage(LEX_SARAH)}
    sentence = "IVO utövar tillsyn och anställda ska rapportera missförhållanden [1, 2]."
    result = check_grounding(sentence, passages)
    assert result.kept and result.cited_numbers == (1, 2)


def test_title_and_section_count_as_evidence_but_not_the_publisher() -> None:
    passages = {
        1: make_passage(
            "Handläggaren ska dokumentera samtal.",
            title="Handbok för Socialstyrelsen",
            section=("Dokumentation", "Samtal"),
            publisher="Inspektionen för vård och omsorg",
        )
    }
    assert check_grounding("Enligt Socialstyrelsen ska samtal dokumenteras [1].", passages).kept
    assert not check_grounding("Enligt Inspektionen ska samtal dokumenteras [1].", passages).kept


def test_threshold_is_explicit() -> None:
    passages = {1: make_passage(IVO_ONLY)}
    text = "Skolan utövar tillsyn [1]."  # score 2/3
    assert check_grounding(text, passages, threshold=0.6).kept
    assert not check_grounding(text, passages, threshold=0.7).kept


def test_refusal_is_detected() -> None:
    result = check_grounding(REFUSAL_PHRASE, {1: make_passage(IVO_ONLY)})
    assert result.refused and not result.kept and not result.flagged and result.text == ""


def test_refusal_plus_a_supported_sentence_is_an_answer() -> None:
    text = f"{REFUSAL_PHRASE} IVO utövar tillsyn över socialtjänsten [1]."
    result = check_grounding(text, {1: make_passage(IVO_ONLY)})
    assert not result.refused and len(result.kept) == 1


def test_nothing_grounded_leaves_empty_text() -> None:
    result = check_grounding("Busskortet kostar 970 kronor [1].", {1: make_passage(IVO_ONLY)})
    assert result.kept == () and result.text == "" and not result.refused
    assert result.flagged == ("Busskortet kostar 970 kronor.",)
