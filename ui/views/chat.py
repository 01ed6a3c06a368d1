"""Chat: ask in Swedish, get an answer quoted from the sources, rate it."""

from __future__ import annotations

import streamlit as st

from assistant.privacy import mask_personal_data
from assistant.types import Answer
from ui import render, resources

EXAMPLES = (
    "Vad gäller vid sekretess?",
    "Vad innebär anmälningsskyldigheten?",
    "Vad är lex Sarah?",
    "Varför är introduktionen för nya handläggare viktig?",
)

USER_AVATAR = ":material/person:"
BOT_AVATAR = ":material/menu_book:"

state = st.session_state
state.setdefault("answers", [])  # list[Answer], the masked questions are answer.question
state.setdefault("conversation", 0)  # part of widget keys, so a new chat starts clean
state.setdefault("feedback_sent", set())


def new_conversation() -> None:
    state.answers = []
    state.conversation += 1
    state.pop("pending_question", None)


def ask_example(question: str) -> None:
    state.pending_question = question


def save_feedback(answer: Answer, key: str) -> None:
    rating = state.get(f"{key}-rating")
    if rating is None:
        state[f"{key}-missing"] = True
        return
    with render.page_errors():
        resources.feedback_store().add_answer(
            answer, 1 if rating == 1 else -1, state.get(f"{key}-comment") or ""
        )
        state.feedback_sent.add(key)


def feedback_form(answer: Answer, key: str) -> None:
    if key in state.feedback_sent:
        st.caption(":material/check: Tack för din återkoppling!")
        return
    with st.form(key, border=False, enter_to_submit=False):
        left, middle, right = st.columns([1.2, 5, 2], vertical_alignment="center")
        with left:
            st.feedback("thumbs", key=f"{key}-rating")
        with middle:
            st.text_input(
                "Kommentar (valfritt)",
                key=f"{key}-comment",
                placeholder="Kommentar (valfritt) – skriv inga personuppgifter",
                label_visibility="collapsed",
            )
        with right:
            st.form_submit_button(
                "Skicka omdöme", key=f"{key}-send", on_click=save_feedback, args=(answer, key)
            )
    if state.pop(f"{key}-missing", False):
        st.caption(":orange[Välj tumme upp eller tumme ned först.]")


st.title("Kunskapsguide-assistenten")
note, new_chat = st.columns([4, 1.5], vertical_alignment="center")
note.caption(render.DISCLAIMER)
new_chat.button(
    "Ny konversation", icon=":material/add_comment:", on_click=new_conversation, width="stretch"
)

assistant = None
with render.page_errors():
    assistant = resources.assistant()
if assistant is None:
    st.stop()

# Read first: the input is pinned to the bottom wherever it is called, and knowing the
# question now keeps the examples from showing above its answer.
question = st.chat_input("Skriv din fråga om ekonomiskt bistånd …", max_chars=1000)
question = question or state.pop("pending_question", None)

for i, past in enumerate(state.answers):
    key = f"c{state.conversation}-{i}"
    with st.chat_message("user", avatar=USER_AVATAR):
        st.markdown(render.plain(past.question))
    with st.chat_message("assistant", avatar=BOT_AVATAR):
        render.answer_body(past, key, assistant.retriever.section_text)
        feedback_form(past, f"{key}-fb")

if not state.answers and not question:
    st.markdown("**Prova till exempel:**")
    columns = st.columns(2)
    for n, example in enumerate(EXAMPLES):
        columns[n % 2].button(
            example, key=f"example-{n}", on_click=ask_example, args=(example,), width="stretch"
        )

if question:
    with st.chat_message("user", avatar=USER_AVATAR):
        st.markdown(render.plain(mask_personal_data(question).text))
    with st.chat_message("assistant", avatar=BOT_AVATAR):
        box = st.empty()
        streamed: list[str] = []

        def show_token(token: str) -> None:
            streamed.append(token)
            box.markdown(render.answer_markdown("".join(streamed)) + " ▌")

        answer = None
        with render.page_errors(), st.spinner("Söker i källorna …"):
            history = [a.question for a in state.answers]
            answer = assistant.ask(question, history=history, on_token=show_token)
        box.empty()
        if answer is not None:
            key = f"c{state.conversation}-{len(state.answers)}"
            state.answers.append(answer)
            render.answer_body(answer, key, assistant.retriever.section_text)
            feedback_form(answer, f"{key}-fb")
