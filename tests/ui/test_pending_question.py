"""A chat question waiting for its answer, made in a thread of its own, over the real assistant."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import EmptyIndexError
from tests.conftest import MODELS_DIR, make_settings
from ui.render import PendingQuestion

WAIT = 300  # seconds: the first answer of the session may wait for the embedding model


def test_an_answer_started_twice_is_made_once(seed_assistant) -> None:
    pending = PendingQuestion("Vad gäller vid sekretess?")
    assert not pending.wait(0)  # not started: nothing to wait for yet
    pending.start(seed_assistant, [])
    pending.start(seed_assistant, [])  # a rerun that finds it under way
    assert pending.wait(WAIT)
    answer = pending.answer()
    assert "sekretess" in answer.answer.lower() and answer.citations
    assert pending.streamed == answer.answer  # streamed by one run of the assistant, not two
    assert pending.answer() is answer


def test_the_history_given_at_start_is_used(seed_assistant) -> None:
    pending = PendingQuestion("När kan den brytas?")
    pending.start(seed_assistant, ["Vad gäller vid sekretess?"])
    assert pending.wait(WAIT)
    assert "sekretess" in (pending.answer().standalone_question or "").lower()


def test_the_assistants_error_is_raised_where_the_answer_is_read(tmp_path: Path, embedder) -> None:
    from assistant.service import build_assistant

    empty = build_assistant(make_settings(tmp_path, models_dir=MODELS_DIR), embedder=embedder)
    pending = PendingQuestion("Vad gäller vid sekretess?")
    pending.start(empty, [])
    assert pending.wait(WAIT)
    with pytest.raises(EmptyIndexError, match="Indexet är tomt"):
        pending.answer()
