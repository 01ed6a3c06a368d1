"""A question whose bytes are not UTF-8 (a terminal in Latin-1) is answered, not a crash."""

from __future__ import annotations

import io
import os
import sys
from types import SimpleNamespace

from ui import cli


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    argv_text = os.fsdecode(b"vad g\xe4ller vid sekretess?")  # how Python hands over argv
    assert "\udce4" in argv_text
    assert cli.typed_text(argv_text) == "vad g\ufffdller vid sekretess?"
    assert cli.typed_text("vad gäller?") == "vad gäller?"
    cli.typed_text(argv_text).encode("utf-8")  # encodable: no lone surrogate left


class _Assistant:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(self, question: str, history: list[str]) -> SimpleNamespace:
        self.asked.append(question)
        return SimpleNamespace(question=question, turn=question)


def test_chat_goes_on_after_a_line_that_is_not_utf8(monkeypatch, capsys) -> None:
    fake = _Assistant()
    monkeypatch.setattr("assistant.service.build_assistant", lambda settings: fake)
    monkeypatch.setattr("assistant.citations.format_answer_text", lambda answer: "svar")
    stdin = io.TextIOWrapper(io.BytesIO(b"vad g\xe4ller?\noch sekretess?\n\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)

    assert cli.cmd_chat(SimpleNamespace(), settings=None) == 0  # type: ignore[arg-type]

    assert fake.asked == ["vad g\ufffdller?", "och sekretess?"]
