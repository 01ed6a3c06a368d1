"""Small rendering helpers shared by the pages: answers with their sources, error boxes, and
the chat's questions waiting for their answers."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager

import streamlit as st

from assistant.citations import kind_label
from assistant.extractive import QUOTE_SEPARATOR
from assistant.service import Assistant
from assistant.types import Answer, Passage, Turn
from core.errors import KunskapsguideError
from core.sentences import split_sentences
from core.settings import Settings
from ingest.pipeline import IngestReport, ingest

log = logging.getLogger(__name__)

OLD_SOURCE_YEARS = 5  # a source this many years old gets a reminder to check it
DISCLAIMER = (
    "Svaren bygger bara på källorna som listas under varje svar. Kontrollera alltid mot lagen "
    "och era lokala riktlinjer innan du fattar beslut – källans årtal visas, så att du ser om "
    "den kan vara inaktuell."
)
_KIND_COLOURS = {"lokal_rutin": "orange", "nationell_vagledning": "blue"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|$~])")
_MARKER = re.compile(r"\\\[(\d+(?:, \d+)*)\\\]")
MARK = '<mark style="background:#FFE9A8;padding:0 2px;border-radius:3px">'
PASSAGE_STYLE = "white-space:pre-wrap;line-height:1.55;font-size:0.95rem;color:#1F2933"
POLL_SECONDS = 0.2  # how often a page waiting for an answer looks at it (and can be rerun)


@contextmanager
def page_errors() -> Iterator[None]:
    """The page edge: the product's errors in Swedish as they are, anything else generic."""
    try:
        yield
    except KunskapsguideError as exc:
        st.error(str(exc), icon=":material/error:")
    except Exception:
        log.exception("unexpected error in the app")
        st.error(
            "Något gick fel. Försök igen om en stund; om felet kvarstår, kontakta den som "
            "förvaltar Kunskapsguide-assistenten.",
            icon=":material/error:",
        )


def plain(text: str) -> str:
    """Text safe to show with st.markdown: no markup, line breaks kept."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def answer_markdown(text: str) -> str:
    """The answer text with its [n] markers in bold, so they are easy to match to sources."""
    return _MARKER.sub(lambda m: f"**[{m.group(1)}]**", plain(text))


def kind_badge(kind: str) -> str:
    return f":{_KIND_COLOURS.get(kind, 'gray')}-badge[{kind_label(kind)}]"


def source_heading(p: Passage, n: int | None = None) -> str:
    """'[1] Titel › Avsnitt · s. 7 · 2021 · Nationell vägledning' as expander label markdown."""
    parts = [plain(p.title) + (f" › {plain(p.section_path)}" if p.section else "")]
    if p.page_label:
        parts.append(f"s. {p.page_label}")
    parts.append(str(p.year) if p.year else "år saknas")
    parts.append(kind_badge(p.kind))
    number = f"**[{n}]** " if n is not None else ""
    return number + " · ".join(parts)


def _quote_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Where the quote is in `text`: as a whole, or sentence by sentence (an answer may quote
    sentences that a list separates in the source). Whitespace may differ."""
    spans: list[tuple[int, int]] = []
    pieces = quote.split(QUOTE_SEPARATOR)  # sentences of one passage quoted apart
    for part in [quote, *(s for piece in pieces for s in split_sentences(piece))]:
        words = part.split()
        if not words:
            continue
        match = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if match and not any(s <= match.start() < e for s, e in spans):
            spans.append(match.span())
        if part == quote and match:
            break
    return sorted(spans)


def highlighted_html(text: str, quote: str) -> str:
    """`text` as HTML with the quoted sentences marked."""
    body, at = [], 0
    for start, end in _quote_spans(text, quote):
        body += [html.escape(text[at:start]), MARK, html.escape(text[start:end]), "</mark>"]
        at = end
    body.append(html.escape(text[at:]))
    return f'<div style="{PASSAGE_STYLE}">{"".join(body)}</div>'


def source_detail(p: Passage, quote: str, key: str, section_text: Callable[[Passage], str]) -> None:
    """Inside a source's expander: the quote in its passage, and the whole section on request."""
    if p.year and dt.date.today().year - p.year >= OLD_SOURCE_YEARS:
        st.caption(
            f":material/history: Källan är från {p.year}. Kontrollera att det fortfarande gäller."
        )
    st.html(highlighted_html(p.text, quote))
    where = f"Fil: {p.source}" + (f", sida {p.page_label}" if p.page_label else "")
    st.caption(plain(where) + (f" · {plain(p.publisher)}" if p.publisher else ""))
    if st.toggle("Läs hela avsnittet", key=f"{key}-section"):
        whole = section_text(p)
        if whole:
            st.html(highlighted_html(whole, quote))
        else:  # the document was replaced or removed after this answer
            st.caption("Avsnittet finns inte längre i kunskapsbanken.")


def answer_body(answer: Answer, key: str, section_text: Callable[[Passage], str]) -> None:
    """An answer as the chat shows it: notice, how a follow-up was read, text, numbered
    sources (or nearest sections)."""
    if answer.privacy_notice:
        st.warning(answer.privacy_notice, icon=":material/lock:")
    if answer.standalone_question and answer.standalone_question != answer.question:
        st.caption(f"Tolkad som: {plain(answer.standalone_question)}")
    if answer.refused:
        st.info(plain(answer.answer), icon=":material/search_off:")
        if answer.nearest:
            st.markdown("**Närmaste avsnitt i källorna**")
            for i, p in enumerate(answer.nearest):
                with st.expander(source_heading(p)):
                    source_detail(p, "", f"{key}-near{i}", section_text)
        return
    st.markdown(answer_markdown(answer.answer))
    if answer.flagged:
        st.caption("Några meningar togs bort eftersom de inte gick att belägga i källorna.")
    if answer.citations:
        st.markdown("**Källor**")
    for c in answer.citations:
        with st.expander(source_heading(c.passage, c.n)):
            source_detail(c.passage, c.quote, f"{key}-src{c.n}", section_text)


class PendingQuestion:
    """A question sent in the chat and not yet answered. Its answer is made in a thread of its
    own: a newer question makes Streamlit stop the page script and run it again, and that must
    neither lose this question nor start its answer over."""

    def __init__(self, question: str) -> None:
        self.question = question
        self._tokens: list[str] = []  # the answer as streamed so far
        self._answer: Future[Answer] = Future()
        self._thread: threading.Thread | None = None

    def start(self, assistant: Assistant, history: Sequence[str | Turn]) -> None:
        """Start answering, once, after the chat's earlier exchanges: a rerun that finds the
        answer under way lets it go on."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._answer_with, args=(assistant, list(history)), daemon=True
            )
            self._thread.start()

    def _answer_with(self, assistant: Assistant, history: list[str | Turn]) -> None:
        try:
            answer = assistant.ask(self.question, history=history, on_token=self._tokens.append)
        except Exception as exc:  # raised again by answer(), in the page that shows it
            self._answer.set_exception(exc)
        else:
            self._answer.set_result(answer)

    @property
    def streamed(self) -> str:
        return "".join(self._tokens)

    def wait(self, seconds: float) -> bool:
        """True once the answer (or its error) is there."""
        try:
            self._answer.exception(timeout=seconds)
        except TimeoutError:
            return False
        return True

    def answer(self) -> Answer:
        """The answer; the error the assistant raised, if it failed. Waits for it."""
        return self._answer.result()


def stream_answer(pending: PendingQuestion) -> Answer:
    """Show the answer as it streams in, under a spinner, and return it once done. Each update
    is where Streamlit may stop this run for a newer one; the answer is made on regardless."""
    box = st.empty()
    with st.spinner("Söker i källorna …"):
        while not pending.wait(POLL_SECONDS):
            if pending.streamed:
                box.markdown(answer_markdown(pending.streamed) + " ▌")
            else:
                box.empty()
    box.empty()
    return pending.answer()


def reindex(settings: Settings, assistant: Assistant) -> IngestReport:
    """Run the incremental ingest with a progress bar; the assistant answers from it at once."""
    bar = st.progress(0.0, text="Indexerar …")

    def step(i: int, total: int, source: str) -> None:
        bar.progress((i + 1) / max(total, 1), text=f"Indexerar {source} ({i + 1} av {total})")

    retriever = assistant.retriever
    report = ingest(
        settings, retriever.store, retriever.embedder, on_document=step, lock_timeout=60
    )
    assistant.refresh()
    bar.empty()
    return report
