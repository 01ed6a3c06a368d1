"""Rule-based rewriting of follow-up questions into standalone ones (extractive mode).

"och om klienten inte samtycker?" after "vad gäller vid sekretess?" becomes
"sekretess: och om klienten inte samtycker?". Only the salient words of the previous
question are carried over — never the whole conversation — and a question that stands on
its own is returned unchanged. A follow-up is also searched with the sections the previous
answer cited in favour (`prior_sections`).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import SectionKey, Turn
from core.textnorm import fold, is_stop_word, term, tokenize

MAX_CARRIED = 6  # salient words taken from the previous question
MAX_WORDS = 59  # a rewritten question stays under 60 words
MAX_DEPTH = 5  # earlier questions looked through for the topic of a chain of follow-ups

# Openings that only make sense after an earlier question (folded, as token sequences).
_OPENERS = tuple(
    tuple(fold(p).split())
    for p in (
        "och", "men", "även", "också", "samma", "vad händer om", "vad gäller om", "gäller det",
        "gäller detta", "gäller samma", "hur är det med", "hur blir det", "annars", "dvs",
        "alltså", "i så fall", "då", "innebär det", "betyder det", "räcker det", "stämmer det",
        "är det så", "vad mer",
    )
)  # fmt: skip
_WEAK_OPENERS = (("om",), ("vad", "om"))  # also open standalone questions ("Om en klient …")
_PRONOUNS = frozenset(
    fold(w)
    for w in """
    det den de dem dom detta denna dessa där dit då sådant sådana
    """.split()  # noqa: SIM905
)
# Words that point back to something named before, wherever they stand ("vilket av dem",
# "gäller dessa regler", "för sådana"), unless a relative clause says what ("dem som …").
_BACK_POINTERS = frozenset(fold(w) for w in ("dem", "dessa", "sådana", "sådant"))
# Phrases that refer to the previous answer itself ("medhandläggarskapet du nämnde").
_ANSWER_REFERENCES = tuple(
    tuple(fold(p).split())
    for p in ("du nämnde", "du nämner", "du skrev", "du sa", "du sade", "ovan", "förra svaret")
)
# A pronoun that ends a question, but for particles, refers back ("hur många dagar är det?",
# "hur ofta ses den över?"); one earlier is often a dummy subject ("finns det …", "är det …").
_END_PRONOUNS = _PRONOUNS - {fold("då")}
MAX_END_CONTENT = 2  # a question with more of its own words than this names its own topic
# Question and filler words that carry no topic, beyond the stop words.
_NOT_SALIENT = frozenset(
    fold(w)
    for w in """
    händer hända hände innebär betyder menas fungerar funkar göra gör brukar
    fråga frågor undrar tänker exempel typ sätt fall ok okej tack hej snälla hjälp
    """.split()  # noqa: SIM905 (word lists read better as text)
)


def rewrite_followup(question: str, history: Sequence[str]) -> str:
    """`question` made standalone using `history` (earlier user questions, most recent
    last); unchanged when it does not look like a follow-up or there is no history."""
    if not history or not is_followup(question):
        return question
    previous = rewrite_followup(history[-1], history[-MAX_DEPTH:-1])
    own = {term(w) for w in salient_words(question)}
    candidates = [w for w in salient_words(previous) if term(w) not in own]
    # Long words carry the topic ("yrkesintroduktionen"); short ones rarely do ("nya").
    keep = set(sorted(range(len(candidates)), key=lambda i: -len(candidates[i]))[:MAX_CARRIED])
    carried = [w for i, w in enumerate(candidates) if i in keep]
    if not carried:
        return question
    budget = MAX_WORDS - len(question.split())
    if budget < 1:
        return question
    return f"{' '.join(carried[:budget])}: {question.strip()}"


def prior_sections(question: str, history: Sequence[Turn]) -> tuple[SectionKey, ...]:
    """The sections a follow-up refers to: those the previous answer cited. None for a
    question that stands on its own, or after a refusal."""
    if not history or not is_followup(question):
        return ()
    return history[-1].cited


def is_followup(question: str) -> bool:
    tokens = [fold(t) for t in tokenize(question)]
    if not tokens:
        return False
    content = salient_words(question)
    if len(tokens) <= 2 or not content:
        return True  # "Varför?", "Och LSS?", "Hur då?"
    if any(tuple(tokens[: len(o)]) == o for o in _OPENERS):
        return True
    if any(tuple(tokens[: len(o)]) == o for o in _WEAK_OPENERS) and len(content) <= 3:
        return True
    if any(_contains(tokens, r) for r in _ANSWER_REFERENCES):
        return True
    if any(t in _BACK_POINTERS and tokens[i + 1 : i + 2] != ["som"] for i, t in enumerate(tokens)):
        return True
    if _last_word(tokens) in _END_PRONOUNS and len(content) <= MAX_END_CONTENT:
        return True
    return bool(_PRONOUNS & set(tokens)) and len(content) <= 1


def _last_word(tokens: Sequence[str]) -> str:
    """The last token that is not a particle or other stop word ("den" in "ses den över")."""
    for token in reversed(tokens):
        if token in _PRONOUNS or not is_stop_word(token):
            return token
    return ""


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == tuple(phrase) for i in range(len(tokens) - n + 1))


def salient_words(text: str) -> list[str]:
    """The topic-bearing words of `text`, as written, each term once, in order.
    Follow-up prefixes of an earlier rewrite ("sekretess:") come along as words too."""
    out: list[str] = []
    seen: set[str] = set()
    for token in tokenize(text):
        folded = fold(token)
        if (
            is_stop_word(token)
            or folded in _NOT_SALIENT
            or folded in _PRONOUNS
            or not any(ch.isalpha() for ch in token)
            or len(token) < 2
        ):
            continue
        t = term(token)
        if t not in seen:
            seen.add(t)
            out.append(token)
    return out
