"""Follow-up questions become standalone; standalone questions stay as they are."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.followup import (
    MAX_WORDS,
    is_followup,
    prior_sections,
    rewrite_followup,
    salient_words,
)
from assistant.types import Answer, Citation, Turn
from tests import parts

SEKRETESS = "vad gäller vid sekretess?"


def test_the_example() -> None:
    assert rewrite_followup("och om klienten inte samtycker?", [SEKRETESS]) == (
        "sekretess: och om klienten inte samtycker?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "och om klienten inte samtycker?",
        "Men om det är brådskande?",
        "om det är brådskande?",
        "Vad händer om hen vägrar?",
        "Gäller det även LSS?",
        "Även för barn?",
        "Hur är det med muntligt samtycke?",
        "Vad innebär det?",
        "Hur dokumenterar man det?",
        "Varför?",
        "Och LSS?",
        "Hur då?",
        "OCH OM KLIENTEN INTE SAMTYCKER",
    ],
)
def test_followups_take_the_topic(question: str) -> None:
    assert is_followup(question)
    rewritten = rewrite_followup(
        question, ["Vad gäller för introduktion av nya handläggare?", SEKRETESS]
    )
    assert rewritten == f"sekretess: {question}"


@pytest.mark.parametrize(
    "question",
    [
        "Vad är riksnormen?",
        "Vad är SoL?",
        "Vad gäller för samtycke till uppgiftslämnande?",
        "Om en klient har skulder hos Kronofogden, kan hen få ekonomiskt bistånd?",
        "Hur lång är yrkesintroduktionen för nya socialsekreterare?",
        "Vem utövar tillsyn över socialtjänsten?",
    ],
)
def test_standalone_questions_are_unchanged(question: str) -> None:
    assert not is_followup(question)
    assert rewrite_followup(question, [SEKRETESS]) == question


def test_no_history_no_change() -> None:
    assert (
        rewrite_followup("och om klienten inte samtycker?", []) == "och om klienten inte samtycker?"
    )


def test_a_chain_of_followups_keeps_the_first_topic() -> None:
    history = [SEKRETESS, "och om klienten inte samtycker?"]
    rewritten = rewrite_followup("men om det är brådskande?", history)
    assert rewritten.endswith(": men om det är brådskande?")
    assert rewritten.split(":")[0].split() == ["sekretess", "klienten", "samtycker"]


def test_words_the_followup_already_has_are_not_repeated() -> None:
    rewritten = rewrite_followup("och samtycke då?", ["Hur fungerar samtycke vid sekretess?"])
    assert rewritten == "sekretess: och samtycke då?"


def test_a_long_previous_question_gives_a_short_topic() -> None:
    previous = (
        "Hur lång är yrkesintroduktionen för nya socialsekreterare och biståndshandläggare i "
        "Stockholms stad enligt handlingsplanen för förbättrad arbetssituation, och vilka "
        "moment ingår i mentorskapet under det första året?"
    )
    rewritten = rewrite_followup("och sedan?", [previous])
    topic = rewritten.split(":")[0].split()
    assert len(topic) <= 6
    assert "yrkesintroduktionen" in topic and "handlingsplanen" in topic
    assert "nya" not in topic  # short words give way to long ones


def test_salient_words() -> None:
    assert salient_words("Vad gäller vid sekretess för SoL och 4 kap. 1 §?") == [
        "sekretess",
        "SoL",
        "kap",
    ]
    assert salient_words("Sekretessen och sekretess") == ["Sekretessen"]  # each term once
    assert salient_words("") == []


def test_a_question_without_anything_salient_in_history() -> None:
    assert rewrite_followup("och sedan?", ["Hur gör man då?"]) == "och sedan?"


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ?,", max_size=400),
    st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ?", max_size=400), max_size=30),
)
def test_rewrites_stay_short_and_end_with_the_question(question: str, history: list[str]) -> None:
    rewritten = rewrite_followup(question, history)
    assert rewritten == question or rewritten.endswith(question.strip())
    if rewritten != question:
        assert len(rewritten.split()) <= MAX_WORDS
        assert rewritten.split(":")[0].count(" ") < 6


# --- Swedish anaphora and ellipsis ----------------------------------------------------------

SAMTYCKE = "Vad måste stå i ett samtycke till uppgiftslämnande?"


@pytest.mark.parametrize(
    "question",
    [
        "och när får man bryta den?",  # "den", after an opening "och"
        "gäller det oss också?",  # "det"
        "hur många dagar är det?",  # a pronoun ending the question
        "hur ofta ses den över?",  # … but for a particle
        "vad gör man med dem?",  # "dem"
        "vilket av dem gäller först?",  # "dem" mid-question
        "vem beslutar där?",  # "där"
        "gäller samma regler för sådana?",  # "sådana"
        "hur dokumenterar man sådant i journalen?",  # "sådant"
        "gäller dessa regler även vid LSS?",  # "dessa"
        "och vid akut nöd?",  # elliptic "och X?"
        "hur länge då?",  # elliptic "… då?"
        "räcker det för ett helt år?",
        "stämmer det även för ensamstående?",
        "vad mer behöver handläggaren tänka på?",
        "uppgiftslämnandet du nämnde, hur går det till?",  # refers to the previous answer
    ],
)
def test_swedish_anaphora_and_ellipsis_are_followups(question: str) -> None:
    assert is_followup(question)
    rewritten = rewrite_followup(question, [SAMTYCKE])
    assert rewritten.endswith(question) and "samtycke" in rewritten.split(":")[0]


@pytest.mark.parametrize(
    "question",
    [
        "Finns det något stöd för nya handläggare?",  # "det" as a dummy subject
        "Är det tillåtet att lämna ut uppgifter till polisen?",
        "Vem ska man kontakta om det brinner?",  # a pronoun near the end, not ending it
        "Kan man få bistånd för tandvård om man inte har råd med det?",  # its own topic
        "Vad gäller för de som har skulder hos Kronofogden och vill flytta?",  # "de som …"
        "Vilka krav ställs på dem som ansöker om ekonomiskt bistånd?",  # "dem som …"
    ],
)
def test_pronouns_that_do_not_refer_back(question: str) -> None:
    assert not is_followup(question)
    assert rewrite_followup(question, [SAMTYCKE]) == question


# --- the sections the previous answer cited ------------------------------------------------

SECTION = ("rutin-samtycke", ("Samtycke", "Giltighet"))
OTHER = ("uppdrag-och-ansvar", ("Ansvar",))


def test_a_followup_favours_what_the_previous_answer_cited() -> None:
    history = [Turn("vad gäller vid sekretess?", (OTHER,)), Turn(SAMTYCKE, (SECTION, OTHER))]
    assert prior_sections("hur länge gäller det?", history) == (SECTION, OTHER)


def test_a_standalone_question_or_a_refusal_favours_nothing() -> None:
    history = [Turn(SAMTYCKE, (SECTION,))]
    assert prior_sections("Vem utövar tillsyn över socialtjänsten?", history) == ()
    assert prior_sections("hur länge gäller det?", []) == ()
    refused = [Turn(SAMTYCKE, (SECTION,)), Turn("vad kostar en flygbiljett?", ())]
    assert prior_sections("och tåget då?", refused) == ()


def test_an_answer_gives_the_turn_the_next_question_is_read_against() -> None:
    def cite(n: int, doc_id: str, section: tuple[str, ...]) -> Citation:
        p = parts.passage(
            chunk_id=f"c{n}", doc_id=doc_id, source=f"{doc_id}.md", title="T", publisher="",
            year=2021, kind="lokal_rutin", municipality=None, section=section, page_start=None,
            page_end=None, position=n, text="Text.",
        )  # fmt: skip
        return Citation(n=n, passage=p, quote="Text.")

    answer = Answer(
        question=SAMTYCKE, standalone_question=SAMTYCKE, answer="Svar [1] [2] [3].",
        refused=False, citations=(cite(1, *SECTION), cite(2, *OTHER), cite(3, *SECTION)),
        retrieved=(), mode="extractive",
    )  # fmt: skip
    assert answer.turn == Turn(SAMTYCKE, (SECTION, OTHER))  # each section once, in order
    assert replace(answer, citations=(), refused=True).turn == Turn(SAMTYCKE, ())
