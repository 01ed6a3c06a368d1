"""Typo correction of questions against the corpus's own words.

People type fast and often without åäö: "sekretes pa soc", "far man ta muntligt samtyke",
"kompetensutvekling". A misspelt word matches nothing in BM25 and drags the dense side too,
so before retrieval each longer word the corpus does not use is replaced by the corpus word
one edit away (insertion, deletion, substitution or swap of neighbours), the most frequent
one if several; and a word typed without åäö gets the corpus's spelling with them
("forsorjningsstod" → "försörjningsstöd"), which the embedding model reads better.

Real words are the risk: "räknas" is one edit from "saknas" and "vägrar" from "vägar". So a
correction keeps the first letter (people rarely mistype it), a six-letter word is only
corrected by a substitution or swap (never shortened or lengthened), a word whose stem the
corpus uses is left alone, and English questions are not corrected at all.

A word typed in capitals ("SEKRETESS") is the corpus's lowercase word, unless the corpus itself
writes it in capitals or it is short enough to be an acronym ("LSS", "IVO"): e5 reads a shouted word as another word, and
"SEKRETESS" was refused where "sekretess" was answered.

Candidates are found with a deletion index (SymSpell): every word and each of its one-letter
deletions point to the word, so a lookup is a handful of dictionary probes, not a scan.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from core.textnorm import fold, is_english, is_stop_word, tokenize, word_terms

MIN_LENGTH = 5  # shorter words are too often another real word one edit away ("far", "när")
MIN_EDIT_LENGTH = 6  # and five-letter ones too ("hända" → "hand", "akter" → "aktör")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance ≤ 1: equal, or one insertion, deletion,
    substitution or transposition of neighbours apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True  # substitution
    return a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]  # transposition


class SpellingIndex:
    """The corpus's words by folded spelling, with the surface form most used for each."""

    def __init__(self, tokens: Iterable[str]) -> None:
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        self.capitals: set[str] = set()  # folded words the corpus writes in capitals ("lss")
        for token in tokens:
            if len(token) > 1 and token.isupper():
                self.capitals.add(fold(token))
            if len(token) >= MIN_LENGTH - 1 and token.isalpha() and not is_stop_word(token):
                surfaces[fold(token)][token.lower()] += 1
        self.counts = {key: sum(c.values()) for key, c in surfaces.items()}
        # Terms (stems) of the corpus's words: a word whose stem is among them is another
        # inflection of a word the corpus uses ("räkna" of "räknas"), not a typo.
        self.terms = {t for c in surfaces.values() for w in c for t in word_terms(w)}
        self.surface = {key: c.most_common(1)[0][0] for key, c in surfaces.items()}
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        for key in self.counts:
            if len(key) >= MIN_LENGTH - 1:
                for deleted in _deletions(key):
                    self._by_deletion[deleted].add(key)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> SpellingIndex:
        return cls(token for text in texts for token in tokenize(text))

    def shouted(self, word: str) -> bool:
        """Typed in capitals, and not an acronym: one the corpus writes so, or a short word
        ("IVO", "KBT") that may be one."""
        if not word.isupper() or fold(word) in self.capitals:
            return False
        return len(word) >= MIN_LENGTH or (len(word) > 1 and is_stop_word(word))

    def suggest(self, word: str) -> str | None:
        """The corpus spelling for `word`, or None when it is fine as typed or unknown."""
        lower = word.lower()
        if self.shouted(word):
            return self.suggest(lower) or lower
        if len(lower) < MIN_LENGTH or not lower.isalpha() or is_stop_word(lower):
            return None
        key = fold(lower)
        if key in self.counts:
            surface = self.surface[key]
            # Only restore åäö to a word typed without them; never change a spelling used.
            return surface if surface != lower and lower == key else None
        if len(key) < MIN_EDIT_LENGTH or any(t in self.terms for t in word_terms(lower)):
            return None
        candidates = set(self._by_deletion.get(key, ()))
        for deleted in _deletions(key):
            if deleted in self.counts:
                candidates.add(deleted)
            candidates |= self._by_deletion.get(deleted, set())
        near = [
            c
            for c in candidates
            if c[0] == key[0]
            and within_one_edit(key, c)
            and (len(c) == len(key) or len(key) > MIN_EDIT_LENGTH)
        ]
        if not near:
            return None
        best = max(near, key=lambda c: (self.counts[c], c))
        return self.surface[best]

    def correct(self, text: str) -> str:
        """`text` with each word the corpus would spell otherwise replaced by that spelling;
        in English only words in capitals are lowered."""
        english = is_english(text.split())  # the corpus is Swedish: "client" is no typo
        out = text
        for token in sorted(set(tokenize(text)), key=len, reverse=True):
            if english:
                fix = token.lower() if self.shouted(token) else None
            else:
                fix = self.suggest(token)
            if fix:
                out = _replace_word(out, token, fix)
        return out


def _replace_word(text: str, word: str, replacement: str) -> str:
    """Replace whole-word occurrences only ("soc" must not change inside "social")."""
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, text)
