"""A fast, deterministic stand-in for the embedding model, for tests that start processes.

`HashEmbeddings` is a real LangChain `Embeddings` with the interface the pipeline and the
retriever use (`model_id`, `dimension`, `passage_token_budget`, `count_tokens`,
`embed_documents`, `embed_query`). A text's vector is its bag of words hashed into
`dimension` buckets and normalized, so texts that share words are near each other and the
same text always gets the same vector. It loads in no time, which the crash and concurrency
tests need: they start many processes, and the store is what they test, not the model.
"""

from __future__ import annotations

import math
import re
import zlib

from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"\w+")


class HashEmbeddings(Embeddings):
    model_id = "test:hash-embeddings"

    def __init__(self, dimension: int = 64, max_tokens: int = 512) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.passage_token_budget = max_tokens - 4

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text)) + text.count("\n")

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimension
        for word in _WORD.findall(text.casefold()):
            vec[zlib.crc32(word.encode()) % self.dimension] += 1.0
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        if norm == 1.0 and not any(vec):
            vec[0] = 1.0  # an empty text still needs a valid direction for cosine distance
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
