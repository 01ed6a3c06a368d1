"""When to say "the sources don't cover this".

A logistic model over two retrieval features, fitted on the reference set by
`kunskapsguide eval calibrate` (answerable vs unanswerable questions) and stored as data in
`assistant/calibration.json`, so the decision is measured rather than a guessed constant:

- dense_top: the best cosine similarity of the dense side;
- coverage: the share of the question's content terms (glossary expansions count) found in
  the top passages. An out-of-scope question ("riksnormen 2026", "bostadsbidrag") names
  things the corpus never mentions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Features:
    dense_top: float
    coverage: float


@dataclass(frozen=True)
class RefusalPolicy:
    bias: float
    w_dense: float
    w_coverage: float
    threshold: float = 0.5  # refuse when P(answerable) < threshold
    fitted_on: str = ""

    def p_answerable(self, f: Features) -> float:
        z = self.bias + self.w_dense * f.dense_top + self.w_coverage * f.coverage
        return 1.0 / (1.0 + math.exp(-z))

    def refuse(self, f: Features) -> bool:
        return self.p_answerable(f) < self.threshold

    def save(self, path: Path = CALIBRATION_PATH) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> RefusalPolicy:
        if not path.exists():
            return DEFAULT_POLICY
        return cls(**json.loads(path.read_text(encoding="utf-8")))


# Used only until a calibration exists: refuse when under half of the question's terms are found
# and the dense similarity is low.
DEFAULT_POLICY = RefusalPolicy(bias=-14.0, w_dense=14.0, w_coverage=6.0, fitted_on="default")


def coverage(question_terms: set[str], expanded_terms: set[str], passage_terms: set[str]) -> float:
    """Share of the question's terms found in the passages; a term counts as found when it, or
    a glossary expansion added to the query, is present."""
    if not question_terms:
        return 0.0
    found = len(question_terms & passage_terms)
    extra = len((expanded_terms - question_terms) & passage_terms)
    return min(1.0, (found + 0.5 * extra) / len(question_terms))


def fit(
    features: Sequence[Features], answerable: Sequence[bool], l2: float = 0.01, steps: int = 4000
) -> RefusalPolicy:
    """Plain logistic regression by gradient descent (two features; no library needed)."""
    if len(features) != len(answerable) or len(set(answerable)) < 2:
        raise ValueError("fit needs answerable and unanswerable examples")
    # Standardise the features so plain gradient descent converges, then map back.
    n = len(features)
    m1 = sum(f.dense_top for f in features) / n
    m2 = sum(f.coverage for f in features) / n
    s1 = (sum((f.dense_top - m1) ** 2 for f in features) / n) ** 0.5 or 1.0
    s2 = (sum((f.coverage - m2) ** 2 for f in features) / n) ** 0.5 or 1.0
    xs = [((f.dense_top - m1) / s1, (f.coverage - m2) / s2) for f in features]
    # Balance the classes: unanswerable questions are the minority.
    pos = sum(answerable)
    weight = {True: n / (2 * pos), False: n / (2 * (n - pos))}
    b, w1, w2 = 0.0, 0.0, 0.0
    lr = 0.5
    for _ in range(steps):
        gb = g1 = g2 = 0.0
        for (x1, x2), y in zip(xs, answerable, strict=True):
            z = b + w1 * x1 + w2 * x2
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            err = (p - (1.0 if y else 0.0)) * weight[y]
            gb += err
            g1 += err * x1
            g2 += err * x2
        b -= lr * gb / n
        w1 -= lr * (g1 / n + l2 * w1)
        w2 -= lr * (g2 / n + l2 * w2)
    return RefusalPolicy(
        bias=b - w1 * m1 / s1 - w2 * m2 / s2, w_dense=w1 / s1, w_coverage=w2 / s2
    )
