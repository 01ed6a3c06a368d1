"""Masking of personal data in questions and logs: personnummer, samordningsnummer, phone
numbers, e-mail addresses and personal names (found by `assistant.names`).

Caseworkers sometimes paste case details into a question; what is masked here is never
searched, logged or sent to a language model. A number is masked when its shape matches and
its date is plausible — the Luhn check digit only decides between a personnummer and a
mobile number for ten bare digits starting with 0, since a mistyped check digit is still
someone's personnummer.

Numbers are matched in the forms people type and paste, not only in ASCII. Matching runs
over a normalised view of the text — NFKC (full-width digits become ASCII), every dash as
"-", every space (NBSP, thin spaces) as " ", invisible characters (zero-width space and
joiners, soft hyphen, BOM) left out — and each match is replaced in the text as typed, which
is otherwise kept exactly. Covered:
- personnummer and samordningsnummer with or without century, bare or with "-", "+", " - "
  or a space before the last four digits, spaces inside the date ("85 03 12-1234");
- phone numbers with a trunk 0 or +46/0046: "070-123 45 67", "070 1234567", "08/123 456 78",
  "(08) 123 456 78", "070.123.45.67", "+46 70 123 45 67", "+46 (0)70-123 45 67".
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.names import find_names

PERSONNUMMER = "personnummer"
SAMORDNINGSNUMMER = "samordningsnummer"
TELEFONNUMMER = "telefonnummer"
EPOST = "e-post"
NAMN = "namn"
KINDS = (PERSONNUMMER, SAMORDNINGSNUMMER, TELEFONNUMMER, EPOST, NAMN)

_NOUNS = {
    PERSONNUMMER: "ett personnummer",
    SAMORDNINGSNUMMER: "ett samordningsnummer",
    TELEFONNUMMER: "ett telefonnummer",
    EPOST: "en e-postadress",
    NAMN: "ett namn",
}

# Read as "-": hyphens, dashes, minus signs (NFKC has already made some of them ASCII).
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
_BLANKED = "\0"  # stands in the view for what an earlier pass masked: not a digit, word or +

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
# YYMMDD or YYYYMMDD (spaces allowed between YY, MM and DD), then -, +, " - " or a space (or
# nothing), then NNNC.
_ID_NUMBER = re.compile(
    r"(?<!\d)(?P<century>\d{2})?(?P<yy>\d{2}) ?(?P<mm>\d{2}) ?(?P<dd>\d{2})"
    r"(?P<sep> ?[-+] ?| )?(?P<serial>\d{3})(?P<check>\d)(?!\d)"
)
# Swedish numbers: +46/0046 or a trunk 0, an area code, then the subscriber number as one
# block or in groups of 2–3 digits ("070-123 45 67", "08-123 456 78", "+46 70 123 45 67").
# Dots only separate groups of a number written with dots throughout ("070.123.45.67"), so
# that times ("08.30–16.30") and dates ("01.02.2024") are not read as numbers.
_GROUPS = r"\d{2,3}(?:[ -]\d{2,3}){1,4}"
_SUBSCRIBER = rf"(?:\d{{5,8}}|{_GROUPS})"
_DOTTED = r"0\d{1,3}(?:\.\d{2,3}){2,5}"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?P<intl>(?:\+|00)46[ -]?(?:\(0\)[ -]?)?)(?:\d{{1,3}}[ -]?{_SUBSCRIBER}|\d{{7,9}})"
    rf"|0\d{{1,3}}(?: ?[-/] ?| ){_SUBSCRIBER}|\(0\d{{1,3}}\)[ -]?{_SUBSCRIBER}"
    rf"|{_DOTTED}|0\d{{7,9}}"
    r")(?!\d)"
)
_LAST_GROUP = re.compile(r"[ .-]\d+$")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _normalise(text: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """The view that matching runs over, and for each of its characters the start and end
    of what it came from in `text`."""
    if text.isascii():  # the common case (log lines): nothing to normalise
        return text, range(len(text)), range(1, len(text) + 1)
    view: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        # A character with its combining marks, so that NFKC can compose "a" + ring into "å".
        end = i + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        for ch in unicodedata.normalize("NFKC", text[i:end]):
            category = unicodedata.category(ch)
            if category == "Cf":  # zero-width characters, soft hyphen, BOM, direction marks
                continue
            view.append("-" if ch in _DASHES else " " if category == "Zs" else ch)
            starts.append(i)
            ends.append(end)
        i = end
    return "".join(view), starts, ends


@dataclass(frozen=True)
class MaskResult:
    text: str
    found: tuple[str, ...]  # the kinds masked, each once, in the order of KINDS


Span = tuple[int, int, str]  # start, end and kind of a match in the normalised view


def mask_personal_data(text: str) -> MaskResult:
    """Replace personal data with markers such as "[personnummer]"."""
    view, starts, ends = _normalise(text)
    spans: list[Span] = []
    # Until nothing more is found: a number glued to one just masked ("…4567(08) 123 45 67")
    # only shows once its neighbour is gone, and one call must mask it.
    while True:
        view, new = _find_once(view)
        if not new:
            break
        spans += new
    parts, at = [], 0
    for start, end, kind in sorted(spans):
        parts += [text[at : starts[start]], f"[{kind}]"]
        at = ends[end - 1]
    parts.append(text[at:])
    found = {kind for _, _, kind in spans}
    return MaskResult("".join(parts), tuple(kind for kind in KINDS if kind in found))


def _find_once(view: str) -> tuple[str, list[Span]]:
    """E-mail addresses, then id numbers, then phone numbers, then names, and the view with
    each blanked out as it is found, so that no later search matches it or across it (a name
    in an e-mail address goes with the address)."""
    spans: list[Span] = []
    for find in (_emails, _id_numbers, _phones, _names):
        for start, end, kind in list(find(view)):
            spans.append((start, end, kind))
            view = view[:start] + _BLANKED * (end - start) + view[end:]
    return view, spans


def _emails(view: str) -> Iterable[Span]:
    for match in _EMAIL.finditer(view):
        yield match.start(), match.end(), EPOST


def _id_numbers(view: str) -> Iterable[Span]:
    for match in _ID_NUMBER.finditer(view):
        kind = _id_kind(match)
        if kind is not None:
            yield match.start(), match.end(), kind


def _phones(view: str) -> Iterable[Span]:
    for match in _PHONE.finditer(view):
        prefix = match.group("intl") or ""
        low, high = (7, 9) if prefix else (8, 10)
        number = match.group()
        # Too many digits: the groups ran on into a following number; give those back.
        while _digits(number[len(prefix) :]) > high:
            last = _LAST_GROUP.search(number)
            if last is None or last.start() <= len(prefix):
                break
            number = number[: last.start()]
        if low <= _digits(number[len(prefix) :]) <= high:
            yield match.start(), match.start() + len(number), TELEFONNUMMER


def _names(view: str) -> Iterable[Span]:
    for start, end in find_names(view):
        yield start, end, NAMN


def _id_kind(match: re.Match[str]) -> str | None:
    """personnummer or samordningsnummer if the date is plausible, else None."""
    century, yy, mm, dd = (match.group(g) for g in ("century", "yy", "mm", "dd"))
    day = int(dd)
    kind = PERSONNUMMER
    if day > 60:
        day -= 60
        kind = SAMORDNINGSNUMMER
    if century:
        years = [int(century + yy)] if 1870 <= int(century + yy) <= dt.date.today().year else []
    else:
        years = [1900 + int(yy), 2000 + int(yy)]
    if not any(_is_date(year, int(mm), day) for year in years):
        return None
    ten = yy + mm + dd + match.group("serial") + match.group("check")
    if not century and not match.group("sep") and yy.startswith("0") and not luhn_ok(ten):
        return None  # more likely a mobile number ("0701234567"); the phone pass masks it
    return kind


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def luhn_ok(ten_digits: str) -> bool:
    """The check digit of a personnummer (YYMMDDNNNC) is right."""
    total = 0
    for i, ch in enumerate(ten_digits[:9]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(ten_digits[9])


def privacy_notice(found: Iterable[str]) -> str:
    """A Swedish notice telling the user what was masked and why; "" if nothing was."""
    kinds = [kind for kind in KINDS if kind in set(found)]
    if not kinds:
        return ""
    nouns = [_NOUNS[kind] for kind in kinds]
    listed = nouns[0] if len(nouns) == 1 else f"{', '.join(nouns[:-1])} och {nouns[-1]}"
    pronoun = "Det" if len(nouns) == 1 else "De"
    return (
        f"Din fråga innehöll {listed}. {pronoun} har maskerats innan frågan behandlades, "
        "eftersom uppgifter om enskilda omfattas av sekretess. Skriv aldrig personuppgifter "
        "i frågor."
    )


class PersonalDataFilter(logging.Filter):
    """Masks personal data in log records (message, arguments and traceback text); it never
    drops a record. Entry points apply it to every record with `mask_every_log_record`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        masked = mask_personal_data(message)
        if masked.found:
            record.msg, record.args = masked.text, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text).text
        return True


class _MaskingRecordFactory:
    """The log record factory it wraps, with every record masked as it is made."""

    def __init__(self, make: Callable[..., logging.LogRecord]) -> None:
        self.make = make
        self.mask = PersonalDataFilter()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        self.mask.filter(record)
        return record


def mask_every_log_record() -> None:
    """Mask personal data in every log record as it is made, whichever logger makes it. A
    filter on the root logger's handlers would miss loggers that do not propagate to them and
    log through handlers of their own (transformers, streamlit). For entry points; calling it
    again changes nothing."""
    make = logging.getLogRecordFactory()
    if not isinstance(make, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(make))
