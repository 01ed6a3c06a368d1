"""Detection of personal names in Swedish text, for `assistant.privacy` to mask.

Names come from Faker's sv_SE person provider: the 1,000 most common Swedish first names
(women's and men's, including names common among Swedes born abroad, "Mohammed", "Fatima")
and the 500 most common surnames. A list alone cannot tell "Bo" the name from "bo" (live),
nor "lex Sarah" from Sarah, so a word is a name only in context:

- a first name followed by a surname ("Anna Svensson", "anna svensson", "Mohammed Ali"),
  where a surname is a listed one, one shaped like a Swedish surname ("-sson", "-berg",
  "-ström", …) or another first name, and double surnames run on ("Svensson Lind");
- a first name after a word that introduces a person ("min klient Anna", "mamman Fatima"),
  and any capitalised word after "heter"/"kallas" ("hon heter Zeynep");
- a capitalised first name of three letters or more on its own, unless it is also an
  ordinary word ("Bo", "Klara", "Stig": a capital may only mean the start of a sentence) or
  the context makes it a law, a place or a feast ("lex Maria", "Nora kommun", "i
  Vilhelmina", "Lucia");
- a capitalised listed surname after a first name or a word such as "familjen", "herr",
  "fru", or on its own in mid-sentence ("ring Lindqvist").

Lowercase first names are names only in the first two cases, and never when they are also
ordinary words. Unlisted names ("Zeynep Yilmaz") are found only after "heter" or by their
surname's shape; that is where recall is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names that are also ordinary Swedish words (or month/weekday abbreviations), compared
# in lower case: never names in lower case or at the start of a sentence on their own.
COMMON_WORDS = _words(
    "bo bror dag dan del ben björn edit frans gun hans inga iris juni karl kaj klara lina "
    "liv lo lova love maj malva mark max mina minna my per rita rosa rut saga sam sten stig "
    "tilde tim tina tindra tom tor tuva urban ville vide viola ask sol linnea"
)
# Capitalised words that are not people even where a name could stand: feasts, months.
NEVER_ALONE = _words("lucia valborg juni maj")
# A name directly after these is a law or a place, not a person ("lex Sarah", "S:t Maria").
NOT_AFTER = _words("lex sankt st")
# A capitalised name on its own directly after these is usually a place ("bor i Nora").
PLACE_BEFORE = _words("i från till mot vid utanför nära")
# A word directly before these is a place or an institution ("Mark kommun", "Maria Ungdom").
PLACE_AFTER = _words(
    "kommun kommuns kommunen län läns stad stads församling församlings sjukhus skola "
    "skolan gymnasium gymnasiet mottagning mottagningen ungdom kyrka kyrkan region "
    "regionen gata gatan väg vägen torg torget"
)
# Words that introduce a person: the next word is taken for a name if it is a first name.
CUES = _words(
    "klient klienten sökande sökanden brukare brukaren mamma mamman pappa pappan mor "
    "modern far fadern barn barnet barnen dotter dottern son sonen make maken maka makan "
    "fru frun hustru hustrun sambo sambon partner partnern kvinnan mannen pojken flickan "
    "syster systern brodern kollega kollegan handläggare handläggaren patient patienten "
    "eleven ungdomen personen vårdnadshavare vårdnadshavaren familjen herr fröken "
    "mormor morfar farmor farfar kusin kusinen vän vännen dottern"
)
# After these any capitalised word is a name, listed or not ("hon heter Zeynep").
NAMING = _words("heter hette")
ASKING = _words("vad hur det")  # before "heter": a question about the name of a thing
# Capitalised words that never continue a name ("Anna Försäkringskassan" is two things).
INSTITUTIONS = _words(
    "sverige socialstyrelsen socialtjänsten försäkringskassan arbetsförmedlingen "
    "skatteverket kronofogden migrationsverket polisen ivo jo kommunen regionen"
)
# Shapes of Swedish surnames, checked only for a word after a first name.
_SURNAME_SHAPE = re.compile(
    r"(?:s?son|dotter|berg|bergh|ström|qvist|kvist|quist|gren|lund|holm|dahl|blad|stedt|"
    r"sjö|ér|én|ius|ander|ell)s?$"
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n•]|^\s*-)[\s\"'»”(]*$")


@dataclass(frozen=True)
class NameLists:
    first: frozenset[str]  # lower case
    last: frozenset[str]  # lower case


@lru_cache(maxsize=1)
def name_lists() -> NameLists:
    """Faker's sv_SE first names and surnames, in lower case."""
    from faker.providers.person.sv_SE import Provider

    first = {*Provider.first_names_female, *Provider.first_names_male}
    return NameLists(
        frozenset(n.casefold() for n in first),
        frozenset(n.casefold() for n in Provider.last_names),
    )


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return self.text.casefold()

    @property
    def capitalised(self) -> bool:
        """Upper-case initial, not all capitals ("EK", "BO" are abbreviations)."""
        return self.text[0].isupper() and not self.text.isupper()


def find_names(text: str) -> list[tuple[int, int]]:
    """Start and end of each personal name in `text`, a full name as one span."""
    lists = name_lists()
    tokens = [_Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        length = _name_at(text, tokens, i, lists)
        if length:
            spans.append((tokens[i].start, tokens[i + length - 1].end))
            i += length
        else:
            i += 1
    return spans


def _name_at(text: str, tokens: list[_Token], i: int, lists: NameLists) -> int:
    """How many tokens from `i` make a name (0 if `tokens[i]` starts none)."""
    token = tokens[i]
    before = tokens[i - 1].lower if i > 0 and _adjacent(text, tokens[i - 1], token) else ""
    after = tokens[i + 1].lower if i + 1 < len(tokens) else ""
    if before in NOT_AFTER or after in PLACE_AFTER:
        return 0
    surnames = sum(1 for _ in _surnames(text, tokens, i + 1, lists, token.capitalised))
    asked = i > 1 and tokens[i - 2].lower in ASKING  # "Vad heter Socialstyrelsens …?"
    if before in NAMING and not asked and (token.capitalised or _is_first(token, lists)):
        return 1 + surnames
    if _is_first(token, lists):
        common = _common(token.lower)
        if surnames and (token.capitalised or not common):
            return 1 + surnames
        if before in CUES and (token.capitalised or not common):
            return 1
        alone = token.capitalised and not common and len(token.text) > 2
        if alone and token.lower not in NEVER_ALONE and before not in PLACE_BEFORE:
            return 1
        return 0
    surname = _base(token.lower) in lists.last and token.capitalised and len(token.text) > 2
    if surname and (
        before in CUES or not (_sentence_initial(text, token) or before in PLACE_BEFORE)
    ):
        return 1 + sum(1 for _ in _surnames(text, tokens, i + 1, lists, True))
    return 0


def _surnames(
    text: str, tokens: list[_Token], i: int, lists: NameLists, capitalised: bool
) -> Iterator[int]:
    """Indexes of the surnames that follow a first name (spaces only between them), in the
    case of the first name."""
    while (
        i < len(tokens)
        and text[tokens[i - 1].end : tokens[i].start].strip(" ") == ""
        and _is_surname(tokens[i], lists, capitalised)
    ):
        yield i
        i += 1


def _is_surname(token: _Token, lists: NameLists, capitalised: bool) -> bool:
    """A capitalised word after a capitalised first name is a surname whatever it is
    ("Sofia Lager Millton"); a lower-case one must be listed or shaped like one."""
    if token.capitalised != capitalised or token.lower in PLACE_AFTER:
        return False
    if capitalised:
        return token.lower not in INSTITUTIONS and not _common(token.lower)
    return all(
        _base(p) in lists.last or _SURNAME_SHAPE.search(p) is not None
        for p in token.lower.split("-")
    )


def _is_first(token: _Token, lists: NameLists) -> bool:
    if token.lower in lists.first:
        return True
    parts = token.lower.split("-")
    return len(parts) > 1 and all(p in lists.first for p in parts) or _genitive_first(token, lists)


def _genitive_first(token: _Token, lists: NameLists) -> bool:
    """A genitive such as "Annas"; only capitalised, as "hans" is no one's genitive."""
    return token.capitalised and token.lower.endswith("s") and token.lower[:-1] in lists.first


def _common(word: str) -> bool:
    return word in COMMON_WORDS or (word.endswith("s") and word[:-1] in COMMON_WORDS)


def _base(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _adjacent(text: str, first: _Token, second: _Token) -> bool:
    """Only space (or a comma) between two words: no sentence break."""
    return text[first.end : second.start].strip(" ,") == ""


def _sentence_initial(text: str, token: _Token) -> bool:
    return _SENTENCE_END.search(text[max(0, token.start - 40) : token.start]) is not None
