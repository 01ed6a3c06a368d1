"""The default answer mode: offline, instant, and nothing in it that is not in a source.

Sentences of the retrieved passages are scored against the question (content terms, with the
glossary's expansions counting too, and the passage's rank as a prior); the best few are
quoted in reading order, each ending in its citation marker. A sentence that introduces a list
("… är:") brings its list along, since it says nothing without it. The quoted text has its
brackets hidden until `renumber`, so a footnote ("SoL [2].") is not taken for a marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.citations import hide_brackets
from assistant.textnorm import content_terms
from assistant.types import Citation, Passage
from ingest.sentences import split_sentences

MAX_SENTENCES = 3
MAX_WORDS = 90
MAX_PASSAGES = 4  # only the best passages are quoted from
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s")
QUOTE_SEPARATOR = " … "  # between quoted sentences of one passage that need not be adjacent


@dataclass(frozen=True)
class Scored:
    passage_rank: int
    index: int  # position of the unit in its passage
    text: str
    score: float


def answer_units(text: str) -> list[str]:
    """Sentences of a passage, a list kept together with the sentence that introduces it."""
    units: list[str] = []
    for paragraph in text.split("\n\n"):
        lines = [ln.strip() for ln in paragraph.splitlines() if ln.strip()]
        if not lines:
            continue
        bullets = [ln for ln in lines if ln[:1] in "•-–*" or _NUMBERED.match(ln)]
        if bullets and len(bullets) == len(lines):
            if units and units[-1].rstrip().endswith(":"):
                units[-1] = units[-1] + "\n" + "\n".join(lines)
            else:
                units.append("\n".join(lines))
            continue
        units.extend(s.strip() for s in split_sentences(" ".join(lines)) if s.strip())
    return units


def score_units(
    query_terms: set[str], passages: Sequence[Passage]
) -> list[Scored]:
    scored = []
    for rank, p in enumerate(passages[:MAX_PASSAGES]):
        prior = 1.0 / (1.0 + 0.35 * rank)
        for i, unit in enumerate(answer_units(p.text)):
            terms = content_terms(unit)
            if not terms or len(unit.split()) < 4:
                continue
            overlap = len(query_terms & terms)
            if overlap == 0:
                continue
            # Share of the question covered, lightly favouring focused sentences.
            coverage = overlap / max(1, len(query_terms))
            focus = overlap / len(terms) ** 0.5
            scored.append(Scored(rank, i, unit, prior * (coverage + 0.3 * focus)))
    return scored


def compose(
    question_terms: set[str], passages: Sequence[Passage]
) -> tuple[str, tuple[Citation, ...]]:
    """Pick the best sentences and join them, each with its citation marker."""
    scored = score_units(question_terms, passages)
    if not scored and passages:
        # Retrieval found the passage but no sentence shares a term with the question (a
        # paraphrase): quote the opening of the best passage rather than nothing.
        first = answer_units(passages[0].text)[:1]
        scored = [Scored(0, 0, first[0], 0.0)] if first else []
    best = sorted(scored, key=lambda s: -s.score)
    chosen: list[Scored] = []
    words = 0
    top = best[0].score if best else 0.0
    for s in best:
        if len(chosen) >= MAX_SENTENCES:
            break
        if chosen and s.score < 0.45 * top:
            break
        n_words = len(s.text.split())
        if chosen and words + n_words > MAX_WORDS:
            continue
        chosen.append(s)
        words += n_words
    chosen.sort(key=lambda s: (s.passage_rank, s.index))
    numbers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    parts = []
    for s in chosen:
        n = numbers.setdefault(s.passage_rank, len(numbers) + 1)
        quotes.setdefault(n, []).append(s.text)
        parts.append(f"{hide_brackets(s.text)} [{n}]")
    citations = tuple(
        Citation(n=n, passage=passages[rank], quote=QUOTE_SEPARATOR.join(quotes[n]))
        for rank, n in numbers.items()
    )
    return "\n\n".join(parts) if any("\n" in p for p in parts) else " ".join(parts), citations
