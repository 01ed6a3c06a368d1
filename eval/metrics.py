"""Retrieval and answer metrics as pure functions on plain data.

Relevance is decided by gold quotes, not by chunk ids: a passage is relevant when it
contains one of the item's gold quotes (robust matching, see `eval.matching`), so the
numbers survive re-chunking. Aggregates over an empty selection are None, not 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import Stemmer

from core import markers
from eval.matching import match_tokens, quote_in_text

RETRIEVAL_DEPTH = 10  # rank_of_first_gold is looked up within this many passages
FAITHFUL_THRESHOLD = 0.8  # share of a sentence's content tokens that must be in its cited passage

# Function words ignored by the answer metrics. Negations ("inte", "ej") and modal verbs
# ("ska", "får", "kan") are kept: they change what a sentence claims.
_STOPWORD_TEXT = """
    och i att det som en ett på är av för med till den de har om sig från så man när eller men
    vid även då dess denna detta dessa vara var blir bli blev varit hade sin sitt sina hans
    hennes deras där här under efter mot över hos enligt samt också vilka vilken vilket vad
    hur varför någon något några alla allt sådan sådant sådana dem du jag vi ni han hon
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class ItemRecord:
    """What the eval runner measured for one reference item."""

    id: str
    category: str
    answerable: bool
    rank_of_first_gold: int | None  # 1-based; None if no gold passage in the top 10
    gold_recall_at_5: float | None  # None for unanswerable items
    ndcg10: float | None  # None for unanswerable items
    refused: bool
    citation_support: bool | None  # None when not applicable (unanswerable or refused)
    faithfulness: float | None  # None when the answer has no checkable sentence
    f1: float | None
    rouge_l: float | None
    latency_ms: float
    # Answer level; None for a refusal and for an unanswerable item (no gold to compare with).
    answer_recall: float | None = None
    answer_precision: float | None = None


# --- relevance ----------------------------------------------------------------------------


def quotes_found(passage_text: str, gold_quotes: Sequence[str]) -> set[int]:
    """Indices of the gold quotes that the passage contains."""
    return {i for i, quote in enumerate(gold_quotes) if quote_in_text(quote, passage_text)}


def first_relevant_rank(
    passage_texts: Sequence[str], gold_quotes: Sequence[str], k: int = RETRIEVAL_DEPTH
) -> int | None:
    """1-based rank of the first of the top `k` passages that contains a gold quote."""
    for rank, text in enumerate(passage_texts[:k], start=1):
        if quotes_found(text, gold_quotes):
            return rank
    return None


def recall_of_quotes_at_k(
    passage_texts: Sequence[str], gold_quotes: Sequence[str], k: int
) -> float | None:
    """Share of the gold quotes contained in at least one of the top `k` passages."""
    if not gold_quotes:
        return None
    found: set[int] = set()
    for text in passage_texts[:k]:
        found |= quotes_found(text, gold_quotes)
    return len(found) / len(gold_quotes)


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: sum of gain / log2(rank + 1)."""
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg_at_k(
    passage_texts: Sequence[str], gold_quotes: Sequence[str], k: int = RETRIEVAL_DEPTH
) -> float | None:
    """nDCG@k graded by how many gold quotes each passage contains.

    The ideal ranking puts the retrieved passages in order of gain and, for every gold quote
    that no top-k passage contains, adds a passage of gain 1 - as if retrieval had also found
    it. So a perfect ranking scores 1.0, and missing quotes lower the score.
    """
    if not gold_quotes:
        return None
    found = [quotes_found(text, gold_quotes) for text in passage_texts[:k]]
    gains = [float(len(f)) for f in found]
    missing = len(gold_quotes) - len(set().union(*found))
    ideal = sorted(gains + [1.0] * missing, reverse=True)[:k]
    best = dcg(ideal)
    return dcg(gains) / best if best > 0 else 0.0


def citation_support(cited_texts: Sequence[str], gold_quotes: Sequence[str]) -> bool:
    """True if at least one cited passage contains a gold quote."""
    return any(quotes_found(text, gold_quotes) for text in cited_texts)


# --- faithfulness ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return Stemmer.Stemmer("swedish")


def content_tokens(text: str) -> list[str]:
    """Normalized, stemmed tokens without stopwords and citation markers like [2]."""
    tokens = match_tokens(markers.MARKER.sub(" ", text))
    return list(_stemmer().stemWords([t for t in tokens if t not in STOPWORDS]))


def sentence_support(sentence: str, cited_texts: Sequence[str]) -> float | None:
    """Share of the sentence's content tokens that occur in its cited passages.

    None when the sentence has no content tokens (nothing to check).
    """
    tokens = content_tokens(sentence)
    if not tokens:
        return None
    available: set[str] = set()
    for text in cited_texts:
        available.update(content_tokens(text))
    return sum(token in available for token in tokens) / len(tokens)


def faithfulness(
    sentences_with_cited_texts: Iterable[tuple[str, Sequence[str]]],
    threshold: float = FAITHFUL_THRESHOLD,
) -> float | None:
    """Share of answer sentences supported by the passages they cite.

    A sentence is supported when `sentence_support` >= `threshold`; a sentence without
    citations is unsupported. Sentences without content tokens are skipped; None if none remain.
    """
    verdicts = [
        support >= threshold
        for sentence, cited in sentences_with_cited_texts
        if (support := sentence_support(sentence, cited)) is not None
    ]
    return sum(verdicts) / len(verdicts) if verdicts else None


# --- answer level ---------------------------------------------------------------------------

ON_TARGET_SHARE = 0.5  # share of a sentence's content words that must be in the gold material
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[\"'(\[«»”]?[A-ZÅÄÖÉ0-9])|\s+…\s+|\n+")


def answer_sentences(answer: str) -> list[str]:
    """The sentences of an answer, without citation markers; " … " (which joins sentences
    quoted from one passage) and line breaks separate sentences too."""
    text = markers.MARKER.sub(" ", answer)
    parts = (part.strip(" \t-•*…") for part in _SENTENCE_END.split(text))
    return [part for part in parts if content_tokens(part)]


def answer_recall(answer: str, gold_quotes: Sequence[str]) -> float | None:
    """Share of the gold quotes found in the answer text (robust quote matching)."""
    if not gold_quotes:
        return None
    text = markers.MARKER.sub(" ", answer)
    return sum(quote_in_text(quote, text) for quote in gold_quotes) / len(gold_quotes)


def on_target(sentence: str, gold_terms: set[str], share: float = ON_TARGET_SHARE) -> bool:
    """A sentence is on target when at least `share` of its content words (stemmed, without
    stop words) occur in the gold quotes or the reference answer."""
    tokens = content_tokens(sentence)
    return bool(tokens) and sum(t in gold_terms for t in tokens) / len(tokens) >= share


def answer_precision(answer: str, gold_quotes: Sequence[str], reference: str) -> float | None:
    """Share of the answer's sentences that are on target; None when it has no sentence."""
    sentences = answer_sentences(answer)
    if not sentences:
        return None
    gold_terms = set(content_tokens(" ".join([*gold_quotes, reference])))
    return sum(on_target(s, gold_terms) for s in sentences) / len(sentences)


def off_target_rate(precisions: Iterable[float | None]) -> float | None:
    """Share of answers in which fewer than half of the sentences are on target."""
    return _mean(float(p < 0.5) for p in precisions if p is not None)


# --- answer overlap -------------------------------------------------------------------------


def token_f1(pred: str, ref: str) -> float:
    """Bag-of-tokens F1 over `content_tokens`; 1.0 if both are empty, 0.0 if one is."""
    p, r = content_tokens(pred), content_tokens(ref)
    if not p or not r:
        return float(p == r)
    overlap = sum((Counter(p) & Counter(r)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(p), overlap / len(r)
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(pred: str, ref: str) -> float:
    """ROUGE-L F1 (LCS-based, beta = 1) over `content_tokens`; 1.0 if both are empty."""
    p, r = content_tokens(pred), content_tokens(ref)
    if not p or not r:
        return float(p == r)
    lcs = lcs_length(p, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


# --- aggregates -----------------------------------------------------------------------------


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def hit_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of items whose first gold passage is ranked 1..k."""
    return _mean(float(r is not None and r <= k) for r in ranks)


def mrr_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Mean reciprocal rank, counting ranks beyond `k` (or None) as 0."""
    return _mean(1 / r if r is not None and r <= k else 0.0 for r in ranks)


def refusal_rate(refused: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Share of the unanswerable items that the assistant refused (higher is better)."""
    return _mean(float(r) for r, a in zip(refused, answerable, strict=True) if not a)


def false_refusal_rate(refused: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Share of the answerable items that the assistant refused (lower is better)."""
    return _mean(float(r) for r, a in zip(refused, answerable, strict=True) if a)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between closest ranks."""
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _summarize_group(records: Sequence[ItemRecord]) -> dict[str, Any]:
    answerable = [r for r in records if r.answerable]
    ranks = [r.rank_of_first_gold for r in answerable]
    refused = [r.refused for r in records]
    flags = [r.answerable for r in records]
    supported = [r.citation_support for r in records if r.citation_support is not None]
    latencies = [r.latency_ms for r in records]
    return {
        "n": len(records),
        "n_answerable": len(answerable),
        "n_unanswerable": len(records) - len(answerable),
        "hit@1": hit_at_k(ranks, 1),
        "hit@3": hit_at_k(ranks, 3),
        "hit@5": hit_at_k(ranks, 5),
        "hit@10": hit_at_k(ranks, 10),
        "mrr@10": mrr_at_k(ranks, 10),
        "ndcg@10": _mean(r.ndcg10 for r in answerable if r.ndcg10 is not None),
        "recall@5": _mean(r.gold_recall_at_5 for r in answerable if r.gold_recall_at_5 is not None),
        "refusal_rate": refusal_rate(refused, flags),
        "false_refusal_rate": false_refusal_rate(refused, flags),
        "citation_support": _mean(float(s) for s in supported),
        "faithfulness": _mean(r.faithfulness for r in records if r.faithfulness is not None),
        "f1": _mean(r.f1 for r in answerable if r.f1 is not None),
        "rouge_l": _mean(r.rouge_l for r in answerable if r.rouge_l is not None),
        "answer_recall": _mean(r.answer_recall for r in records if r.answer_recall is not None),
        "answer_precision": _mean(
            r.answer_precision for r in records if r.answer_precision is not None
        ),
        "off_target_rate": off_target_rate(r.answer_precision for r in records),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }


def summarize(records: Sequence[ItemRecord]) -> dict[str, Any]:
    """Aggregate metrics overall and per category.

    Retrieval metrics, F1 and ROUGE-L are averaged over answerable items only; refusal rate
    is over unanswerable items, false refusal rate over answerable ones. A metric with
    nothing to average is None.
    """
    categories = sorted({r.category for r in records})
    return {
        "overall": _summarize_group(records),
        "per_category": {
            c: _summarize_group([r for r in records if r.category == c]) for c in categories
        },
    }
