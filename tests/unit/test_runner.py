"""The evaluation runner's wiring: conversations reach the system as the chat passes them,
retrieval is measured on the question the system searched (with the sections it favoured),
and failures get a reason.
(The real product and baselines run in tests/integration/test_eval_run.py.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from assistant.types import Answer, Citation, Passage, SectionKey, Turn
from eval.baseline import plain_tokens, rrf
from eval.dataset import EvalItem
from eval.runner import evaluate, failure
from tests import parts
from tests.unit.test_metrics import _record

GOLD = "Socialnämnden ansvarar för att den enskilde får det stöd och den hjälp som behövs."


def passage(text: str) -> Passage:
    return parts.passage(
        chunk_id="c1", doc_id="d", source="kunskapsguiden/uppdrag-och-ansvar.txt",
        title="Uppdrag och ansvar", publisher="", year=2021, kind="nationell_vagledning",
        municipality=None, section=("Ansvar",), page_start=None, page_end=None, position=0,
        text=text, score=1.0,
    )  # fmt: skip


CITED: SectionKey = ("d", ("Ansvar",))


class RecordingSystem:
    """Answers with the gold sentence, citing it, and remembers what it was asked."""

    mode = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str | Turn]]] = []

    def ask(self, question: str, history: Sequence[str | Turn] | None = None) -> Answer:
        self.calls.append((question, list(history or [])))
        standalone = f"socialnämnden: {question}" if history else question
        return Answer(
            question=question, standalone_question=standalone, answer=f"{GOLD} [1]",
            refused=False, citations=(Citation(1, passage(GOLD), GOLD),), retrieved=(),
            mode=self.mode, prior_sections=(CITED,) if history else (),
        )  # fmt: skip


def test_history_is_passed_and_the_standalone_question_is_ranked(tmp_path: Path) -> None:
    item = EvalItem(
        id="f1", question="och vem ansvarar för det?", reference_answer="Socialnämnden.",
        gold_sources=["kunskapsguiden/uppdrag-och-ansvar.txt"], gold_quotes=[GOLD],
        category="followup", split="test", history=["vad är ekonomiskt bistånd?"],
    )  # fmt: skip
    system = RecordingSystem()
    ranked: list[tuple[str, Sequence[SectionKey]]] = []

    def rank(question: str, prior: Sequence[SectionKey]) -> list[Passage]:
        ranked.append((question, prior))
        return [passage("Något annat."), passage(GOLD)]

    (record,) = evaluate("product", system, rank, [item], tmp_path)
    # as in the chat: the earlier question is asked first, and its answer's sections come along
    assert system.calls == [
        ("vad är ekonomiskt bistånd?", []),
        ("och vem ansvarar för det?", [Turn("vad är ekonomiskt bistånd?", (CITED,))]),
    ]
    assert ranked == [("socialnämnden: och vem ansvarar för det?", (CITED,))]
    assert record.rank_of_first_gold == 2
    assert record.answer_recall == 1.0 and record.answer_precision == 1.0
    row = json.loads((tmp_path / "results-product.jsonl").read_text(encoding="utf-8"))
    assert row["history"] == ["vad är ekonomiskt bistånd?"]
    assert row["standalone_question"] == "socialnämnden: och vem ansvarar för det?"
    assert row["prior_sections"] == [{"doc_id": "d", "section": "Ansvar"}]
    assert [p["gold"] for p in row["retrieved"]] == [False, True]
    assert row["split"] == "test" and row["failure"] is None


def test_failure_reasons() -> None:
    assert failure(_record()) is None
    assert failure(_record(answerable=False, rank_of_first_gold=None)) == "answered_unanswerable"
    assert failure(_record(answerable=False, refused=True)) is None
    assert failure(_record(rank_of_first_gold=None, refused=True)) == "not_retrieved"
    assert failure(_record(rank_of_first_gold=7)) == "retrieved_below_5"
    assert failure(_record(refused=True)) == "wrongly_refused"
    assert failure(_record(answer_precision=0.25)) == "off_target"


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = rrf([[1, 2, 3], [3, 1]], k=60)
    assert [item for item, _ in fused] == [1, 3, 2]
    assert fused[0][1] == 1 / 61 + 1 / 62


def test_plain_tokens_are_unstemmed_lowercase_words() -> None:
    assert plain_tokens("Ekonomiskt bistånd, SoL 4 kap.") == ["ekonomiskt", "bistånd", "sol", "4", "kap"]
