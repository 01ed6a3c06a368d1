"""Small rendering helpers shared by the pages: answers with their sources, error boxes, and
the chat's questions waiting for their answers."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from assistant.citations import kind_label, original_url
from assistant.extractive import QUOTE_SEPARATOR
from assistant.service import Assistant
from assistant.types import Answer, Passage, Turn
from core import markers
from core.documents import DocumentKind
from core.errors import KunskapsguideError
from core.sentences import split_sentences
from core.settings import Settings
from ingest.pipeline import IngestReport, ingest
from ui.background import Job

T = TypeVar("T")

log = logging.getLogger(__name__)

OLD_SOURCE_YEARS = 5  # a source this many years old gets a reminder to check it
DISCLAIMER = (
    "Svaren bygger bara på källorna som listas under varje svar. Kontrollera alltid mot lagen "
    "och era lokala riktlinjer innan du fattar beslut – källans årtal visas, så att du ser om "
    "den kan vara inaktuell."
)
_KIND_COLOURS = {DocumentKind.LOCAL_ROUTINE: "orange", DocumentKind.NATIONAL_GUIDANCE: "blue"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|$~])")
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
    parts, pos = [], 0
    for marker in markers.find(text):
        parts += [plain(text[pos : marker.start]), f"**{markers.format_marker(marker.numbers)}**"]
        pos = marker.end
    return "".join([*parts, plain(text[pos:])])


def kind_badge(kind: str) -> str:
    colour = _KIND_COLOURS.get(DocumentKind.parse(kind), "gray")
    return f":{colour}-badge[{kind_label(kind)}]"


def source_heading(p: Passage, n: int | None = None) -> str:
    """'[1] Titel › Avsnitt · s. 7 · 2021 · Nationell vägledning' as expander label markdown."""
    parts = [plain(p.title) + (f" › {plain(p.section_path)}" if p.section else "")]
    if p.page_label:
        parts.append(f"s. {p.page_label}")
    parts.append(str(p.year) if p.year else "år saknas")
    parts.append(kind_badge(p.kind))
    if p.is_local and p.municipality:
        parts.append(plain(p.municipality))
    if p.meta.example:
        parts.append(":gray-badge[Exempel]")
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
    valid = f" · gäller från {p.meta.valid_from}" if p.meta.valid_from else ""
    st.caption(plain(where) + (f" · {plain(p.publisher)}" if p.publisher else "") + valid)
    if url := original_url(p.meta):
        st.markdown(f"[:material/open_in_new: Öppna originalet]({url.replace(')', '%29')})")
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
        self._job: Job[Answer] | None = None

    def start(self, assistant: Assistant, history: Sequence[str | Turn]) -> None:
        """Start answering, once, after the chat's earlier exchanges: a rerun that finds the
        answer under way lets it go on."""
        if self._job is None:
            earlier = list(history)
            self._job = Job(
                lambda _job: assistant.ask(
                    self.question, history=earlier, on_token=self._tokens.append
                )
            )

    @property
    def streamed(self) -> str:
        return "".join(self._tokens)

    def wait(self, seconds: float) -> bool:
        """True once the answer (or its error) is there; False before `start`."""
        return self._job is not None and self._job.wait(seconds)

    def answer(self) -> Answer:
        """The answer; the error the assistant raised, if it failed. Waits for it."""
        if self._job is None:
            raise RuntimeError("start() the question before asking for its answer")
        return self._job.result()


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


def reindex(settings: Settings, assistant: Assistant, job: Job[Any] | None = None) -> IngestReport:
    """The incremental ingest, its progress reported to `job`; the assistant answers from it at
    once. Runs inside a Job (see `wait_for`), never on the script thread."""

    def step(i: int, total: int, source: str) -> None:
        if job is not None:
            job.report((i + 1) / max(total, 1), f"Indexerar {source} ({i + 1} av {total})")

    retriever = assistant.retriever
    report = ingest(
        settings, retriever.store, retriever.embedder, on_document=step, lock_timeout=60
    )
    assistant.refresh()
    return report


def finished(key: str, text: str) -> Any:
    """The result of the job kept under `key` in the session state, waited for under a
    progress bar; None when there is none. Once it is done its result (or error) is given once
    and the job forgotten; a rerun while it runs leaves it for the next run."""
    job = st.session_state.get(key)
    if job is None:
        return None
    try:
        return wait_for(job, text)
    finally:
        if job.wait(0):
            st.session_state.pop(key, None)


def wait_for(job: Job[T], text: str) -> T:
    """Wait for `job` under a progress bar and return its result (or raise its error). A rerun
    may stop the waiting; the job goes on, and the next run waits for it again."""
    bar = st.progress(0.0, text=text)
    while not job.wait(POLL_SECONDS):
        bar.progress(job.fraction, text=plain(job.note) if job.note else text)
    bar.empty()
    return job.result()
