"""Robust matching of gold quotes against document and passage text.

Gold quotes are copied from the corpus files, but the index stores cleaned text: PDF line
breaks are joined, end-of-line hyphenation is undone, whitespace is collapsed and passages
are cut at chunk boundaries. Both sides are therefore normalized the same way before
comparing, and a quote that straddles a chunk boundary still counts when a long enough
contiguous run of its words is present.
"""

from __future__ import annotations

import math
import re
import unicodedata

# Characters that differ between sources and cleaned text but carry no meaning for matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_UNIFY = str.maketrans(
    {
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e", '"'),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2039\u203a`\u00b4", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        # bullets left by PDF extraction (U+F0B7 is the Symbol-font bullet)
        **dict.fromkeys("\u2022\uf0b7\u25aa\u25cf\u25e6\u2023\u2043", " "),
    }
)
_LETTER = r"[^\W\d_]"
# "kommu-\n\nnen" -> "kommunen". A space before the line break marks a suspended compound
# ("barn- \noch ungdomsvården"), so only a hyphen directly at the line end is joined.
_LINE_END_HYPHEN = re.compile(rf"({_LETTER})-\r?\n\s*(?={_LETTER})(?!(?:och|eller|samt|till)\b)")
# "FoU-enheter" and "FoU-\nenheter" must compare equal, so in-word hyphens go too.
_INWORD_HYPHEN = re.compile(rf"(?<={_LETTER})-(?={_LETTER})")
_WHITESPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")

DEFAULT_MIN_COVERAGE = 0.6
DEFAULT_MIN_TOKENS = 8


def normalize_for_match(text: str) -> str:
    """Casefolded NFC text with hyphenation undone, quotes/dashes unified and whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_UNIFY)
    text = _LINE_END_HYPHEN.sub(r"\1", text)
    text = _INWORD_HYPHEN.sub("", text)
    return _WHITESPACE.sub(" ", text.casefold()).strip()


def match_tokens(text: str) -> list[str]:
    """Word tokens of the normalized text; punctuation is dropped."""
    return _TOKEN.findall(normalize_for_match(text))


def longest_common_run(needle: list[str], haystack: list[str]) -> int:
    """Length of the longest contiguous token sequence of `needle` that occurs in `haystack`.

    Dynamic programming over the positions where each needle token occurs, so a whole
    document as haystack costs about (needle length × occurrences), not the full product.
    """
    positions: dict[str, list[int]] = {}
    wanted = set(needle)
    for j, token in enumerate(haystack):
        if token in wanted:
            positions.setdefault(token, []).append(j)
    best = 0
    previous: dict[int, int] = {}  # haystack position -> run length ending there
    for token in needle:
        current = {j: previous.get(j - 1, 0) + 1 for j in positions.get(token, ())}
        if current:
            best = max(best, max(current.values()))
        previous = current
    return best


def quote_coverage(quote: str, text: str) -> float:
    """Share of the quote's tokens covered by its longest contiguous run found in `text`."""
    needle = match_tokens(quote)
    if not needle:
        return 0.0
    return longest_common_run(needle, match_tokens(text)) / len(needle)


def quote_in_text(
    quote: str,
    text: str,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    min_tokens: int = DEFAULT_MIN_TOKENS,
) -> bool:
    """True if `text` contains the quote, allowing for cleaning and chunk boundaries.

    Matches when the normalized quote is a substring of the normalized text, when all of
    its tokens occur contiguously (punctuation differences only), or when a contiguous run
    of at least `min_tokens` tokens and at least `min_coverage` of the quote is present
    (the quote straddles a chunk boundary). With `min_coverage=1.0` the whole quote is
    required.
    """
    if not 0.0 < min_coverage <= 1.0:
        raise ValueError("min_coverage must be in (0, 1]")
    normalized_quote = normalize_for_match(quote)
    needle = _TOKEN.findall(normalized_quote)
    if not needle:  # nothing but punctuation: not a quote
        return False
    normalized_text = normalize_for_match(text)
    if normalized_quote in normalized_text:
        return True
    run = longest_common_run(needle, _TOKEN.findall(normalized_text))
    if run == len(needle):
        return True
    # the epsilon keeps e.g. 0.6 * 10 from rounding up to 7 through float error
    return run >= max(min_tokens, math.ceil(min_coverage * len(needle) - 1e-9))
