"""Prompt injection in documents: text that addresses the assistant instead of the reader.

Retrieved text is data. A paragraph that tries to instruct the assistant ("Ignorera alla
tidigare instruktioner …", "ignore previous instructions", "du är nu …", "systemprompt") is
removed from the passages answers are composed from, in both answer modes; the LLM prompt
additionally wraps every passage as data (assistant/prompt.py).
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.types import Passage

_MARKERS = re.compile(
    r"""
    \b(ignorera|strunta\s+i|glöm|bortse\s+från)\b[^.\n]{0,40}\b(instruktion|instruktioner|
        regler|anvisningar|tidigare)\b
    | \bignore\b[^.\n]{0,40}\b(instructions?|rules|previous|above)\b
    | \b(disregard|forget)\b[^.\n]{0,40}\b(instructions?|previous|above)\b
    | \b(system\s*prompt|systemprompt(en)?|systemmeddelande)\b
    | \bdu\s+är\s+(nu|inte\s+längre)\b
    | \byou\s+are\s+now\b
    | \b(visa|skriv\s+ut|avslöja)\b[^.\n]{0,40}\b(alla\s+andra\s+dokument|hela\s+innehållet)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_injection(text: str) -> bool:
    return bool(_MARKERS.search(text))


def without_injections(passage: Passage) -> Passage:
    """The passage with every paragraph that carries an injection marker removed."""
    paragraphs = passage.text.split("\n\n")
    kept = [p for p in paragraphs if not is_injection(p)]
    if len(kept) == len(paragraphs):
        return passage
    return replace(passage, text="\n\n".join(kept))
