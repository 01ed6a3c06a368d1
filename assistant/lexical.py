"""Swedish BM25 over chunks: `bm25s` on the terms of `core.textnorm`.

Rebuilt from the store at start-up (no save/load). Documents and queries are analysed
alike: stems (folded, doubles collapsed) plus the parts of compounds split against the
corpus vocabulary, so "försörjningsstöd" meets "stöd till försörjning". A query word typed
without åäö also takes the terms of the corpus words spelt the same once folded
("bistandet" → the term of "biståndet").
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import bm25s
import numpy as np

from core.textnorm import (
    Vocabulary,
    compound_parts,
    fold,
    is_stop_word,
    term,
    tokenize,
    word_terms,
)

log = logging.getLogger(__name__)

QUERY_CACHE_LIMIT = 200_000  # analysed tokens kept between queries
NEAR_WEIGHT = 0.5  # a near term (another ending of a query term) counts half


class LexicalIndex:
    """BM25 over `(chunk_id, text)` pairs, where text is "title › section" plus chunk text."""

    def __init__(self, pairs: Iterable[tuple[str, str]], k1: float = 1.5, b: float = 0.75) -> None:
        ids: list[str] = []
        documents: list[list[str]] = []
        for chunk_id, text in pairs:
            ids.append(chunk_id)
            documents.append(tokenize(text))
        self.ids = ids
        self.vocabulary = Vocabulary.from_tokens(t for doc in documents for t in doc)
        self._by_spelling: dict[str, set[str]] = defaultdict(set)
        self._token_terms: dict[str, list[str]] = {}
        corpus = [self._analyze(tokens, learn=True) for tokens in documents]
        self._token_terms = {}  # query tokens learn nothing, and may take corpus spellings
        self._bm25: bm25s.BM25 | None = None
        self._terms: list[str] = []  # sorted, for prefix lookups
        if any(corpus):
            self._bm25 = bm25s.BM25(k1=k1, b=b)
            self._bm25.index(corpus, show_progress=False)
            self._terms = sorted(t for t in self._bm25.vocab_dict if t)
        log.debug("lexical index: %d chunks, %d spellings", len(ids), len(self._by_spelling))

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, str]]) -> LexicalIndex:
        return cls(pairs)

    def __len__(self) -> int:
        return len(self.ids)

    def analyze(self, text: str) -> list[str]:
        """The query terms of `text`, as `search` uses them."""
        return self._analyze(tokenize(text), learn=False)

    def search(self, query: str | Sequence[str], k: int) -> list[tuple[str, float]]:
        """The best `k` chunks for `query` (text, or terms from `analyze`), best first;
        only chunks sharing a term (or a near term, at half weight) with the query."""
        if self._bm25 is None or k <= 0:
            return []
        terms = self.analyze(query) if isinstance(query, str) else list(query)
        known = [t for t in terms if t in self._bm25_terms]
        near = self.near_terms(terms)
        if not known and not near:
            return []
        scores = np.zeros(len(self.ids))
        if known:
            scores += self._bm25.get_scores(known)
        if near:
            scores += NEAR_WEIGHT * np.asarray(self._bm25.get_scores(near))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(top.tolist(), key=lambda i: (-scores[i], i))
        return [(self.ids[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def near_terms(self, terms: Sequence[str]) -> list[str]:
        """Index terms that differ from a query term in the last few letters only: endings
        the light Swedish stemmer leaves ("mentorn" → "ment" of "mentor", "arbetsmiljo" →
        "arbetsmiljon" of "arbetsmiljön")."""
        exact = set(terms)
        near: list[str] = []
        for q in dict.fromkeys(terms):
            if len(q) < 4 or not q.isalpha():
                continue
            near += [q[:n] for n in range(max(4, len(q) - 3), len(q)) if q[:n] in self._bm25_terms]
            for t in self._terms[bisect.bisect_right(self._terms, q) :]:
                if not t.startswith(q):
                    break
                if len(t) <= len(q) + 2:
                    near.append(t)
        return [t for t in dict.fromkeys(near) if t not in exact]

    @property
    def _bm25_terms(self) -> Mapping[str, int]:
        return self._bm25.vocab_dict if self._bm25 is not None else {}

    def _analyze(self, tokens: Sequence[str], learn: bool) -> list[str]:
        out: list[str] = []
        if len(self._token_terms) > QUERY_CACHE_LIMIT:
            self._token_terms.clear()
        for token in tokens:
            terms = self._token_terms.get(token)  # get, not `in`: searches may run in threads
            if terms is None:
                terms = self._token_terms[token] = self._terms_of(token, learn)
            out.extend(terms)
        return out

    def _terms_of(self, token: str, learn: bool) -> list[str]:
        if is_stop_word(token):
            return []
        terms = list(word_terms(token))
        spelling = fold(token)
        if learn:
            self._by_spelling[spelling].add(terms[0])
        elif token.lower() == spelling:  # typed without diacritics
            terms.extend(sorted(self._by_spelling.get(spelling, set()) - set(terms)))
        terms.extend(term(part) for part in compound_parts(token, self.vocabulary))
        return terms
