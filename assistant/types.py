"""Values passed between retrieval, answering and the edges (CLI, UI, eval)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.documents import DocumentMeta, DocumentPart


@dataclass(frozen=True)
class Passage(DocumentPart):
    """A retrieved passage: one chunk, or neighbouring chunks of one section merged. Its
    document's fields (source, title, kind, …) are read through `meta`."""

    chunk_id: str  # id of the first chunk (merged passages keep all ids in chunk_ids)
    meta: DocumentMeta
    section: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    position: int
    text: str
    score: float = 0.0  # fused score used for ranking
    dense_score: float | None = None  # cosine similarity of the dense side, if it found it
    lexical_score: float | None = None  # BM25 score, if the lexical side found it
    chunk_ids: tuple[str, ...] = ()
    sentence_score: float | None = None  # cosine similarity of its best sentence, if found


SectionKey = tuple[str, tuple[str, ...]]  # (doc_id, section path) of a passage


@dataclass(frozen=True)
class Citation:
    n: int  # the marker number [n] in the answer text
    passage: Passage
    quote: str  # the exact sentence(s) of passage.text that support the claim


@dataclass(frozen=True)
class Answer:
    question: str  # as asked, with personal data masked
    standalone_question: str  # after follow-up rewriting
    answer: str  # Swedish text with [n] markers
    refused: bool
    citations: tuple[Citation, ...]
    retrieved: tuple[Passage, ...]
    mode: str  # "extractive" | "llm"
    timings_ms: dict[str, float] = field(default_factory=dict)
    privacy_notice: str | None = None  # set when personal data was masked
    nearest: tuple[Passage, ...] = ()  # offered on refusal
    flagged: tuple[str, ...] = ()  # LLM sentences removed by the grounding check
    # sections that conditioned retrieval: those the previous answer cited, for a follow-up
    prior_sections: tuple[SectionKey, ...] = ()

    @property
    def turn(self) -> Turn:
        """This exchange as the next question of the chat is read against it."""
        cited = tuple(dict.fromkeys((c.passage.doc_id, c.passage.section) for c in self.citations))
        return Turn(self.question, cited)


@dataclass(frozen=True)
class Turn:
    """An earlier exchange of a chat: the question as asked (masked) and the sections its
    answer cited, in citation order (none when it was refused)."""

    question: str
    cited: tuple[SectionKey, ...] = ()
