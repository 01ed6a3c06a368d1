"""Hybrid retrieval: dense (e5 in Chroma) over chunks and over their sentences, and Swedish
BM25 over the chunks, fused by reciprocal rank fusion (a sentence hit lifts its chunk on the
dense side), deduplicated, with neighbouring chunks of a section merged."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.glossary import Glossary
from assistant.lexical import LexicalIndex
from assistant.spelling import SpellingIndex
from assistant.types import Passage, SectionKey
from core.embeddings import E5Embeddings
from core.store import ChunkStore, StoredChunk, chunk_from_metadata
from core.textnorm import content_terms, is_english

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al.; damps the influence of the very top ranks
PRIOR_WEIGHT = 0.5  # the sections a follow-up refers to, as half a ranking more (0.25–1 tie on dev)
QUERY_TOKEN_LIMIT = 120  # what of a query is embedded; e5's limit is 512 tokens in all


@dataclass(frozen=True)
class RetrievalResult:
    query: str  # what was searched (corrected question + glossary expansion)
    passages: tuple[Passage, ...]  # ranked, deduplicated, top_k
    dense_top: float  # best cosine similarity of the dense side (0 if none)
    agreement: float = 0.0  # share of the dense top 3 that the lexical side also ranks top 10
    corrected: str = ""  # the question with typos corrected against the corpus's words
    vector: tuple[float, ...] = ()  # the embedded query (for composing by meaning)


def passage_from_stored(chunk: StoredChunk) -> Passage:
    fields = chunk_from_metadata(chunk.metadata, chunk.text)
    return Passage(chunk_id=chunk.id, chunk_ids=(chunk.id,), **fields)


class HybridRetriever:
    """Holds the lexical index (rebuilt from the store) and the handles it searches with."""

    def __init__(self, store: ChunkStore, embedder: E5Embeddings, glossary: Glossary) -> None:
        self.store = store
        self.embedder = embedder
        self.glossary = glossary
        self.refresh()

    def refresh(self) -> None:
        """Re-read the live chunks (after an ingest) and rebuild the lexical index."""
        self._live = self.store.live_hashes()
        chunks = self.store.live_chunks()
        self._by_id = {c.id: passage_from_stored(c) for c in chunks}
        self._order = [c.id for c in chunks]  # document order, for neighbour lookup
        self._index_of = {cid: i for i, cid in enumerate(self._order)}
        pairs = [(c.id, self.glossary.expand_document(c.embed_text)) for c in chunks]
        self._lexical = LexicalIndex(pairs)
        self.spelling = SpellingIndex.from_texts(c.embed_text for c in chunks)
        self.corpus_terms: set[str] = set()
        for c in chunks:
            self.corpus_terms |= content_terms(c.embed_text)

    @property
    def vocabulary(self) -> Any:
        """The corpus vocabulary of the lexical index (for compound splitting)."""
        return self._lexical.vocabulary

    @property
    def size(self) -> int:
        return len(self._order)

    def _truncate(self, query: str) -> str:
        words = query.split()
        while words and self.embedder.count_tokens(" ".join(words)) > QUERY_TOKEN_LIMIT:
            words = words[: int(len(words) * 0.8)]
        return " ".join(words)

    def embed(self, query: str) -> list[float]:
        return self.embedder.embed_query(self._truncate(query))

    def dense(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        hits = self.store.query(vector, k, live=self._live)
        return [(h.id, float(h.score or 0.0)) for h in hits if h.id in self._by_id]

    def by_sentence(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """Chunks ranked by their best sentence's similarity to the query."""
        best: dict[str, float] = {}
        seen: set[str] = set()
        for hit in self.store.query_sentences(vector, 3 * k, live=self._live):
            # Overlapping chunks share sentences: a sentence lifts the first chunk it is in.
            if hit.chunk in self._by_id and hit.chunk not in best and hit.text not in seen:
                best[hit.chunk] = float(hit.score or 0.0)
            seen.add(hit.text)
        return list(best.items())[:k]

    def lexical(self, query: str, k: int) -> list[tuple[str, float]]:
        return [(cid, s) for cid, s in self._lexical.search(query, k) if cid in self._by_id]

    def retrieve(
        self, question: str, k: int, candidates: int = 30, prior: Collection[SectionKey] = ()
    ) -> RetrievalResult:
        """The `k` best passages for `question`. `prior`: sections the conversation points
        at (what the previous answer cited, for a follow-up); their candidates rank higher."""
        corrected = self.spelling.correct(question)
        expanded = self.glossary.expand(corrected)
        vector = self.embed(expanded)
        dense = self.dense(vector, candidates)
        lexical = self.lexical(expanded, candidates)
        sentences = self.by_sentence(vector, candidates)
        # An English question has few words in common with Swedish text: BM25 only adds noise
        # to it, so it is answered from the dense side (which is multilingual).
        english = is_english(question.split())
        fused = fuse(lift(dense, sentences)) if english else fuse(lift(dense, sentences), lexical)
        if prior:
            fused = favour(fused, {cid for cid, _ in fused if self.section_of(cid) in prior})
        passages = []
        seen_texts: set[str] = set()
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        sentence_scores = dict(sentences)
        for cid, score in fused:
            p = self._by_id[cid]
            key = " ".join(p.text.split()).casefold()
            if key in seen_texts:  # the same text in two documents: keep the better one
                continue
            seen_texts.add(key)
            passages.append(
                replace(
                    p,
                    score=score,
                    dense_score=dense_scores.get(cid),
                    lexical_score=lexical_scores.get(cid),
                    sentence_score=sentence_scores.get(cid),
                )
            )
            if len(passages) >= k:
                break
        top = max((s for _, s in dense), default=0.0)
        lexical_top = {cid for cid, _ in lexical[:10]}
        dense_ids = [cid for cid, _ in dense[:3]]
        agreement = sum(cid in lexical_top for cid in dense_ids) / max(1, len(dense_ids))
        return RetrievalResult(
            query=expanded, passages=tuple(passages), dense_top=top, agreement=agreement,
            corrected=corrected, vector=tuple(vector),
        )  # fmt: skip

    def section_of(self, chunk_id: str) -> SectionKey:
        p = self._by_id[chunk_id]
        return p.doc_id, p.section

    def neighbours(self, passage: Passage) -> tuple[Passage | None, Passage | None]:
        i = self._index_of.get(passage.chunk_ids[0] if passage.chunk_ids else passage.chunk_id)
        if i is None:
            return None, None
        before = self._by_id[self._order[i - 1]] if i > 0 else None
        after = self._by_id[self._order[i + 1]] if i + 1 < len(self._order) else None
        same = [
            n
            for n in (before, after)
            if n is not None and n.doc_id == passage.doc_id and n.section == passage.section
        ]
        return (
            before if before in same else None,
            after if after in same else None,
        )

    def section_text(self, passage: Passage) -> str:
        """The whole section a passage belongs to, overlaps removed (for "read more")."""
        parts = [
            self._by_id[cid]
            for cid in self._order
            if self._by_id[cid].doc_id == passage.doc_id and self._by_id[cid].section == passage.section
        ]
        text = ""
        for p in parts:
            text = join_overlapping(text, p.text) if text else p.text
        return text


def lift(
    dense: Sequence[tuple[str, float]], sentences: Sequence[tuple[str, float]]
) -> list[tuple[str, float]]:
    """The dense side with sentence evidence: a chunk scores the better of its own similarity
    and its best sentence's, so a chunk whose one sentence answers the question rises even
    when the rest of it is about something else. (Measured on the dev split: a third ranking
    in the fusion instead counted the dense side twice and lost hit@5.)"""
    scores = dict(dense)
    for cid, score in sentences:
        scores[cid] = max(scores.get(cid, 0.0), score)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(*rankings: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of ranked (id, score) lists."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (cid, _) in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def favour(fused: Sequence[tuple[str, float]], chosen: Collection[str]) -> list[tuple[str, float]]:
    """A fused ranking in which the `chosen` ids also count as a ranking of their own (in
    their fused order), as if a third retriever had found just them."""
    scores = dict(fused)
    for rank, cid in enumerate((c for c, _ in fused if c in chosen), start=1):
        scores[cid] += PRIOR_WEIGHT / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def join_overlapping(first: str, second: str) -> str:
    """Concatenate two consecutive chunks of one section, dropping the overlap they share."""
    limit = min(len(first), len(second))
    for size in range(limit, 20, -1):
        if first.endswith(second[:size]):
            return first + second[size:]
    return first.rstrip() + "\n\n" + second.lstrip()


def merge_neighbours(retriever: HybridRetriever, passages: Sequence[Passage]) -> list[Passage]:
    """Extend each passage with the chunk after it in the same section when that chunk was also
    retrieved, and fold the later one into it, so a passage is not cut mid-thought."""
    merged: list[Passage] = []
    consumed: set[str] = set()
    by_id = {p.chunk_id: p for p in passages}
    for p in passages:
        if p.chunk_id in consumed:
            continue
        current = p
        _, after = retriever.neighbours(current)
        while after is not None and after.chunk_id in by_id and after.chunk_id not in consumed:
            consumed.add(after.chunk_id)
            current = replace(
                current,
                text=join_overlapping(current.text, after.text),
                page_end=after.page_end or after.page_start or current.page_end,
                chunk_ids=current.chunk_ids + after.chunk_ids,
                score=max(current.score, by_id[after.chunk_id].score),
            )
            _, after = retriever.neighbours(after)
        consumed.add(p.chunk_id)
        merged.append(current)
    return merged
