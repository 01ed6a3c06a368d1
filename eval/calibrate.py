"""Fit the refusal policy on the dev split of a reference set (answerable vs unanswerable)
and report how well it separates them under cross-validation on dev and on the frozen test
split, so the number shipped is an honest one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.refusal import Features, RefusalPolicy, fit
from core.errors import ConfigError
from core.settings import Settings
from eval.dataset import EvalItem, load_dataset, select_split

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
    """Fit the policy on the dev split (cross-validated there) and report it on the test
    split, which is never fitted on. A dataset without splits is fitted and cross-validated
    whole."""
    from assistant.service import build_assistant

    items = load_dataset(dataset)
    has_splits = any(item.split for item in items)
    train = select_split(items, "dev") if has_splits else items
    held_out = select_split(items, "test") if has_splits else []
    answerable = [item.answerable for item in train]
    if all(answerable) or not any(answerable):
        raise ConfigError(
            f"Kalibreringen behöver både besvarbara och obesvarbara frågor i {dataset.name}"
            + (" (delen dev)." if has_splits else ".")
        )
    assistant = assistant or build_assistant(settings)
    feats = collect_features(assistant, [standalone(assistant, item) for item in train])
    policy = fit(feats, answerable)
    policy = RefusalPolicy(
        bias=round(policy.bias, 4),
        w_dense=round(policy.w_dense, 4),
        w_coverage=round(policy.w_coverage, 4),
        w_novelty=round(policy.w_novelty, 4),
        w_agreement=round(policy.w_agreement, 4),
        w_sentence=round(policy.w_sentence, 4),
        w_kind=round(policy.w_kind, 4),
        threshold=round(policy.threshold, 4),
        fitted_on=f"{dataset.name}, {'dev' if has_splits else 'alla'} ({len(train)} frågor)",
    )
    refusal, false_refusal = _rates(policy, feats, answerable)
    report: dict[str, Any] = {
        "policy": policy.__dict__,
        "train_refusal_rate": refusal,
        "train_false_refusal_rate": false_refusal,
        **cross_validate(feats, answerable),
    }
    if held_out:
        test_feats = collect_features(assistant, [standalone(assistant, i) for i in held_out])
        test_refusal, test_false = _rates(policy, test_feats, [i.answerable for i in held_out])
        report |= {"test_refusal_rate": test_refusal, "test_false_refusal_rate": test_false}
    if write:
        policy.save()
    return report


def standalone(assistant: Any, item: EvalItem) -> str:
    """The question as the assistant searches it: a follow-up resolved against its history."""
    if not item.history:
        return item.question
    return str(assistant.standalone(item.question, item.history))
