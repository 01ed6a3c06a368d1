"""Check an LLM answer against its sources, sentence by sentence.

A small model names JO where the text says IVO, or invents a name, while citing a real
source. So every sentence must (a) cite at least one passage that exists, (b) share at least
`threshold` of its content words with the cited passages, and (c) contain no name, acronym or
number that those passages lack. Sentences failing any of these are removed and listed in
`flagged`; the caller falls back to the extractive answer when nothing is left.

Words are compared casefolded, without diacritics, and by prefix, so inflections meet
("tillsyn"/"tillsynen", "utövar"/"utöva") but compounds that only share a first part do not
("socialnämnden"/"socialtjänsten"); see `_same_word`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from assistant.prompt import REFUSAL_PHRASE
from assistant.types import Passage
from core import markers
from core.sentences import split_sentences
from core.textnorm import fold, is_stop_word, tokenize

SUPPORT_THRESHOLD = 0.6  # share of a sentence's content words found in its cited passages

_LEADING_MARKERS = re.compile(r"^(?:\s*" + markers.MARKER.pattern + r")+", re.IGNORECASE)
_GLUED_MARKER = re.compile(r"([.!?])(\[)")  # "tillsyn.[1] JO …" → "tillsyn. [1] JO …"
_MARKDOWN = re.compile(r"\*\*|__|^#+\s*|^\s*[-*•]\s+", re.MULTILINE)

# Words an answer adds around the facts ("Enligt källan …"); they are not claims.
_FRAME_WORDS = frozenset(
    fold(w)
    for w in [
        "enligt",
        "källa",
        "källan",
        "källor",
        "källorna",
        "texten",
        "dokumentet",
        "avsnittet",
        "står",
        "framgår",
        "beskrivs",
        "nämns",
        "exempelvis",
        "exempel",
        "också",
        "även",
        "dessutom",
        "viktigt",
        "alltså",
        "därför",
    ]
)


# Actors: who does what is the claim a small model gets wrong most ("Socialnämnden utövar
# tillsyn" where the text says IVO), and a sentence's first word is never seen as a name.
_ACTOR = re.compile(
    r"(?:namnd|myndighet|styrelse|inspektion|ombudsman|domstol|forvaltningsratt|kammarratt"
    r"|kommun|region|polis|verk|kassa|socialtjanst)\w{0,4}$"  # with an inflection ending
)


@dataclass(frozen=True)
class GroundingResult:
    text: str  # the kept sentences with their markers, ready to show
    kept: tuple[str, ...]
    flagged: tuple[str, ...]  # removed: uncited, citing no existing passage, or unsupported
    cited_numbers: tuple[int, ...]  # passage numbers cited by kept sentences, first use first
    refused: bool = False  # the model gave the refusal phrase and nothing supported


def parse_citations(text: str) -> list[tuple[str, list[int]]]:
    """Sentences of `text` with their marker numbers, markers removed from the sentence.
    A marker right after a sentence's full stop ("… tillsyn. [1]") belongs to that sentence."""
    text = _MARKDOWN.sub("", _GLUED_MARKER.sub(r"\1 \2", text))
    out: list[tuple[str, list[int]]] = []
    for raw in split_sentences(text):
        leading = _LEADING_MARKERS.match(raw)
        # "… tillsyn. [1] JO …": a marker after a full stop closes the sentence before, unless
        # that one has its own markers or the marker starts a line ("[2] Den del …").
        if leading and out and not out[-1][1] and not _starts_line(text, raw):
            out[-1][1].extend(_numbers(leading.group()))
            raw = raw[leading.end() :]
        numbers = _numbers(raw)
        sentence = re.sub(r"\s{2,}", " ", markers.strip(raw)).strip()
        if sentence:
            out.append((sentence, numbers))
        elif out:
            out[-1][1].extend(numbers)
    return [(s, list(dict.fromkeys(ns))) for s, ns in out]


def _starts_line(text: str, sentence: str) -> bool:
    at = text.find(sentence)
    return at <= 0 or text[:at].rstrip(" \t").endswith("\n")


def _numbers(text: str) -> list[int]:
    return [n for marker in markers.find(text) for n in marker.numbers]


def is_refusal(text: str) -> bool:
    """True when `text` is (or starts with) the fixed refusal phrase, whatever the case."""
    return _plain(text).startswith(_plain(REFUSAL_PHRASE))


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", markers.strip(text).casefold()).split())


# --- word matching -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    key: str  # folded lowercase form
    critical: bool  # a name, acronym or number: must be found, not just counted


def _words(text: str) -> list[_Word]:
    words = []
    for i, token in enumerate(tokenize(markers.strip(text))):
        if token == "§" or is_stop_word(token):
            continue
        key = fold(token)
        if key in _FRAME_WORDS:
            continue
        if token.isdigit():
            critical = True
        elif token[:1].isdigit() or not token[:1].isalpha():
            critical = False
        else:
            uppers = sum(c.isupper() for c in token)
            # Acronyms ("IVO", "SoL") anywhere; capitalised words after the first are names
            # in Swedish, which does not capitalise nouns.
            critical = uppers >= 2 or (i > 0 and token[0].isupper()) or bool(_ACTOR.search(key))
        words.append(_Word(key, critical))
    return words


def _same_word(a: str, b: str) -> bool:
    """Equal, or (both ≥ 4 letters) sharing a prefix that leaves at most 3 letters of the
    shorter word, and at least 4: an inflection, not a different compound."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 4 or a.isdigit() or b.isdigit():
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(4, shorter - 3)


class _Vocabulary:
    """The word keys of a passage, indexed by their first four letters."""

    def __init__(self, text: str) -> None:
        self.keys = {w.key for w in _words(text)}
        # The first word of a sentence is never critical, so index every token's key here.
        self.keys |= {fold(t) for t in tokenize(text)}
        self.by_prefix: dict[str, set[str]] = {}
        for key in self.keys:
            self.by_prefix.setdefault(key[:4], set()).add(key)

    def has(self, key: str) -> bool:
        if key in self.keys:
            return True
        return any(_same_word(key, k) for k in self.by_prefix.get(key[:4], ()))


def _score(words: list[_Word], has: Callable[[str], bool]) -> float:
    if not words:
        return 1.0  # nothing claimed ("Ja.")
    if any(w.critical and not has(w.key) for w in words):
        return 0.0
    return sum(has(w.key) for w in words) / len(words)


def support_score(sentence: str, passage_text: str) -> float:
    """Share of the sentence's content words found in the passage, 0.0 when a name, acronym
    or number of the sentence is missing from it, 1.0 for a sentence with no content words."""
    return _score(_words(sentence), _Vocabulary(passage_text).has)


def evidence(passage: Passage) -> str:
    """What a sentence citing `passage` is checked against: its text, title and section.
    Not the publisher: the model wrote "lex Sarah i Socialstyrelsens verksamheter", true of
    no passage, and the publisher's name let it through."""
    return " \n".join([passage.title, passage.section_path, passage.text])


def check_grounding(
    text: str,
    passages_by_n: Mapping[int, Passage],
    threshold: float = SUPPORT_THRESHOLD,
) -> GroundingResult:
    """Keep the sentences supported by the passages they cite; flag the rest."""
    kept: list[str] = []
    rendered: list[str] = []
    flagged: list[str] = []
    cited: list[int] = []
    refusal_seen = False
    vocabularies: dict[int, _Vocabulary] = {}
    for sentence, numbers in parse_citations(text):
        if is_refusal(sentence):
            refusal_seen = True
            continue
        valid = [n for n in numbers if n in passages_by_n]
        if not valid:
            flagged.append(sentence)
            continue
        for n in valid:
            if n not in vocabularies:
                vocabularies[n] = _Vocabulary(evidence(passages_by_n[n]))
        words = _words(sentence)
        # The numbers whose passage supports the sentence on its own; failing that, the cited
        # passages together (one sentence may join facts from two).
        supporting = [n for n in valid if _score(words, vocabularies[n].has) >= threshold]
        if not supporting:
            joint = _Joint([vocabularies[n] for n in valid])
            if _score(words, joint.has) < threshold:
                flagged.append(sentence)
                continue
            supporting = valid
        valid = supporting
        kept.append(sentence)
        rendered.append(f"{sentence} [{', '.join(map(str, valid))}]")
        cited.extend(n for n in valid if n not in cited)
    return GroundingResult(
        text=" ".join(rendered),
        kept=tuple(kept),
        flagged=tuple(flagged),
        cited_numbers=tuple(cited),
        refused=refusal_seen and not kept,
    )


class _Joint:
    """Several passages' vocabularies seen as one."""

    def __init__(self, parts: list[_Vocabulary]) -> None:
        self.parts = parts

    def has(self, key: str) -> bool:
        return any(v.has(key) for v in self.parts)
