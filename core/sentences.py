"""Swedish-aware sentence splitting, shared by chunking and extractive answering.

A sentence ends at ".", "!", "?" or "…" (plus closing quotes/brackets) followed by whitespace
and something that can start a sentence. Abbreviations ("t.ex.", "bl.a.", "kap."), initials
("T. M. Kauppinen") and list numbers ("1.") never end one; nor does a period followed by a
lowercase word. Blank lines and new bullet lines always start a new sentence.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    """
    t.ex. bl.a. s.k. m.m. m.fl. mfl. enl. kap. osv. o.s.v. dvs. d.v.s. ca. c:a resp. jfr. jmf.
    p.g.a. pga. fr.o.m. t.o.m. f.d. st. nr. sid. ev. inkl. exkl. prop. dir. ang. avd. dnr.
    tel. kl. forts. uppl. red. ff. vol. bil. anm. tex. etc. e.d. o.d. m.a.o. s.a.s. t.v.
    bl. ex. mr. dr. fig. tab. ref. mom. förf. uppdr. ggr. proc. jan. feb. aug. sept. okt. nov.
    """.split()  # noqa: SIM905 (a word list reads better as text)
)

_TERMINATOR = re.compile(r"(?:\.\.\.|[.!?…])[”\"'’)\]]*(?=\s)")
_STARTER = re.compile(r"[A-ZÅÄÖÉÜ0-9”\"'’(\[–—•\-]")
_LIST_NUMBER = re.compile(r"^\(?(?:\d{1,3}|[ivx]{1,4}|[a-z])[.)]$", re.IGNORECASE)
_PARAGRAPH = re.compile(r"\n\s*\n")
_BULLET_LINE = re.compile(r"\n(?=[ \t]*(?:[•▪◦●*\-–]\s|\d{1,3}[.)]\s))")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, in order, each a stripped substring of it."""
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`."""
    spans: list[tuple[int, int]] = []
    for start, end in _hard_parts(text):
        spans.extend(_split_part(text, start, end))
    return spans


def _hard_parts(text: str) -> list[tuple[int, int]]:
    """Blank lines and new bullet lines are boundaries regardless of punctuation."""
    cuts = sorted(
        {0, len(text)}
        | {m.start() for m in _PARAGRAPH.finditer(text)}
        | {m.end() for m in _PARAGRAPH.finditer(text)}
        | {m.start() for m in _BULLET_LINE.finditer(text)}
    )
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if text[a:b].strip()]


def _split_part(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    begin = start
    for match in _TERMINATOR.finditer(text, start, end):
        cut = match.end()
        if _ends_sentence(text, begin, match.start(), cut, end):
            spans.append(_strip(text, begin, cut))
            begin = cut
    spans.append(_strip(text, begin, end))
    return [(a, b) for a, b in spans if b > a]


_NEXT_CHAR = re.compile(r"\s*(\S)")


def _ends_sentence(text: str, begin: int, mark: int, cut: int, end: int) -> bool:
    # Only what is near the mark is looked at, never the whole rest or the whole sentence so
    # far: a paragraph of 300 000 characters has thousands of marks (quadratic otherwise).
    following = _NEXT_CHAR.match(text, cut, end)
    if following is None or not _STARTER.match(following.group(1)):
        return False
    if text[mark] in "!?…":
        return True
    token = _last_word(text, begin, mark + 1).lstrip("(”\"'’[").lower()
    if token in ABBREVIATIONS or re.fullmatch(r"[^\W\d_]\.", token) or token.endswith("§."):
        return False
    if re.fullmatch(r"(?:[^\W\d_]\.){2,}", token):  # other dotted abbreviations: "a.a."
        return False
    first, last = _strip(text, begin, mark + 1)
    return last - first > _MAX_LIST_NUMBER or not _LIST_NUMBER.match(text[first:last])


_MAX_LIST_NUMBER = 8  # "(iii)." at most: longer text is never a list number


def _last_word(text: str, begin: int, end: int) -> str:
    """The last whitespace-separated word of text[begin:end]."""
    while end > begin and text[end - 1].isspace():
        end -= 1
    start = end
    while start > begin and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
