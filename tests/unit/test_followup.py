"""Follow-up questions become standalone; standalone questions stay as they are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.followup import MAX_WORDS, is_followup, rewrite_followup, salient_words

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
