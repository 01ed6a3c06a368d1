"""The chat page with AppTest, over the real assistant and a real index of the seed corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.feedback import FeedbackStore, feedback_path
from core.settings import Settings
from tests.conftest import MODELS_DIR, make_settings
from tests.ui.conftest import APP, TIMEOUT, app_environment
from ui.render import DISCLAIMER, PendingQuestion

PNR = "19850612-1234"


@pytest.fixture(scope="module", autouse=True)
def app_settings(seed_settings: Settings, seed_index, password_hash: str) -> Iterator[Settings]:
    with app_environment(seed_settings, password_hash):
        yield seed_settings


@pytest.fixture()
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    return app


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_empty_chat_shows_title_note_and_examples(at: AppTest) -> None:
    assert at.title[0].value == "Kunskapsguide-assistenten"
    assert any(DISCLAIMER in c.value for c in at.caption)
    examples = [b.label for b in at.button if (b.key or "").startswith("example-")]
    assert "Vad gäller vid sekretess?" in examples
    assert at.chat_input[0].placeholder.startswith("Skriv din fråga")
    assert not at.error


def test_question_gets_an_answer_with_numbered_sources(at: AppTest) -> None:
    ask(at, "Vad gäller vid sekretess?")
    user, bot = at.chat_message
    assert (user.name, bot.name) == ("user", "assistant")
    answer = bot.markdown[0].value
    assert "**[1]**" in answer and "sekretess" in answer.lower()
    labels = [e.label for e in bot.expander]
    assert labels and labels[0].startswith("**[1]**")
    assert "Offentlighet och sekretess" in labels[0]
    assert "2021" in labels[0] and "Nationell vägledning" in labels[0]
    context = bot.expander[0].get("html")[0].value
    assert "<mark" in context  # the quote is highlighted inside its passage


def test_read_the_whole_section(at: AppTest) -> None:
    ask(at, "Vad gäller vid sekretess?")
    source = at.chat_message[1].expander[0]
    before = len(source.get("html"))
    source.toggle[0].set_value(True).run()
    source = at.chat_message[1].expander[0]
    assert source.toggle[0].label == "Läs hela avsnittet"
    htmls = source.get("html")
    assert len(htmls) == before + 1
    assert len(htmls[-1].value) >= len(htmls[0].value)


def test_example_question_runs_when_clicked(at: AppTest) -> None:
    at.button(key="example-0").click().run()
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert "sekretess" in at.chat_message[0].markdown[0].value.lower()
    assert not [b for b in at.button if (b.key or "").startswith("example-")]


@pytest.mark.parametrize(
    "question", ["Hur mycket är riksnormen för 2026?", "Vad kostar en flygbiljett till Tokyo?"]
)
def test_refusal_says_so_and_offers_nearest_sections(at: AppTest, question: str) -> None:
    ask(at, question)
    bot = at.chat_message[1]
    assert "Källorna täcker inte" in bot.info[0].value
    assert any("Närmaste avsnitt" in m.value for m in bot.markdown)
    assert bot.expander  # the nearest sections, each readable


def test_personal_data_is_masked_and_explained(at: AppTest) -> None:
    ask(at, f"Min klient {PNR} undrar vad som gäller vid sekretess?")
    user, bot = at.chat_message
    assert PNR not in user.markdown[0].value
    assert bot.warning and "sekretess" in bot.warning[0].value.lower()
    assert all(PNR not in str(a.question) for a in at.session_state["answers"])


def test_follow_up_uses_the_history_and_new_conversation_clears_it(at: AppTest) -> None:
    ask(at, "Vad gäller vid sekretess?")
    ask(at, "När kan den brytas?")
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 2
    read_as = [c.value for c in at.chat_message[3].caption if c.value.startswith("Tolkad som:")]
    assert len(read_as) == 1 and "sekretess" in read_as[0].lower()  # what was searched
    assert not [c for c in at.chat_message[1].caption if c.value.startswith("Tolkad som:")]
    at.button[0].click().run()  # "Ny konversation", the first button on the page
    assert at.button[0].label == "Ny konversation"
    assert not at.chat_message
    assert [b for b in at.button if (b.key or "").startswith("example-")]


def read_as(at: AppTest, message: int) -> list[str]:
    return [c.value for c in at.chat_message[message].caption if c.value.startswith("Tolkad som:")]


def test_a_follow_up_is_read_with_the_previous_answer_and_a_new_question_as_asked(
    at: AppTest,
) -> None:
    ask(at, "Vad gäller vid sekretess?")
    ask(at, "Och när får man bryta den?")
    ask(at, "Vem utövar tillsyn över socialtjänsten?")
    first, follow, standalone = at.session_state["answers"]
    assert len(read_as(at, 3)) == 1 and "sekretess" in read_as(at, 3)[0].lower()
    # the follow-up was searched with the sections the first answer cited in favour
    assert first.turn.cited and follow.prior_sections == first.turn.cited
    assert not read_as(at, 5)  # a question that stands on its own is searched as typed
    assert standalone.standalone_question == standalone.question
    assert standalone.prior_sections == ()


def test_feedback_is_stored_masked(at: AppTest, app_settings: Settings) -> None:
    store = FeedbackStore(feedback_path(app_settings))
    before = store.count()
    ask(at, "Vad gäller vid sekretess?")
    key = "c0-0-fb"
    at.button(key=f"{key}-send").click().run()  # no thumb chosen yet
    assert store.count() == before
    assert any("tumme" in c.value for c in at.caption)
    at.feedback(key=f"{key}-rating").set_value(0)  # thumbs down
    at.text_input(key=f"{key}-comment").input(f"Saknar svar om {PNR}")
    at.button(key=f"{key}-send").click().run()
    assert not at.exception
    assert store.count() == before + 1
    row = store.rows()[-1]
    assert row["rating"] == -1 and row["mode"] == "extractive"
    assert PNR not in row["comment"] and row["comment"].startswith("Saknar svar om")
    assert row["sources"][0]["n"] == 1 and row["sources"][0]["title"]
    assert any("Tack" in c.value for c in at.caption)


def test_a_question_sent_during_an_answer_is_answered_after_it(at: AppTest, seed_assistant) -> None:
    """The state a newer question finds: the run answering the first one was stopped, its
    answer is being made on, and the new question comes in by the input's callback."""
    first = PendingQuestion("Vad gäller vid sekretess?")
    first.start(seed_assistant, [])
    at.session_state["queue"] = [first]
    ask(at, "När kan den brytas?")
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 2
    questions = [at.chat_message[i].markdown[0].value for i in (0, 2)]
    assert questions == ["Vad gäller vid sekretess?", "När kan den brytas?"]
    answers = at.session_state["answers"]
    assert answers[0] is first.answer()  # taken over, not made again
    # read with the first question as its history
    assert "sekretess" in (answers[1].standalone_question or "").lower()
    assert "sekretess" in at.chat_message[1].markdown[0].value.lower()
    assert not at.session_state["queue"]
    assert not [c for c in at.caption if "Väntar på svar" in c.value]


def test_a_failed_question_does_not_hold_up_the_next(at: AppTest, tmp_path: Path, embedder) -> None:
    from assistant.service import build_assistant

    empty = build_assistant(make_settings(tmp_path, models_dir=MODELS_DIR), embedder=embedder)
    failed = PendingQuestion("Vad är lex Sarah?")
    failed.start(empty, [])
    at.session_state["queue"] = [failed]
    ask(at, "Vad gäller vid sekretess?")
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 2
    assert "Indexet är tomt" in at.chat_message[1].error[0].value  # in place of its answer
    assert "sekretess" in at.chat_message[3].markdown[0].value.lower()
    assert [a.question for a in at.session_state["answers"]] == ["Vad gäller vid sekretess?"]
