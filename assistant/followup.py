"""Rule-based rewriting of follow-up questions into standalone ones (extractive mode).

"och om klienten inte samtycker?" after "vad gäller vid sekretess?" becomes
"sekretess: och om klienten inte samtycker?". Only the salient words of the previous
question are carried over — never the whole conversation — and a question that stands on
its own is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        "alltså", "i så fall", "då",
    )
)  # fmt: skip
_WEAK_OPENERS = (("om",), ("vad", "om"))  # also open standalone questions ("Om en klient …")
_PRONOUNS = frozenset(
    fold(w)
    for w in """
    det den de dem dom detta denna dessa där dit då sådant sådana
    """.split()  # noqa: SIM905
)
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
    return bool(_PRONOUNS & set(tokens)) and len(content) <= 1


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
