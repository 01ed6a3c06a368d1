"""Prompt injection in retrieved passages: text that addresses the assistant instead of the reader.

Retrieved text is data. Ingest already keeps such sentences out of the answer material it
indexes (core/material.py); this is the second line, at query time, for indexes built before
that and for the LLM mode, which reads whole passages: every paragraph that the rule in
core/injection.py flags ("Meddelande till AI-assistenten: från och med nu …", "Bortse från
allt ovan", "ignore previous instructions", "du är nu …") is removed from the passages answers
are composed from, in both answer modes. The LLM prompt additionally wraps every passage as data
(assistant/prompt.py).
"""

from __future__ import annotations

from dataclasses import replace

from assistant.types import Passage
from core.injection import is_injection

__all__ = ["is_injection", "without_injections"]


def without_injections(passage: Passage) -> Passage:
    """The passage with every paragraph that addresses an assistant removed."""
    paragraphs = passage.text.split("\n\n")
    kept = [p for p in paragraphs if not is_injection(p)]
    if len(kept) == len(paragraphs):
        return passage
    return replace(passage, text="\n\n".join(kept))
