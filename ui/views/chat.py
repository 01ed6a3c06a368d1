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

WAITING = "Väntar på svar – frågan besvaras när svaret ovanför är klart."

state = st.session_state
state.setdefault("answers", [])  # list[Answer], the masked questions are answer.question
state.setdefault("queue", [])  # list[render.PendingQuestion], sent and not yet answered
state.setdefault("conversation", 0)  # part of widget keys, so a new chat starts clean
state.setdefault("feedback_sent", set())


def new_conversation() -> None:
    state.answers = []
    state.queue = []  # an answer under way is dropped with it
    state.conversation += 1


def send(question: str | None) -> None:
    """Queue a question from the input or an example. A widget callback runs before the page
    script, so the question is queued before anything slow; a later question, which stops the
    run answering this one, finds it still there."""
    if question and question.strip():
        state.queue.append(render.PendingQuestion(question))


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

# The input is pinned to the bottom wherever it is called; what it sends goes to the queue.
st.chat_input(
    "Skriv din fråga om ekonomiskt bistånd …",
    key="chat_question",
    max_chars=1000,
    on_submit=lambda: send(state.get("chat_question")),
)
# Reading session state is where Streamlit may stop a run for a newer one, so the lists are
# taken once and changed in place below: an answer moves from the queue to the history at once.
answers: list[Answer] = state.answers
queue: list[render.PendingQuestion] = state.queue
conversation: int = state.conversation

for i, past in enumerate(answers):
    key = f"c{conversation}-{i}"
    with st.chat_message("user", avatar=USER_AVATAR):
        st.markdown(render.plain(past.question))
    with st.chat_message("assistant", avatar=BOT_AVATAR):
        render.answer_body(past, key, assistant.retriever.section_text)
        feedback_form(past, f"{key}-fb")

if not answers and not queue:
    st.markdown("**Prova till exempel:**")
    columns = st.columns(2)
    for n, example in enumerate(EXAMPLES):
        columns[n % 2].button(
            example, key=f"example-{n}", on_click=send, args=(example,), width="stretch"
        )

# Every question sent is on the page at once, in order; those behind the first say they wait.
slots = []
for n, pending in enumerate(queue):
    with st.chat_message("user", avatar=USER_AVATAR):
        st.markdown(render.plain(mask_personal_data(pending.question).text))
    with st.chat_message("assistant", avatar=BOT_AVATAR):
        slots.append(st.empty())
        if n:
            slots[-1].caption(f":material/schedule: {WAITING}")

for slot in slots:
    pending = queue[0]
    pending.start(assistant, [a.turn for a in answers])
    with slot.container():
        answer = None
        with render.page_errors():
            answer = render.stream_answer(pending)
        key = f"c{conversation}-{len(answers)}"
        queue.pop(0)  # a failed question goes too: its error is shown in its place
        if answer is not None:
            answers.append(answer)
            render.answer_body(answer, key, assistant.retriever.section_text)
            feedback_form(answer, f"{key}-fb")
