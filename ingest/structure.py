"""Headings and paragraphs in plain text, turned into `Block`s with section paths.

Two shapes of plain text: web pages saved as text (a heading is a short line that opens a
group of lines and is followed by body text) and PDF text (a heading is a short title-like
line between a finished sentence and a new one). Both rules are conservative: a fragment of a
sentence must never become a heading, so an uncertain line stays text. The document title is
never part of a section path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import islice

from core.documents import Block
from ingest.blocks import BlockBuilder
from ingest.clean import Line

_BULLET = re.compile(r"^(?:[•*▪◦●\-]\s+|\(?(?:\d{1,2}|[a-z])[.)]\s+)")  # not "–": it opens quotes
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3}|\d{1,2})\s+(?=[A-ZÅÄÖ])")
_ENDS_SENTENCE = re.compile(r"[.!?…:][”\"')\]]*$")
_SOURCES_HEADING = re.compile(r"^(Källor|Referenser|Litteratur|Fotnoter|Läs mer)\s*:?$", re.I)
_STOPWORDS = frozenset(
    """
    och eller samt att som av för i på med till om en ett den det de är var från vid under men
    så inom mellan utan efter genom hos mot kan ska har enligt både dels än bl.a. t.ex.
    vilket vilka där när sin sina deras ut
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def normalized(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text).strip().casefold()


def is_bullet(text: str) -> bool:
    return bool(_BULLET.match(text))


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1].lower().strip("”\"'()") if words else ""


def _title_like(text: str, max_words: int, max_chars: int) -> bool:
    words = text.split()
    letters = sum(ch.isalpha() for ch in text)
    return (
        0 < len(words) <= max_words
        and 4 <= len(text) <= max_chars
        and text[0].isupper()
        and not is_bullet(text)
        and not re.search(r"[.,;:!…\-–(]$|,\s*\d{4}$", text)
        and ". " not in text
        and _last_word(text) not in _STOPWORDS
        and letters >= 0.6 * len(text.replace(" ", ""))
    )


def is_web_heading(text: str, following: Sequence[str]) -> bool:
    """A short line opening a group, followed by body text (perhaps after one more heading)."""
    if _SOURCES_HEADING.match(text):
        return True
    return _web_title(text) and _body_follows(text, following, _web_title, _web_body)


def _web_title(text: str) -> bool:
    return _title_like(text, 14, 90) and not _is_link_text(text)


def _web_body(text: str) -> bool:
    if text[0].islower() or _is_link_text(text):
        return False
    return is_bullet(text) or bool(_ENDS_SENTENCE.search(text)) or len(text) >= 90


def _is_link_text(text: str) -> bool:
    """Link lines: "Lex Sarah – Handbok … (PDF)", "Ekonomiskt bistånd – Handbok – Socialstyrelsen"."""
    return "(PDF)" in text or len(re.findall(r" [–-] ", text)) >= 2


def _body_follows(
    text: str, following: Sequence[str], title: Callable[[str], bool], body: Callable[[str], bool]
) -> bool:
    """Body text follows, or a short heading is stacked on another one ("Bilagor", "Bilaga 1")."""
    if not following:
        return False
    if body(following[0]):
        return True
    stacked = len(text.split()) <= 6 and len(following) > 1
    return stacked and title(following[0]) and body(following[1])


def is_pdf_heading(
    text: str, prev: str | None, following: Sequence[str], width: float, stacked: bool = False
) -> bool:
    """A short line after a finished sentence (or a break), followed by a new sentence.
    `stacked`: right after another heading, where only a short subheading is believable."""
    if not _pdf_title(text) or (stacked and len(text.split()) > 6):
        return False
    if prev and not (_ENDS_SENTENCE.search(prev) or is_bullet(prev)):
        return False

    def body(line: str) -> bool:  # not a digit: "… beslutade år" + "2016 om en handlingsplan"
        starts = line[0].isupper() or is_bullet(line) or line[0] in '”"'
        long = is_bullet(line) or bool(_ENDS_SENTENCE.search(line)) or len(line) >= 0.5 * width
        return starts and long

    return _body_follows(text, following, _pdf_title, body)


def _pdf_title(text: str) -> bool:
    core = _NUMBERED_HEADING.sub("", text)
    return not is_bullet(text) and text.count(",") < 2 and bool(core) and _title_like(core, 12, 80)


def heading_level(text: str, stack: Sequence[tuple[int, str]]) -> int:
    """Numbered headings ("2.3 …") nest by their number; others sit below the last numbered one."""
    numbered = _NUMBERED_HEADING.match(text)
    if numbered:
        return numbered.group(1).count(".") + 1
    return (
        max((level for level, heading in stack if _NUMBERED_HEADING.match(heading)), default=0) + 1
    )


def web_blocks(lines: Sequence[str], title: str) -> list[Block]:
    """Blocks of a web page saved as text: groups of lines separated by blank lines."""
    builder = BlockBuilder()
    content = [line.strip() for line in lines]
    first = next((k for k, line in enumerate(content) if line), None)
    for k, text in enumerate(content):
        if not text:
            builder.flush()
            continue
        if k == first and title and normalized(text) == normalized(title):
            continue
        opens_group = k == 0 or not content[k - 1]
        if opens_group and is_web_heading(text, _next_texts(content, k)):
            builder.heading(1, text.rstrip(":"))
        else:
            _add_text(builder, None, text)
    builder.flush()
    return builder.blocks


def pdf_blocks(lines: Sequence[Line], title: str) -> list[Block]:
    """Blocks of cleaned PDF text (see `ingest.clean`): "" lines are paragraph breaks."""
    builder = BlockBuilder()
    texts = [text for _, text in lines]
    widths = sorted(len(text) for text in texts if text)
    width = float(widths[len(widths) // 2]) if widths else 60.0
    prev: str | None = None
    prev_page = lines[0][0] if lines else None
    skip = -1
    stacked = False
    for k, (page, text) in enumerate(lines):
        if k <= skip:
            continue
        if not text:
            builder.flush()
            prev = None
            continue
        if page != prev_page:
            prev, prev_page = None, page  # a new page may open with a heading
        heading, skip = _pdf_heading_at(texts, k, prev, width, stacked)
        stacked = heading is not None
        if heading is not None:
            if not (title and normalized(heading) == normalized(title)):
                builder.heading(heading_level(heading, builder.stack), heading)
            prev = None
            continue
        _add_text(builder, page, text)
        if _ENDS_SENTENCE.search(text) and len(text) < 0.6 * width and not builder.items:
            builder.flush_para()  # a short last line ends its paragraph
        prev = text
    builder.flush()
    return builder.blocks


def _next_texts(texts: Sequence[str], k: int, count: int = 2) -> list[str]:
    """The next `count` non-empty lines after line k."""
    return list(islice((texts[i] for i in range(k + 1, len(texts)) if texts[i]), count))


def _pdf_heading_at(
    texts: Sequence[str], k: int, prev: str | None, width: float, stacked: bool
) -> tuple[str | None, int]:
    """The heading starting at line k, if any, and the index of its last line."""
    text = texts[k]
    if is_pdf_heading(text, prev, _next_texts(texts, k), width, stacked):
        return text, k
    wrap = texts[k + 1] if k + 1 < len(texts) else ""
    if wrap and wrap[0].islower() and len(wrap.split()) <= 3:  # "… inom ekonomiskt" + "bistånd"
        joined = f"{text} {wrap}"
        if is_pdf_heading(joined, prev, _next_texts(texts, k + 1), width, stacked):
            return joined, k + 1
    return None, k


def _add_text(builder: BlockBuilder, page: int | None, text: str) -> None:
    if is_bullet(text):
        builder.item(page, text)
    elif builder.items and _continues_item(builder.last_item_end(), text):
        builder.continue_item(text)
    else:
        builder.line(page, text)


def _continues_item(item: str, text: str) -> bool:
    """A wrapped list item goes on in lowercase, or after a comma, hyphen or small word."""
    return (
        text[0].islower()
        or not _ENDS_SENTENCE.search(item)
        and (item.endswith((",", "-")) or _last_word(item) in _STOPWORDS)
    )
