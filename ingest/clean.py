"""Cleaning of PDF-extracted text and saved web pages: small pure functions, one rule each.

PDF text comes out as `Line`s: (page, text), where text "" marks a paragraph break. Pages and
their numbers come from `ingest.pages`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ingest.pages import drop_running_lines, split_pages

Line = tuple[int | None, str]  # (page, text); text "" marks a paragraph break

_BULLETS = "\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0a8\u25aa\u25cf\u25e6\u2023\u2043\u25a0\uf02d"
_SPACES = "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\t"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_FOOTNOTE_START = re.compile(r"^(\d{1,3})(?:\s+(\S.*))?$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_SENTENCE_END = re.compile(r"[.!?…][”\"')\]]*$")
_KEEP_HYPHEN_BEFORE = {"och", "eller", "samt", "respektive", "resp.", "som", "liksom"}
_GLUED_REFS = (
    re.compile(r"(?<=[^\W\d_)”\"][.,;:])\d{1,2}(?=\s+[A-ZÅÄÖ(”\"]|\s*$)"),  # "året.1 Därefter"
    re.compile(r"(?<=\b(?:19|20)\d\d[.,])\d{1,2}(?=\s+[A-ZÅÄÖ])"),  # "2014.2 Dock"
    re.compile(r"(?<=[”\"])\d{1,2}(?=[.,;:\s]|$)"),  # "början”5."
    re.compile(r"(?<=[a-zåäöé]{3})\d{1,2}(?=[.,;:]?(?:\s|$))"),  # "refereegranskat9 material"
)


_UNIFIED = str.maketrans(
    {**{c: None for c in _INVISIBLE}, **{c: " " for c in _SPACES}, **{c: "•" for c in _BULLETS}}
)


def normalize_unicode(text: str) -> str:
    """NFC; soft hyphens and zero-width characters out; odd spaces and bullet glyphs unified."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_UNIFIED)


def clean_pdf_text(text: str) -> list[Line]:
    """Text extracted from a PDF as one string (pages unmarked, or split by form feeds)."""
    pages = split_pages(normalize_unicode(text))
    artifact = has_blank_line_artifact([line for _, lines in pages for line in lines])
    return _clean_pages(pages, artifact)


def clean_pdf_pages(pages: Sequence[tuple[int | None, str]]) -> list[Line]:
    """Text of a PDF page by page, with known page numbers (from pypdf)."""
    split = [(page, normalize_unicode(text).split("\n")) for page, text in pages]
    split = drop_running_lines(split)
    artifact = has_blank_line_artifact([line for _, lines in split for line in lines])
    return _clean_pages(split, artifact)


def _clean_pages(pages: list[tuple[int | None, list[str]]], artifact: bool) -> list[Line]:
    prepared = []
    for page, lines in pages:
        body, notes = split_footnotes(lines)
        if artifact:
            body = restore_lost_bullets(body)
        body = [line for line in collapse_blank_lines(body, artifact) if not is_marker_line(line)]
        prepared.append((page, body, notes))
    joined = join_hyphenated(place_footnotes(prepared))
    return tidy([(page, strip_footnote_refs(text).strip()) for page, text in joined])


def has_blank_line_artifact(lines: Sequence[str]) -> bool:
    """True when an empty line sits between (nearly) every two lines of text."""
    text = sum(1 for line in lines if line.strip())
    empty = sum(1 for line in lines if line == "")
    return text >= 4 and empty >= 0.8 * text


def collapse_blank_lines(lines: Sequence[str], artifact: bool) -> list[str]:
    """With the artifact, empty lines are noise and whitespace-only lines end paragraphs."""
    out: list[str] = []
    for line in lines:
        if line == "" and artifact:
            continue
        out.append(line if line.strip() else "")
    return out


def restore_lost_bullets(lines: list[str]) -> list[str]:
    """A line indented by one space after an empty line was a bullet whose glyph got lost."""
    first = next((k for k, line in enumerate(lines) if line.strip()), 0)
    return [
        "• " + line.strip() if k > first and lines[k - 1] == "" and re.match(r" \S", line) else line
        for k, line in enumerate(lines)
    ]


def split_footnotes(lines: list[str]) -> tuple[list[str], list[str]]:
    """Body lines and footnotes ("N text") of a page; footnotes follow a long blank rule."""
    rule = next((k for k, line in enumerate(lines) if len(line) >= 20 and not line.strip()), None)
    if rule is None:
        return lines, []
    notes: list[list[str]] = []
    for line in lines[rule + 1 :]:
        text = line.strip()
        start = _FOOTNOTE_START.match(text)
        if not text or _URL.match(text):
            continue
        if start or not notes:
            notes.append([start.group(1), start.group(2) or ""] if start else ["", text])
        else:
            notes[-1].append(text)
    return lines[:rule], [_footnote(parts) for parts in notes if "".join(parts[1:]).strip()]


def _footnote(parts: list[str]) -> str:
    text = " ".join(t for _, t in join_hyphenated([(None, p) for p in parts[1:] if p]))
    return f"Fotnot {parts[0]}: {text}" if parts[0] else f"Fotnot: {text}"


def is_marker_line(line: str) -> bool:
    """A footnote number alone on a line, or a bare link address."""
    s = line.strip()
    return bool(re.fullmatch(r"\d{1,3}", s) or _URL.match(s))


def place_footnotes(pages: Sequence[tuple[int | None, list[str], list[str]]]) -> list[Line]:
    """Flatten pages; each page's footnotes follow the first sentence end after the page."""
    out: list[Line] = []
    pending: list[Line] = []
    for page, body, notes in pages:
        for line in body:
            out.append((page, line))
            if pending and (not line.strip() or _SENTENCE_END.search(line.strip())):
                out.extend(_note_lines(pending))
                pending = []
        pending.extend((page, note) for note in notes)
    out.extend(_note_lines(pending))
    return out


def _note_lines(notes: list[Line]) -> list[Line]:
    out: list[Line] = []
    for page, note in notes:
        out.extend([(page, ""), (page, note), (page, "")])
    return out


def join_hyphenated(lines: Sequence[Line]) -> list[Line]:
    """Undo end-of-line hyphenation ("kommu-" + "nen"), keep "barn- och ungdomsvård"."""
    # A joined line is kept as parts until the end: a run of thousands of hyphenated lines
    # must not copy the growing line at each one (quadratic).
    out: list[tuple[int | None, list[str]]] = []
    for page, text in lines:
        nxt = text.strip()
        if out and nxt and out[-1][1][-1].rstrip().endswith("-"):
            parts = out[-1][1]
            last = parts[-1].rstrip()
            before = parts[-2][-1:] if len(parts) > 1 else ""  # a part may be "-" alone
            keep = _hyphen_kept(before + last[-2:], nxt)
            if keep is not None:
                parts[-1] = last if keep else last[:-1]
                parts.append(nxt)
                continue
        out.append((page, [text]))
    return [(page, "".join(parts)) for page, parts in out]


def _hyphen_kept(end: str, nxt: str) -> bool | None:
    """Whether a line ending in `end` ("…u-") and the next line `nxt` join without the hyphen
    (False: "kommu-" + "nen"), with it (True: "FoU-" + "enheter"), or stay apart (None)."""
    if len(end) < 2 or not nxt:
        return None
    before, first_word = end[-2], nxt.split(maxsplit=1)[0]
    if not nxt[0].isalnum() or first_word.lower() in _KEEP_HYPHEN_BEFORE or before.isspace():
        return None
    if before.islower() and nxt[0].islower():
        return False  # "kommu-" + "nen" -> "kommunen"
    if (before.isupper() or before.isdigit()) and not nxt[0].isupper():
        return True  # "FoU-" + "enheter", "2015-" + "16"
    return None


def strip_footnote_refs(text: str) -> str:
    """Footnote numbers glued to words or punctuation: "året.1 Därefter" -> "året. Därefter"."""
    for pattern in _GLUED_REFS:
        text = pattern.sub("", text)
    return text


def tidy(lines: Sequence[Line]) -> list[Line]:
    """Collapse runs of paragraph breaks and inner whitespace; no break at either end."""
    out: list[Line] = []
    for page, text in lines:
        text = re.sub(r"\s+", " ", text).strip()
        if text or (out and out[-1][1]):
            out.append((page, text))
    while out and not out[-1][1]:
        out.pop()
    return out


_NEWSLETTER = re.compile(r"^prenumerera på .*nyhetsbrev", re.I)
_NEWSLETTER_TEXT = re.compile(r"nyhetsbrev|prenumer|inkorg|e-postadress|anmäl dig", re.I)
_REVIEWED = re.compile(
    r"^(?:faktagranskad av|senast granskad|senast uppdaterad|publicerad)\s*:", re.I
)
_COOKIE = re.compile(r"\b(?:cookies?|kakor)\b", re.I)
_COOKIE_ACTION = re.compile(r"godkänn|acceptera|accept|använder|inställningar|samtyck", re.I)
_WEB_NOISE = {"dela", "dela sidan", "skriv ut", "till toppen", "tillbaka till toppen", "lyssna"}


def drop_web_boilerplate(lines: Sequence[str]) -> list[str]:
    """Newsletter invitations, "Faktagranskad av: … Senast granskad:", cookie notices."""
    return [line for line, keep in zip(lines, web_boilerplate_mask(lines), strict=True) if keep]


def web_boilerplate_mask(texts: Sequence[str]) -> list[bool]:
    """For each line or paragraph: keep it? A newsletter heading takes its invitation along."""
    keep: list[bool] = []
    in_newsletter = False
    for line in texts:
        text = line.strip()
        if _NEWSLETTER.match(text):
            in_newsletter = True
            keep.append(False)
            continue
        in_newsletter = in_newsletter and (not text or bool(_NEWSLETTER_TEXT.search(text)))
        keep.append(not in_newsletter and not is_web_noise(text))
    return keep


def is_web_noise(text: str) -> bool:
    """One line of page furniture: review stamps, cookie notices, share buttons, stray quotes."""
    if _REVIEWED.match(text) or text.lower().rstrip(":.!") in _WEB_NOISE:
        return True
    if text and not any(ch.isalnum() for ch in text) and len(text) <= 4 and text != "•":
        return True  # a stray '""' left from a removed quote block
    return bool(_COOKIE.search(text) and _COOKIE_ACTION.search(text) and len(text) < 400)
