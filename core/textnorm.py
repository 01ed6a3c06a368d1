"""Swedish text normalisation for lexical matching: tokens, terms, stop words, compounds.

A *term* is what lexical matching compares: the Snowball stem of the lowercase word, then
diacritics folded (å→a, ä→a, ö→o, é→e) and doubled letters collapsed ("sekretess" →
"sekretes"). Stemming sees the real åäö; folding afterwards lets a query typed without
them meet the documents; collapsing doubles forgives the commonest misspelling
("sekretesen"). A word with diacritics also yields the stem of its folded form, so that an
unaccented query ("bistandet", stemmed without å) meets the accented document
("biståndet") — both sides go through the same function, so they always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

_stemmer = Stemmer.Stemmer("swedish")

# Numbers (with SFS-style "2001:453" and decimals), "§", dotted abbreviations ("t.ex."),
# then words; a genitive or inflection after a colon ("SoL:s", "SIP:en") stays with its word.
_TOKEN = re.compile(
    r"\d+(?:[:,.]\d+)*"
    r"|§"
    r"|[^\W\d_]{1,3}(?:\.[^\W\d_]{1,3})+\b\.?"
    r"|[^\W_]+(?::[^\W\d_]{1,4}\b)?"
)
_DOUBLES = re.compile(r"([^\W\d_])\1+")

# Function words (and English ones, for questions in English), in their proper spelling.
# Checked against the lowercase word, and against the folded form only when the word was
# typed without diacritics — so "år" (year) is kept although "är" is a stop word, while
# "nar far man" (when may one) is dropped.
STOP_WORDS: frozenset[str] = frozenset(
    """
    och i att det som en ett på är av för med till den de dem dom har hade ha inte om men
    var jag vi du ni han hon hen man mig dig oss er sig sin sitt sina min mitt mina din ditt
    dina hans hennes dess deras vår vårt våra ert era denna detta dessa så kan kunna få får
    fick ska skall skulle vill måste bör vad hur när vem vilka vilken vilket varför där här
    från eller också även då sedan nu än ju nog bara mycket mer mest redan vid under över
    efter innan mot mellan utan genom hos ur åt samt dvs t.ex bl.a m.m osv bli blir blev
    blivit vara varit är gör göra gjort gjorde något någon några inget ingen inga alla allt
    varje sådan sådant sådana samma gäller finns fanns
    the a an of to in on at for and or is are was be what which who how when why does do did
    can could should my your it this that with about
    """.split()  # noqa: SIM905 (word lists read better as text)
)

# Fast path for the letters Swedish text has; anything else goes through NFD.
_FOLD = str.maketrans("åäöéèáàüëïôûçñø", "aaoeeaaueioucno")


def fold(text: str) -> str:
    """Casefold, NFC and strip diacritics: "Socialtjänstlagen" → "socialtjanstlagen"."""
    quick = text.casefold().translate(_FOLD)
    if quick.isascii():
        return quick
    decomposed = unicodedata.normalize("NFD", quick)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


_FOLDED_STOP_WORDS = frozenset(fold(w) for w in STOP_WORDS)


def tokenize(text: str) -> list[str]:
    """Words, numbers, abbreviations and "§", in order and case as written (NFC).
    "SoL:s 4 kap. 1 §, t.ex." → ["SoL", "4", "kap", "1", "§", "t.ex"]."""
    tokens = []
    for match in _TOKEN.finditer(unicodedata.normalize("NFC", text)):
        token = match.group().rstrip(".")
        if ":" in token and not token[0].isdigit():
            token = token.split(":", 1)[0]
        tokens.append(token)
    return tokens


@lru_cache(maxsize=100_000)
def is_stop_word(token: str) -> bool:
    word = token.lower()
    return word in STOP_WORDS or (word == fold(word) and word in _FOLDED_STOP_WORDS)


def _stem(word: str) -> str:
    stem = _stemmer.stemWord(word)
    # Snowball leaves the neuter definite "-et" ("biståndet", "samtycket"); strip it so the
    # forms meet ("bistånd", "samtycke" → "samtyck"). Applied to every word alike.
    if stem.endswith("et") and len(stem) >= 6:
        stem = stem[:-2]
    return stem


def _collapse(term: str) -> str:
    return _DOUBLES.sub(r"\1", term)


@lru_cache(maxsize=200_000)
def word_terms(token: str) -> tuple[str, ...]:
    """The term of one token, plus the term of its folded spelling when that differs.
    The first element is the primary term."""
    word = token.lower()
    if not word[:1].isalpha():
        return (word,)  # numbers and "§" as they are
    primary = _collapse(fold(_stem(word)))
    folded = fold(word)
    if folded == word:
        return (primary,)
    alternate = _collapse(_stem(folded))
    return (primary,) if alternate == primary else (primary, alternate)


def term(token: str) -> str:
    """The primary term of one token: "Sekretessen" → "sekretes"."""
    return word_terms(token)[0]


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The known words of a corpus, for `compound_parts`: how often each folded spelling and
    each term occurs, and the prefixes of the spellings (to stop scanning early)."""

    spellings: Mapping[str, int]
    terms: Mapping[str, int]
    prefixes: frozenset[str]
    # compound_parts results; lives and dies with this vocabulary
    splits: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_tokens(cls, tokens: Iterable[str]) -> Vocabulary:
        spellings: Counter[str] = Counter()
        terms: Counter[str] = Counter()
        for token, count in Counter(tokens).items():
            if len(token) >= 3 and token.isalpha() and not is_stop_word(token):
                spellings[fold(token)] += count
                for t in word_terms(token):
                    terms[t] += count
        prefixes = frozenset(s[:k] for s in spellings for k in range(1, len(s) + 1))
        return cls(dict(spellings), dict(terms), prefixes)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        return cls.from_tokens(token for text in texts for token in tokenize(text))


# Endings that look like words but only ever end one ("utred|ning", "följ|ande").
_NOT_TAILS = frozenset(
    """
    ande ende ning ningar ningen ningarna else elsen elser lighet ighet heten tion tionen
    tioner erna arna orna ernas arnas ingar ingen ings liga ligt iska iskt aren arens skap
    """.split()  # noqa: SIM905
)
# Heads with these endings always take a linking s: "utveckling|s|arbete", not "|sarbete".
_TAKE_S = ("ing", "het", "tion", "else", "dom", "skap", "nad", "ung")
# A split is ranked by (parts, -rarest part's count, linking s, -len(first part)), lowest first.
_Split = tuple[tuple[int, int, int, int], list[str]]


def compound_parts(
    word: str, vocabulary: Vocabulary, min_part: int = 4, max_parts: int = 4
) -> list[str]:
    """Split a Swedish compound into known parts: "sekretessbrytande" → ["sekretess",
    "brytande"], "försörjningsstöd" → ["försörjning", "stöd"] (linking s dropped),
    "sekretesskydd" → ["sekretess", "skydd"] (the shared s of a reduced triple restored).

    A head part must be a word of `vocabulary` as spelt, or the term of one ("sekretess" when
    only "sekretessen" occurs; "arbet|s|situation"); the last part may be inflected. Fewest
    parts win, then the split whose rarest part is most common (fragments such as
    "socialsekre|terare" left by line breaks are rare), then fewest linking s. Returns [] when
    there is no split into 2..max_parts parts.
    """
    w = word.lower()
    key = f"{w}/{min_part}/{max_parts}"
    if key not in vocabulary.splits:
        vocabulary.splits[key] = _compound_parts(w, vocabulary, min_part, max_parts)
    return list(vocabulary.splits[key])


def _compound_parts(
    w: str, vocabulary: Vocabulary, min_part: int, max_parts: int
) -> tuple[str, ...]:
    fw = fold(w)
    n = len(w)
    if n < 2 * min_part or not w.isalpha() or len(fw) != n:
        return ()
    stem_len = len(_collapse(fold(_stem(w))))
    collapsed_len = [0] * (n + 1)  # len(_collapse(fw[:i])), without calling it n times
    for k in range(n):
        collapsed_len[k + 1] = collapsed_len[k] + (k == 0 or fw[k] != fw[k - 1])
    # Left to right: the best way to reach each position with head parts, then a tail.
    reach: dict[int, _Split] = {0: ((0, -(10**9), 0, 0), [])}
    done: list[_Split] = []
    for i in range(n - min_part + 1):
        if i not in reach or fw[i] == fw[i + 1]:
            continue  # unreachable, or a part would start with a doubled letter
        (parts, rarest, links, first), heads = reach[i]
        # A tail; heads covering the word's own stem are stem + ending ("handläg|gare").
        if heads and collapsed_len[i] < stem_len - 1:
            count = _tail_count(w[i:], fw[i:], vocabulary)
            if count:
                done.append(((parts + 1, max(rarest, -count), links, first), [*heads, w[i:]]))
        if len(heads) + 2 > max_parts:
            continue
        collapsed = _collapse(fw[i : i + min_part - 1])  # grown a letter at a time below
        for j in range(i + min_part, n - min_part + 1):
            head = fw[i:j]
            if head not in vocabulary.prefixes:
                break
            if fw[j - 1] != collapsed[-1:]:
                collapsed += fw[j - 1]
            as_term = vocabulary.terms.get(collapsed, 0)
            count = max(vocabulary.spellings.get(head, 0), as_term if len(head) >= 5 else 0)
            ways = []  # (surface part, its count, where the rest starts, linking s)
            if count and not (fw[j] == "s" and head.endswith(_TAKE_S)):
                ways.append((w[i:j], count, j, 0))
            if fw[j] == "s" and (count or as_term):
                ways.append((w[i:j], count or as_term, j + 1, 1))  # "arbet|s|situation"
            if fw[j - 1] == fw[j] and head + fw[j] in vocabulary.spellings:
                # "sekretes|skydd": a reduced triple s; the head gets its s back
                ways.append((w[i:j] + w[j], max(count, vocabulary.spellings[head + fw[j]]), j, 0))
            for part, part_count, rest_at, link in ways:
                score = (parts + 1, max(rarest, -part_count), links + link, first or -len(part))
                if rest_at not in reach or score < reach[rest_at][0]:
                    reach[rest_at] = (score, [*heads, part])
    return tuple(min(done, key=lambda option: option[0])[1]) if done else ()


def _tail_count(tail: str, folded: str, vocabulary: Vocabulary) -> int:
    if folded in _NOT_TAILS:
        return 0
    terms = word_terms(tail)
    if folded in vocabulary.spellings:
        return max(vocabulary.spellings[folded], *(vocabulary.terms.get(t, 0) for t in terms))
    # An inflected form of a known word; short stems ("ätt" of "ätter") match too much.
    return max((vocabulary.terms.get(t, 0) for t in terms if len(t) >= 4), default=0)


def analyze(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """The terms of `text` for BM25: content words only, in order, compound parts
    (split against `vocabulary`) after their word."""
    out: list[str] = []
    for token in tokenize(text):
        if is_stop_word(token):
            continue
        out.extend(word_terms(token))
        if vocabulary is not None:
            for part in compound_parts(token, vocabulary):
                out.append(term(part))
    return out


def content_terms(text: str, vocabulary: Vocabulary | None = None) -> set[str]:
    """The distinct terms of the content words of `text` ("§" and one-digit numbers left
    out), for overlap measures between a question and a passage."""
    return {t for t in analyze(text, vocabulary) if t != "§" and not (t.isdigit() and len(t) < 2)}


# Function words of English that are not also Swedish words (so not "i", "in", "be", "for",
# which Swedish uses or which stand for "för" typed without ö).
# fmt: off
ENGLISH_MARKERS = frozenset([
    "the", "what", "who", "how", "is", "are", "am", "does", "do", "did", "can", "could",
    "which", "why", "when", "where", "should", "would", "our", "we", "you", "my", "your", "of",
    "and", "or", "on", "to", "with", "about", "from", "a", "an", "this", "that", "there",
    "have", "has", "get", "need",
])
# fmt: on


def is_english(words: list[str]) -> bool:
    """At least two English function words ("what's" counts as "what")."""
    lowered = [w.casefold().split("'")[0].split("\u2019")[0] for w in words]
    return sum(w in ENGLISH_MARKERS for w in lowered) >= 2
