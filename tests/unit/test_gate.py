"""The CI gate: each threshold fails the gate on its own, in Swedish."""

from __future__ import annotations

from eval.cli import GATE, check


def summary(**overall: float) -> dict:
    measured = {
        "hit@5": 0.83, "mrr@10": 0.71, "refusal_rate": 0.36, "false_refusal_rate": 0.12,
        "answer_precision": 0.47,
    }  # fmt: skip
    return {"configs": {"product": {"overall": measured | overall}}}


def test_the_measured_figures_pass() -> None:
    assert check(summary(), **GATE) == []


def test_each_threshold_fails_on_its_own() -> None:
    assert check(summary(**{"hit@5": 0.7}), **GATE) == ["träff@5 0.700 < 0.8"]
    assert check(summary(**{"mrr@10": 0.5}), **GATE) == ["MRR@10 0.500 < 0.69"]
    assert check(summary(refusal_rate=0.3), **GATE) == ["avböjer obesvarbara 0.300 < 0.33"]
    assert check(summary(false_refusal_rate=0.2), **GATE) == ["felaktigt avböjda 0.200 > 0.15"]
    assert check(summary(answer_precision=0.3), **GATE) == [
        "svarsmeningar som träffar 0.300 < 0.45"
    ]
