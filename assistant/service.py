"""The one place that wires settings into a ready assistant.

`build_assistant(settings)` loads the embedding model, opens the index, builds the hybrid
retriever and (in LLM mode) the chat model. `Assistant.ask` runs one question through:
mask personal data → make it standalone → retrieve → decide to answer or refuse → answer
(extractive, or LLM with a grounding check and the extractive answer as fallback) → cite.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.citations import renumber
from assistant.extractive import MAX_PASSAGES, compose, list_intro, own_similarity, unit_key
from assistant.followup import is_followup, prior_sections, rewrite_followup
from assistant.glossary import Glossary
from assistant.injection import without_injections
from assistant.privacy import mask_personal_data, privacy_notice
from assistant.refusal import (
    Features,
    RefusalPolicy,
    coverage,
    kind_found,
    novelty,
    refuse_on_evidence,
)
from assistant.retrieve import HybridRetriever, merge_neighbours
from assistant.types import Answer, Citation, Passage, SectionKey, Turn
from core.embeddings import E5Embeddings, load_embeddings
from core.errors import (
    EmptyIndexError,
    IndexLockedError,
    IndexMismatchError,
    LLMError,
    StoreError,
)
from core.lock import holding_writer_lock
from core.material import answer_units, list_items
from core.sentences import split_sentences
from core.settings import Settings
from core.store import ChunkStore, discard_embedded_index
from core.textnorm import content_terms, is_english

log = logging.getLogger(__name__)

REFUSAL_TEXT = (
    "Källorna täcker inte den här frågan, så jag kan inte ge ett säkert svar. "
    "Jag svarar bara utifrån dokumenten i kunskapsbanken. Fråga gärna en kollega eller "
    "din samordnare, och se de närmaste avsnitten nedan."
)
COVERAGE_PASSAGES = 3  # the top passages a question's terms are looked for in
MAX_LIST_ITEMS = 24  # list items embedded per question (a few lists of the top passages)


@dataclass(frozen=True)
class Decision:
    """Retrieval for one standalone question and whether to answer it."""

    standalone: str
    query: str  # standalone + glossary expansion
    retrieved: tuple[Passage, ...]
    passages: tuple[Passage, ...]  # merged neighbours, for answering
    features: Features
    refuse: bool
    # similarity of the question to each answer sentence of the passages (by sentence text)
    similarity: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    question: str
    passages: tuple[Passage, ...]
    privacy_notice: str | None


def open_index(
    settings: Settings, embedder: E5Embeddings | None = None, allow_mismatch: bool = False
) -> tuple[E5Embeddings, ChunkStore]:
    """Load the embedding model and open the index built with it."""
    embedder = embedder or load_embeddings(settings)
    try:
        store = ChunkStore.open(settings, embedder.model_id, embedder.dimension)
    except IndexMismatchError:
        if not allow_mismatch:
            raise
        # A rebuild with another model: it is built beside the old index and replaces it
        # when complete (ingest.pipeline), so nothing is deleted here.
        store = ChunkStore.open(
            settings, embedder.model_id, embedder.dimension, verify_model=False
        )
    except StoreError:
        # A rebuild (allow_mismatch) starts afresh from an embedded index too damaged to open.
        if not allow_mismatch or settings.store != "embedded":
            raise
        log.warning("the index in %s cannot be opened; it is rebuilt", settings.chroma_dir)
        with holding_writer_lock(settings):
            discard_embedded_index(settings)
        store = ChunkStore.open(settings, embedder.model_id, embedder.dimension)
    return embedder, store


def nearest_sections(passages: Sequence[Passage], n: int = 3) -> tuple[Passage, ...]:
    out: list[Passage] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for p in passages:
        key = (p.doc_id, p.section)
        if key not in seen:
            seen.add(key)
            out.append(p)
        if len(out) == n:
            break
    return tuple(out)


class Assistant:
    """Holds the retriever (model, index, lexical index) and, in LLM mode, the chat model."""

    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever,
        policy: RefusalPolicy,
        chat_model: Any | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.policy = policy
        self.chat_model = chat_model
        self._live = self._live_hashes()  # the index version the retriever holds

    @property
    def mode(self) -> str:
        return "llm" if self.chat_model is not None else "extractive"

    def _live_hashes(self) -> dict[str, str] | None:
        try:
            return self.retriever.store.live_hashes()
        except StoreError:
            return None  # unreadable now; `refresh` reopens the index and says why

    def refresh(self) -> None:
        """Pick up an ingest that happened after start-up, in this process or another.

        Embedded Chroma never sees another process's writes to its vector index, so the store
        is reopened; that reads the index from disk, which must not happen while an ingest
        writes it. While one runs, answers keep coming from the version already loaded (the
        registry filter keeps them consistent) and the next question tries again."""
        try:
            with holding_writer_lock(self.settings, timeout=0):
                self.retriever.store.reload()
                self._live = self.retriever.store.live_hashes()
                self.retriever.refresh()
        except IndexLockedError:
            log.info("an ingest is running; the index is re-read after it")

    def _follow_index(self) -> None:
        store = self.retriever.store
        if self._live is None or self._live_hashes() != self._live or store.switched():
            self.refresh()

    def search(
        self, question: str, k: int | None = None, prior: Sequence[SectionKey] = ()
    ) -> SearchResult:
        """The passages for `question`; `prior`: sections to favour (`Answer.prior_sections`)."""
        self._follow_index()
        masked = mask_personal_data(question)
        if self.retriever.size == 0:
            raise EmptyIndexError("Indexet är tomt. Indexera korpusen med `kunskapsguide ingest`.")
        result = self.retriever.retrieve(
            masked.text, k or self.settings.top_k, self.settings.candidates, prior
        )
        notice = privacy_notice(masked.found) if masked.found else None
        return SearchResult(masked.text, result.passages, notice)

    def features(
        self,
        question: str,
        expanded: str,
        passages: Sequence[Passage],
        dense_top: float,
        agreement: float = 0.0,
        similarity: Mapping[str, float] | None = None,
    ) -> Features:
        q_terms = content_terms(question, self.retriever.vocabulary)
        e_terms = content_terms(expanded)
        p_terms: set[str] = set()
        for p in passages[:COVERAGE_PASSAGES]:
            p_terms |= content_terms(f"{p.title} {p.section_path} {p.text}")
        english = is_english(question.split())
        alternatives: dict[str, list[frozenset[str]]] = {}
        for phrase, others in self.retriever.glossary.alternatives(question):
            alts = [frozenset(content_terms(o)) for o in others]
            for t in content_terms(phrase, self.retriever.vocabulary):
                alternatives.setdefault(t, []).extend(alts)
        return Features(
            dense_top=dense_top,
            coverage=coverage(q_terms, e_terms, p_terms, english, alternatives),
            novelty=novelty(
                question, self.retriever.corpus_terms, self.retriever.vocabulary, english
            ),
            agreement=agreement,
            sentence_top=max(similarity.values(), default=0.0) if similarity else 0.0,
            kind_found=kind_found(question, best_sentences(similarity or {})),
        )

    def ask(
        self,
        question: str,
        history: Sequence[str | Turn] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one question. `history`: the earlier exchanges of the chat, oldest first
        (`Answer.turn`), or just their questions; masked here too, since a caller of
        `as_runnable` may pass them as typed. A follow-up is made standalone against the
        earlier questions and searched with the sections the previous answer cited in favour."""
        self._follow_index()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        masked = mask_personal_data(question)
        notice = privacy_notice(masked.found) if masked.found else None
        if self.retriever.size == 0:
            raise EmptyIndexError("Indexet är tomt. Indexera korpusen med `kunskapsguide ingest`.")
        turns = [as_turn(h) for h in history or []]
        standalone = self.standalone(masked.text, [t.question for t in turns])
        prior = prior_sections(masked.text, turns)
        t1 = time.perf_counter()
        decision = self.decide(standalone, prior)
        t2 = time.perf_counter()
        timings["rewrite"] = (t1 - t0) * 1000
        timings["retrieve"] = (t2 - t1) * 1000
        base = dict(
            question=masked.text,
            standalone_question=standalone,
            retrieved=decision.retrieved,
            mode=self.mode,
            privacy_notice=notice,
            prior_sections=prior,
        )
        if decision.refuse:
            timings["total"] = (time.perf_counter() - t0) * 1000
            return Answer(
                answer=REFUSAL_TEXT,
                refused=True,
                citations=(),
                nearest=nearest_sections(decision.retrieved),
                timings_ms=timings,
                **base,  # type: ignore[arg-type]
            )
        answer = self._answer(
            standalone, decision.query, decision.passages, on_token, base,
            dict(decision.similarity),
        )  # fmt: skip
        timings["answer"] = (time.perf_counter() - t2) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return replace(answer, timings_ms=timings)

    def decide(self, standalone: str, prior: Sequence[SectionKey] = ()) -> Decision:
        """Retrieve for a standalone (already masked) question, with the sections in `prior`
        favoured, and decide whether to answer."""
        result = self.retriever.retrieve(
            standalone, self.settings.top_k, self.settings.candidates, prior
        )
        # Paragraphs that address the assistant ("ignorera dina instruktioner …") are data the
        # documents carry, never instructions: they are kept out of what answers are made from.
        passages = tuple(
            p for p in map(without_injections, merge_neighbours(self.retriever, result.passages))
            if p.text.strip()
        )
        similarity = self.sentence_similarity(result.vector, passages)
        question = result.corrected or standalone
        feats = self.features(
            question, result.query, passages, result.dense_top, result.agreement, similarity
        )
        top = passages[:MAX_PASSAGES]
        own = (own_similarity(p, similarity) for p in top)
        each = (  # lazily: only a refusal looks at the passages one by one
            self.features(question, result.query, [p], result.dense_top, result.agreement, sims)
            for p, sims in zip(top, own, strict=True) if sims
        )  # fmt: skip
        refuse = not passages or refuse_on_evidence(self.policy, feats, each)
        return Decision(
            standalone=standalone,
            query=result.query,
            retrieved=result.passages,
            passages=passages,
            features=feats,
            refuse=refuse,
            similarity=similarity if refuse else self.with_list_items(result.vector, passages, similarity),
        )

    def standalone(self, question: str, history: Sequence[str]) -> str:
        """The question made standalone against the earlier questions of the chat (already
        masked): the chat model's rewrite when one is configured and usable, else the rules."""
        if not history:
            return question
        if self.chat_model is not None:
            from assistant.answer_llm import rewrite_question

            try:
                rewritten = rewrite_question(question, history, self.chat_model)
            except LLMError:
                log.warning("LLM rewrite failed; using rules")
            else:
                # The question comes back unchanged when the model's rewrite was rejected.
                if rewritten != question or not is_followup(question):
                    return rewritten
                log.info("LLM rewrite unusable; using rules")
        return rewrite_followup(question, history)

    def sentence_similarity(
        self, vector: Sequence[float], passages: Sequence[Passage]
    ) -> dict[str, float]:
        """Cosine similarity of the query to each indexed answer sentence of the passages that
        answers are composed from, keyed by the sentence's text (whitespace collapsed)."""
        chunk_ids = [cid for p in passages[:MAX_PASSAGES] for cid in (p.chunk_ids or (p.chunk_id,))]
        sentences = self.retriever.store.sentences_of(chunk_ids)
        if not vector or not sentences:
            return {}
        matrix = np.asarray([s.vector for s in sentences], dtype=np.float32)
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        out: dict[str, float] = {}
        for sentence, score in zip(sentences, scores, strict=True):
            key = unit_key(sentence.text)
            out[key] = max(out.get(key, -1.0), float(score))
        return out

    def with_list_items(
        self, vector: Sequence[float], passages: Sequence[Passage], similarity: Mapping[str, float]
    ) -> dict[str, float]:
        """`similarity` and that of the items of its lists. A list is indexed whole; its items
        are embedded here (each after the sentence that introduces the list), so that an answer
        to a question that asks for no list can quote the item that answers."""
        lists = [
            unit for p in passages[:MAX_PASSAGES] for unit in answer_units(p.text)
            if "\n" in unit and unit_key(unit) in similarity
        ]  # fmt: skip
        items = {
            unit_key(item): f"{list_intro(unit)} {item}".strip()
            for unit in lists for item in list_items(unit)
        }  # fmt: skip
        keys = [k for k in items if k not in similarity][:MAX_LIST_ITEMS]
        out = dict(similarity)
        if keys and vector:
            texts = [items[k] for k in keys]
            matrix = np.asarray(self.retriever.embedder.embed_documents(texts), dtype=np.float32)
            scores = matrix @ np.asarray(vector, dtype=np.float32)
            out.update(zip(keys, map(float, scores), strict=True))
        return out

    def _extractive(
        self,
        expanded: str,
        passages: Sequence[Passage],
        base: dict[str, Any],
        similarity: dict[str, float] | None = None,
    ) -> Answer:
        text, citations = compose(
            content_terms(expanded), passages, similarity, question=base["standalone_question"]
        )
        text, citations = renumber(text, citations)
        if not citations:
            return Answer(
                answer=REFUSAL_TEXT, refused=True, citations=(),
                nearest=nearest_sections(passages), **base,
            )  # fmt: skip
        return Answer(answer=text, refused=False, citations=citations, **base)

    def _answer(
        self,
        standalone: str,
        expanded: str,
        passages: Sequence[Passage],
        on_token: Callable[[str], None] | None,
        base: dict[str, Any],
        similarity: dict[str, float] | None = None,
    ) -> Answer:
        if self.chat_model is None:
            answer = self._extractive(expanded, passages, base, similarity)
            if on_token and not answer.refused:
                on_token(answer.answer)
            return answer
        return self._llm(standalone, expanded, passages, on_token, base, similarity)

    def _llm(
        self,
        standalone: str,
        expanded: str,
        passages: Sequence[Passage],
        on_token: Callable[[str], None] | None,
        base: dict[str, Any],
        similarity: dict[str, float] | None = None,
    ) -> Answer:
        """Generate, check grounding, and fall back to the extractive answer when little of the
        model's answer survives the check. The model's own refusal is honoured."""
        from assistant.answer_llm import generate

        draft = generate(standalone, passages, self.chat_model, on_token)  # type: ignore[arg-type]
        grounding = draft.grounding
        if draft.refused:
            return Answer(
                answer=REFUSAL_TEXT, refused=True, citations=(),
                nearest=nearest_sections(passages), **base,
            )  # fmt: skip
        if not grounding.kept or len(grounding.kept) < len(grounding.flagged):
            fallback = self._extractive(expanded, passages, base, similarity)
            return replace(fallback, flagged=grounding.flagged)
        by_n = dict(enumerate(passages, start=1))
        citations = tuple(
            Citation(n=n, passage=by_n[n], quote=best_quote(by_n[n].text, grounding.kept))
            for n in grounding.cited_numbers
        )
        text, citations = renumber(grounding.text, citations)
        return Answer(
            answer=text, refused=False, citations=citations, flagged=grounding.flagged, **base
        )

    def as_runnable(self) -> Runnable[Any, Answer]:
        """The assistant as a LangChain Runnable: input a question, or {"question", "history"}."""

        def run(inp: Any) -> Answer:
            if isinstance(inp, str):
                return self.ask(inp)
            return self.ask(inp["question"], history=inp.get("history"))

        return RunnableLambda(run, name="Kunskapsguide")


def as_turn(earlier: str | Turn) -> Turn:
    """An earlier exchange, its question masked (a caller may pass it as typed)."""
    if isinstance(earlier, str):
        return Turn(mask_personal_data(earlier).text)
    return replace(earlier, question=mask_personal_data(earlier.question).text)


def best_sentences(similarity: Mapping[str, float], n: int = 3) -> list[str]:
    """The `n` answer sentences most similar to the question."""
    return sorted(similarity, key=lambda text: -similarity[text])[:n]


def best_quote(passage_text: str, claims: Sequence[str]) -> str:
    """The sentence of a passage that best supports the claims that cite it."""
    from assistant.grounding import support_score

    sentences = split_sentences(passage_text) or [passage_text]
    return max(sentences, key=lambda s: max((support_score(c, s) for c in claims), default=0.0))


def build_assistant(
    settings: Settings,
    embedder: E5Embeddings | None = None,
    store: ChunkStore | None = None,
) -> Assistant:
    if store is None:
        embedder, store = open_index(settings, embedder)
    elif embedder is None:
        embedder = load_embeddings(settings)
    glossary = Glossary.load(settings.corpus_dir / settings.glossary_name)
    retriever = HybridRetriever(store, embedder, glossary)
    chat_model = None
    if settings.mode == "llm":
        from assistant.llm import build_chat_model

        chat_model = build_chat_model(settings)
    return Assistant(settings, retriever, RefusalPolicy.load(), chat_model)
