"""Fit the refusal policy on a reference set (answerable vs unanswerable) and report how
well it separates them under cross-validation, so the number shipped is an honest one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.refusal import Features, RefusalPolicy, fit
from eval.dataset import load_dataset
from ingest.settings import Settings

FOLDS = 5


def collect_features(assistant: Any, questions: list[str]) -> list[Features]:
    return [assistant.decide(q).features for q in questions]


def _rates(policy: RefusalPolicy, feats: list[Features], answerable: list[bool]) -> tuple[float, float]:
    refused = [policy.refuse(f) for f in feats]
    unans = [r for r, a in zip(refused, answerable, strict=True) if not a]
    ans = [r for r, a in zip(refused, answerable, strict=True) if a]
    return sum(unans) / max(1, len(unans)), sum(ans) / max(1, len(ans))


def cross_validate(feats: list[Features], answerable: list[bool]) -> dict[str, float]:
    """k-fold: fit on k-1 folds, measure on the held-out fold (items dealt round-robin)."""
    refused_unans = refused_ans = n_unans = n_ans = 0
    for k in range(FOLDS):
        train = [i for i in range(len(feats)) if i % FOLDS != k]
        test = [i for i in range(len(feats)) if i % FOLDS == k]
        policy = fit([feats[i] for i in train], [answerable[i] for i in train])
        for i in test:
            r = policy.refuse(feats[i])
            if answerable[i]:
                n_ans += 1
                refused_ans += r
            else:
                n_unans += 1
                refused_unans += r
    return {
        "cv_refusal_rate": refused_unans / max(1, n_unans),
        "cv_false_refusal_rate": refused_ans / max(1, n_ans),
    }


def calibrate(settings: Settings, dataset: Path, write: bool = True, assistant: Any = None) -> dict[str, Any]:
    from assistant.service import build_assistant

    items = load_dataset(dataset)
    assistant = assistant or build_assistant(settings)
    feats = collect_features(assistant, [item.question for item in items])
    answerable = [item.category != "unanswerable" for item in items]
    policy = fit(feats, answerable)
    policy = RefusalPolicy(
        bias=round(policy.bias, 4),
        w_dense=round(policy.w_dense, 4),
        w_coverage=round(policy.w_coverage, 4),
        w_novelty=round(policy.w_novelty, 4),
        w_agreement=round(policy.w_agreement, 4),
        fitted_on=f"{dataset.name} ({len(items)} frågor)",
    )
    refusal, false_refusal = _rates(policy, feats, answerable)
    report = {
        "policy": policy.__dict__,
        "train_refusal_rate": refusal,
        "train_false_refusal_rate": false_refusal,
        **cross_validate(feats, answerable),
    }
    if write:
        policy.save()
    return report
