"""LLM answers: stream a draft from the numbered passages, then keep only what they support.

The caller decides what to show: it falls back to the extractive answer when nothing is
kept (`len(draft.grounding.kept) == 0`) or when the model refused a question the retrieval
judged answerable.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.grounding import SUPPORT_THRESHOLD, GroundingResult, check_grounding
from assistant.prompt import REWRITE_MAX_WORDS, build_messages, rewrite_messages
from assistant.types import Passage
from core.errors import LLMError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMDraft:
    text: str  # the model's raw answer, as streamed
    refused: bool  # the model gave the refusal phrase
    grounding: GroundingResult
    seconds: float = 0.0
    chunks: int = 0  # streamed pieces (about one per token)


def generate(
    question: str,
    passages: Sequence[Passage],
    model: BaseChatModel,
    on_token: Callable[[str], None] | None = None,
    threshold: float = SUPPORT_THRESHOLD,
) -> LLMDraft:
    """Answer `question` from `passages` (numbered from 1 in the order given), streaming each
    piece to `on_token`, then check every sentence against the passages it cites."""
    began = time.monotonic()
    text, chunks = _stream(model, build_messages(question, passages), on_token)
    grounding = check_grounding(text, dict(enumerate(passages, start=1)), threshold)
    refused = grounding.refused
    draft = LLMDraft(text, refused, grounding, time.monotonic() - began, chunks)
    log.info(
        "LLM draft: %d chunks in %.1f s, %d kept, %d flagged%s",
        chunks,
        draft.seconds,
        len(grounding.kept),
        len(grounding.flagged),
        " (refused)" if refused else "",
    )
    return draft


def _stream(
    model: BaseChatModel,
    messages: list[BaseMessage],
    on_token: Callable[[str], None] | None,
) -> tuple[str, int]:
    parts: list[str] = []
    try:
        for chunk in model.stream(messages):
            piece = chunk.text
            if not piece:
                continue
            parts.append(piece)
            if on_token is not None:
                on_token(piece)
    except LLMError:
        raise
    except Exception as exc:  # the vendor clients raise their own types; one message for all
        raise LLMError(
            f"Språkmodellen kunde inte svara ({type(exc).__name__}: {exc}). "
            "Kontrollera att modellservern är igång, eller använd KG_MODE=extractive."
        ) from exc
    return "".join(parts), len(parts)


_LABEL = re.compile(r"^\s*(?:fristående fråga|omskriven fråga|fråga)\s*:\s*", re.IGNORECASE)


def rewrite_question(question: str, history: Sequence[str], model: BaseChatModel) -> str:
    """A follow-up made standalone ("och om hen är under 18?" → a full question), or
    `question` itself when there is no history or the model's output is empty, long, or
    not a single question-like line."""
    if not history:
        return question
    messages = rewrite_messages(question, history)
    try:
        reply = model.invoke(messages)
    except Exception as exc:
        raise LLMError(f"Språkmodellen kunde inte skriva om följdfrågan ({exc}).") from exc
    lines = [ln for ln in reply.text.strip().splitlines() if ln.strip()]
    if not lines:
        return question
    rewritten = _LABEL.sub("", lines[0]).strip().strip("\"'”«»").strip()
    words = rewritten.split()
    if (
        len(lines) > 2
        or not words
        or len(words) > REWRITE_MAX_WORDS
        or len(rewritten) > 300
        or "<" in rewritten
        or "[" in rewritten
    ):
        log.info("rewrite rejected (%d words, %d lines)", len(words), len(lines))
        return question
    return rewritten
