"""The default answer mode: offline, instant, and nothing in it that is not in a source.

Sentences of the retrieved passages are scored against the question and the best few are quoted
in reading order, each ending in its citation marker. With the sentence index (the normal case)
a sentence scores its e5 similarity to the question, adjusted for shared terms, passage rank and
what the question asks for, and only indexed answer material is a candidate; without it (an index
built before sentences were indexed), by shared content terms with the passage's rank as a prior. A sentence that introduces a list
("… är:") brings its list along, since it says nothing without it. The quoted text has its
brackets hidden until `renumber`, so a footnote ("SoL [2].") is not taken for a marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assistant.citations import hide_brackets
from assistant.types import Citation, Passage
from core import markers
from core.material import ANSWER, answer_units, is_list_line, list_items, role_of
from core.textnorm import content_terms

MAX_SENTENCES = 3
MAX_WORDS = 90
MAX_PASSAGES = 4  # only the best passages are quoted from
# Composing by meaning (tuned on the dev split of the reference set): a sentence scores its
# cosine similarity to the question, plus LEXICAL_WEIGHT × the share of the question's terms
# it holds, minus RANK_PENALTY per passage rank; sentences within MARGIN of the best are kept.
LEXICAL_WEIGHT = 0.05
RANK_PENALTY = 0.01
MARGIN = 0.015
NUMBER_BONUS = 0.02
LIST_PENALTY = 0.02
_ASKS_NUMBER = re.compile(
    r"\b(hur\s+(många|mycket|länge|ofta|lång|stor|gammal|snabbt)|när|vilket\s+år|antal|andel|procent|"
    r"how\s+(many|much|long|often)|when)\b",
    re.IGNORECASE,
)
DEFINITION_BONUS = 0.02
_ASKS_DEFINITION = re.compile(
    r"(vad\s+(är|innebär|betyder|menas\s+med|avses\s+med)|what\s+(is|are|does))\s+(?:en\s+|ett\s+|the\s+|a\s+)?(?P<term>.+?)[?.!]*$",
    re.IGNORECASE,
)
_DEFINES = re.compile(
    r"\b(är|innebär|betyder|avses|menas|kallas|handlar\s+om|definieras|utgör)\b", re.IGNORECASE
)
_ASKS_YES_NO = re.compile(
    r"\s*(får|kan|ska|skall|måste|bör|behöver|är|gäller|finns|har|krävs|räcker|"
    r"may|can|must|should|do|does|is|are)\b",
    re.IGNORECASE,
)
_ASKS_LIST = re.compile(
    r"\b(vilka|lista|räkna\s+upp|exempel\s+på|vad\s+ingår|which|list)\b", re.IGNORECASE
)
_NUMBER = re.compile(
    r"\d|\b(en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|hundra|dagar?|veckor?|"
    r"månader?|år)\b",
    re.IGNORECASE,
)
# A municipality's own practice is told as that municipality's, never as the rule: its plan or
# routine, or a report's section on one ("Trelleborgsmodellen": "I Trelleborg ligger …",
# "Trelleborg har …"). Not an article: one about Mullsjö also tells of Jönköpings län.
LOCAL_KINDS = frozenset({"kommunal_plan", "lokal_rutin"})
_PLACE = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäö]{3,}?)s?\s+(?:kommun|stad)\b"  # "Linköpings kommun"
    r"|\b[Ii]\s+([A-ZÅÄÖ][a-zåäö]{3,}[a-rt-zåäö])\b"  # "I Trelleborg", not "I Socialstyrelsens"
)
NOT_PLACES = frozenset({"Sverige", "Sveriges", "Norden", "Europa", "Stockholms län"})
QUOTE_SEPARATOR = " … "  # between quoted sentences of one passage that need not be adjacent


@dataclass(frozen=True)
class Scored:
    passage_rank: int
    index: float  # position of the unit in its passage (a list's item: between it and the next)
    text: str
    score: float


def unit_key(text: str) -> str:
    """How an answer unit is looked up: its text with whitespace collapsed."""
    return " ".join(text.split())


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


def score_by_meaning(
    query_terms: set[str], passages: Sequence[Passage], similarity: dict[str, float], question: str
) -> list[Scored]:
    """Indexed answer sentences of the top passages scored by their similarity to the question
    (e5), the share of the question's terms they hold, the passage's rank and what the question
    asks for. Units that are not indexed (captions, headings, questions, boilerplate) are never
    candidates."""
    asks_list = bool(_ASKS_LIST.search(question))
    asked = _ASKS_DEFINITION.match(question.strip())
    wants = _Wants(
        number=bool(_ASKS_NUMBER.search(question)),
        defined=frozenset(content_terms(asked.group("term")) if asked else ()),
    )
    scored = []
    seen: set[str] = set()
    for rank, p in enumerate(passages[:MAX_PASSAGES]):
        for i, unit in enumerate(answer_units(p.text)):
            key = unit_key(unit)
            if key not in similarity or key.casefold() in seen:
                continue
            seen.add(key.casefold())  # a sentence repeated in two passages is quoted once
            items = [
                it for it in list_items(unit) if unit_key(it) in similarity and role_of(it) == ANSWER
            ]  # an item that is a fragment or a question is no answer on its own
            if items and not asks_list:
                # A whole list only when a list is asked for; else the items that answer.
                for j, item in enumerate(items, start=1):
                    score = _score(item, similarity[unit_key(item)], query_terms, rank, wants)
                    scored.append(Scored(rank, i + j / (len(items) + 1), item, score))
                continue
            score = _score(unit, similarity[key], query_terms, rank, wants)
            if "\n" in unit and not asks_list:
                score -= LIST_PENALTY  # a whole list only when a list is asked for
            scored.append(Scored(rank, i, unit, score))
    return scored


@dataclass(frozen=True)
class _Wants:
    number: bool  # "hur många / när / hur länge": the sentence with the number or time
    defined: frozenset[str]  # "Vad är X?": the terms of X


def _score(unit: str, similarity: float, query_terms: set[str], rank: int, wants: _Wants) -> float:
    terms = content_terms(unit)
    score = similarity + LEXICAL_WEIGHT * len(query_terms & terms) / max(1, len(query_terms))
    if wants.number and _NUMBER.search(unit):
        score += NUMBER_BONUS
    if wants.defined and wants.defined <= terms and _DEFINES.search(unit):
        score += DEFINITION_BONUS  # the sentence that says what X is
    return score - RANK_PENALTY * rank


def compose(
    question_terms: set[str],
    passages: Sequence[Passage],
    similarity: dict[str, float] | None = None,
    question: str = "",
) -> tuple[str, tuple[Citation, ...]]:
    """Pick the best sentences and join them, each with its citation marker. With the
    sentences' similarity to the question (`similarity`, from the sentence index) they are
    chosen by meaning; without it, by shared terms."""
    if similarity:
        return _compose_by_meaning(question_terms, passages, similarity, question)
    scored = score_units(question_terms, passages)
    if not scored and passages:
        # Retrieval found the passage but no sentence shares a term with the question (a
        # paraphrase): quote the opening of the best passage rather than nothing.
        first = answer_units(passages[0].text)[:1]
        scored = [Scored(0, 0, first[0], 0.0)] if first else []
    best = sorted(scored, key=lambda s: -s.score)
    top = best[0].score if best else 0.0
    return _join(_pick(best, lambda s: s.score >= 0.45 * top), passages)


def _compose_by_meaning(
    question_terms: set[str], passages: Sequence[Passage], similarity: dict[str, float], question: str
) -> tuple[str, tuple[Citation, ...]]:
    best = sorted(
        score_by_meaning(question_terms, passages, similarity, question), key=lambda s: -s.score
    )
    top = best[0].score if best else 0.0
    chosen = _pick(best, lambda s: s.score >= top - MARGIN)
    # A yes/no question ("Får jag …?") is answered by its deciding sentence first.
    return _join(chosen, passages, lead=best[0] if best and asks_yes_no(question) else None)


def asks_yes_no(question: str) -> bool:
    """A question that starts with its verb ("Får en ny handläggare fatta beslut själv?")."""
    return bool(_ASKS_YES_NO.match(question))


def _pick(best: Sequence[Scored], good_enough: Callable[[Scored], bool]) -> list[Scored]:
    """The best units in order, while good enough, within the sentence and word budgets."""
    chosen: list[Scored] = []
    words = 0
    for s in best:
        if len(chosen) >= MAX_SENTENCES:
            break
        if chosen and not good_enough(s):
            break
        n_words = len(s.text.split())
        if chosen and words + n_words > MAX_WORDS:
            continue
        chosen.append(s)
        words += n_words
    return chosen


def local_place(passage: Passage) -> str | None:
    """The municipality whose own practice a passage describes, or None for guidance.

    A local document names it in its metadata. In a report, a place is a municipality's when
    the text says so ("I Trelleborg …", "Linköpings kommun") and the section is about it too:
    its heading names it, or the passage names it again."""
    if passage.kind in LOCAL_KINDS:
        return passage.municipality
    if passage.kind != "rapport":
        return None
    headings = " ".join(passage.section)
    for match in _PLACE.finditer(passage.text):
        place = match.group(1) or match.group(2)
        if place in NOT_PLACES:
            continue
        if place in headings or passage.text.count(place) >= 2:
            return place
    return None


def attributed(text: str, place: str | None) -> str:
    """A quoted unit told as `place`'s practice, unless it names the place itself."""
    if not place or place in text:
        return text
    return f"I {place} – {text}"


def _join(
    chosen: list[Scored], passages: Sequence[Passage], lead: Scored | None = None
) -> tuple[str, tuple[Citation, ...]]:
    """The chosen units in reading order, grouped by passage, each with its marker; `lead`
    and its passage first. A local practice says whose it is."""
    first = lead.passage_rank if lead else -1
    chosen = sorted(
        chosen, key=lambda s: (s.passage_rank != first, s.passage_rank, s is not lead, s.index)
    )
    numbers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    parts = []
    for s in chosen:
        first_of_source = s.passage_rank not in numbers
        n = numbers.setdefault(s.passage_rank, len(numbers) + 1)
        quotes.setdefault(n, []).append(s.text)
        text = hide_brackets(s.text)
        if first_of_source:  # said once per source: its sentences follow together
            text = attributed(text, local_place(passages[s.passage_rank]))
        parts.append(f"{text} {markers.format_marker([n])}")
    citations = tuple(
        Citation(n=n, passage=passages[rank], quote=QUOTE_SEPARATOR.join(quotes[n]))
        for rank, n in numbers.items()
    )
    return "\n\n".join(parts) if any("\n" in p for p in parts) else " ".join(parts), citations


def list_intro(unit: str) -> str:
    """The sentence that introduces a list unit ("… följande erfarenheter:"), if it has one."""
    first = unit.split("\n", 1)[0].strip()
    return "" if is_list_line(first) else first


def own_similarity(passage: Passage, similarity: Mapping[str, float]) -> dict[str, float]:
    """The similarities of the answer sentences that are in `passage`."""
    keys = {unit_key(unit) for unit in answer_units(passage.text)}
    return {key: score for key, score in similarity.items() if key in keys}
