"""The refusal policy: fitting, storage, the shipped calibration, and the lexical features
(coverage, novelty, is_english) it is fitted on. Pure: no model, no index."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.refusal import (
    CALIBRATION_PATH,
    DEFAULT_POLICY,
    Features,
    RefusalPolicy,
    asked_kinds,
    coverage,
    fit,
    kind_found,
    novelty,
    refuse_on_evidence,
)
from core.textnorm import Vocabulary, content_terms, is_english, term


def separable(seed: int = 0, per_class: int = 10) -> tuple[list[Features], list[bool]]:
    """Answerable: high dense, high coverage, nothing novel, sides agree. Unanswerable: the
    opposite. The two clouds do not overlap on any feature."""
    rng = random.Random(seed)
    features, labels = [], []
    for _ in range(per_class):
        features.append(
            Features(0.84 + 0.06 * rng.random(), 0.7 + 0.3 * rng.random(), 0.2 * rng.random(), 1.0)
        )
        labels.append(True)
        features.append(
            Features(0.74 + 0.06 * rng.random(), 0.3 * rng.random(), 0.5 + 0.5 * rng.random(), 0.0)
        )
        labels.append(False)
    return features, labels


# --- fit -------------------------------------------------------------------------------------


def test_fit_separates_separable_features() -> None:
    features, labels = separable()
    policy = fit(features, labels)
    assert all(policy.refuse(f) is not y for f, y in zip(features, labels, strict=True))
    # It generalises to fresh points from the same clouds, not just the ones it saw.
    fresh, fresh_labels = separable(seed=1)
    assert all(policy.refuse(f) is not y for f, y in zip(fresh, fresh_labels, strict=True))


def test_fit_learns_the_direction_of_each_feature() -> None:
    policy = fit(*separable())
    assert policy.w_dense > 0 and policy.w_coverage > 0 and policy.w_agreement > 0
    assert policy.w_novelty < 0
    assert policy.threshold == 0.5


def test_fit_gives_a_feature_that_is_always_zero_no_weight() -> None:
    """A feature with zero variance is not divided by zero; it simply carries no weight."""
    features, labels = separable()
    flat = [Features(f.dense_top, f.coverage, novelty=0.0, agreement=f.agreement) for f in features]
    policy = fit(flat, labels)
    assert all(math.isfinite(w) for w in (policy.bias, policy.w_dense, policy.w_coverage))
    assert policy.w_novelty == 0.0
    assert all(policy.refuse(f) is not y for f, y in zip(flat, labels, strict=True))


def test_fit_gives_a_constant_nonzero_feature_no_weight() -> None:
    features, labels = separable()
    flat = [Features(f.dense_top, f.coverage, novelty=0.1, agreement=f.agreement) for f in features]
    policy = fit(flat, labels)
    assert abs(policy.w_novelty) < 1e-6


@pytest.mark.parametrize("label", [True, False])
def test_fit_needs_both_classes(label: bool) -> None:
    features, _ = separable()
    with pytest.raises(ValueError, match="answerable and unanswerable"):
        fit(features, [label] * len(features))


def test_fit_rejects_mismatched_lengths() -> None:
    features, labels = separable()
    with pytest.raises(ValueError):
        fit(features, labels[:-1])


# --- storage ---------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    policy = RefusalPolicy(
        bias=-18.123456789,
        w_dense=20.5,
        w_coverage=3.25,
        w_novelty=-3.125,
        w_agreement=2.0,
        threshold=0.4,
        fitted_on="referens.jsonl (113 frågor, åäö)",
    )
    path = tmp_path / "calibration.json"
    policy.save(path)
    assert RefusalPolicy.load(path) == policy
    assert json.loads(path.read_text(encoding="utf-8"))["fitted_on"].endswith("åäö)")


def test_load_of_a_missing_file_returns_the_default(tmp_path: Path) -> None:
    assert RefusalPolicy.load(tmp_path / "finns-inte.json") is DEFAULT_POLICY


def test_p_answerable_is_the_logistic_of_the_linear_score() -> None:
    policy = RefusalPolicy(bias=-1.0, w_dense=2.0, w_coverage=0.0, threshold=0.5)
    assert policy.p_answerable(Features(dense_top=0.5, coverage=0.0)) == pytest.approx(0.5)
    assert not policy.refuse(Features(dense_top=0.5, coverage=0.0))  # refuse only below
    assert policy.refuse(Features(dense_top=0.49, coverage=0.0))


# --- the shipped calibration -----------------------------------------------------------------

IN_SCOPE = Features(
    dense_top=0.90, coverage=1.0, novelty=0.0, agreement=1.0, sentence_top=0.90, kind_found=1.0,
)  # fmt: skip
OUT_OF_SCOPE = Features(
    dense_top=0.72, coverage=0.0, novelty=1.0, agreement=0.0, sentence_top=0.74, kind_found=0.0,
)  # fmt: skip


def test_shipped_calibration_loads_with_finite_weights() -> None:
    assert CALIBRATION_PATH.exists()
    policy = RefusalPolicy.load()
    assert policy is not DEFAULT_POLICY and policy.fitted_on
    numbers = (
        policy.bias,
        policy.w_dense,
        policy.w_coverage,
        policy.w_novelty,
        policy.w_agreement,
        policy.w_sentence,
        policy.w_kind,
        policy.threshold,
    )
    assert all(isinstance(x, float) and math.isfinite(x) for x in numbers)
    assert 0.0 < policy.threshold < 1.0


def test_shipped_calibration_refuses_out_of_scope_and_accepts_in_scope() -> None:
    policy = RefusalPolicy.load()
    assert policy.refuse(OUT_OF_SCOPE)
    assert not policy.refuse(IN_SCOPE)


@pytest.mark.parametrize(
    "policy", [DEFAULT_POLICY, RefusalPolicy.load()], ids=["default", "shipped"]
)
def test_more_evidence_never_lowers_p_answerable(policy: RefusalPolicy) -> None:
    low = Features(dense_top=0.8, coverage=0.2, novelty=0.6, sentence_top=0.8, kind_found=0.0)
    high = Features(dense_top=0.85, coverage=0.8, novelty=0.0, sentence_top=0.88, kind_found=1.0)
    assert policy.p_answerable(high) >= policy.p_answerable(low)


# --- coverage --------------------------------------------------------------------------------


def test_coverage_tolerates_a_typo_at_the_end_of_a_stem() -> None:
    assert term("samtyke") == "samtyk" and term("samtycket") == "samtyck"
    assert coverage({"samtyk"}, {"samtyk"}, {"samtyck", "uppgift"}) == 1.0


def test_coverage_typo_tolerance_needs_a_long_enough_term() -> None:
    # Under five letters a prefix match would find too much.
    assert coverage({"lagx"}, set(), {"lagen"}) == 0.0
    # A much longer word that merely starts the same way is a different word.
    assert coverage({"samtyk"}, set(), {"samtyckesblanketten"}) == 0.0


def test_coverage_counts_the_share_of_terms_found() -> None:
    q = content_terms("Får socialtjänsten lämna uppgifter utan samtycke?")
    p = content_terms("Uppgifter får lämnas ut om den enskilde ger sitt samtycke.")
    assert q == {"socialtjanst", "lamn", "upgift", "samtyck"}  # "utan" is a stop word
    assert coverage(q, q, p) == pytest.approx(3 / 4)


def test_coverage_ignores_question_words_digits_and_short_terms() -> None:
    # "Hur länge gäller samtycket 2 år?" names one thing the sources must contain.
    q = content_terms("Hur länge gäller samtycket 2 år?") | {"2026"}
    assert "lang" in q and "2026" in q
    assert coverage(q, q, {"samtyck"}) == 1.0
    assert coverage(q, q, {"lang", "2026"}) == 0.0


def test_a_term_is_found_through_its_glossary_alternative() -> None:
    q = {"forsorjningsstod", "tandvard"}
    alternatives = {"forsorjningsstod": [frozenset({"ekonomisk", "bistand"})]}
    passages = {"ekonomisk", "bistand", "socialbidrag"}
    assert coverage(q, q, passages, alternatives=alternatives) == pytest.approx(0.5)
    assert coverage(q, q, passages | {"tandvard"}, alternatives=alternatives) == 1.0
    # Only a whole alternative counts, and none at all without the glossary.
    assert coverage(q, q, {"ekonomisk"}, alternatives=alternatives) == 0.0
    assert coverage(q, q, passages) == 0.0


def test_expansions_of_other_terms_do_not_make_up_for_a_missing_one() -> None:
    q = {"ekonomisk", "bistand", "tandvard"}
    expanded = q | {"forsorjningsstod", "socialbidrag"}
    passages = {"ekonomisk", "bistand", "forsorjningsstod", "socialbidrag"}
    assert coverage(q, expanded, passages) == pytest.approx(2 / 3)


def test_english_coverage_looks_only_for_the_swedish_expansions() -> None:
    q = {"what", "social", "assistance"}
    expanded = q | {"ekonomisk", "bistand"}
    # The English words themselves are never looked for, even when they happen to occur.
    assert coverage(q, expanded, {"social", "assistance", "ekonomisk"}, english=True) == 0.5
    assert coverage(q, expanded, {"ekonomisk", "bistand"}, english=True) == 1.0
    assert coverage(q, expanded, {"social", "assistance"}, english=True) == 0.0


def test_english_coverage_is_neutral_when_there_is_nothing_to_check() -> None:
    q = {"what", "social", "assistance"}
    assert coverage(q, q, {"social"}, english=True) == 0.5
    assert coverage(q, q, set(), english=True) == 0.5


def test_swedish_coverage_without_any_terms_is_zero() -> None:
    assert coverage(set(), set(), {"samtyck"}) == 0.0
    assert coverage({"lang", "tid", "2"}, {"lang", "tid", "2"}, {"lang", "tid"}) == 0.0


def test_coverage_of_a_three_letter_abbreviation_question() -> None:
    q = content_terms("Vad gör IVO?")
    expanded = content_terms("Vad gör IVO? Inspektionen för vård och omsorg")
    passages = content_terms("Inspektionen för vård och omsorg, IVO, utövar tillsyn.")
    assert q == {"ivo"}
    assert coverage(q, expanded, passages) == 1.0
    assert coverage(q, expanded, {"tilsyn"}) == 0.0


def test_coverage_of_a_two_letter_abbreviation_question_is_not_zero() -> None:
    q = content_terms("Vad gör JO?")
    expanded = content_terms("Vad gör JO? Justitieombudsmannen")
    passages = content_terms("Justitieombudsmannen, JO, utövar tillsyn över myndigheter.")
    assert q == {"jo"} and expanded <= passages
    assert coverage(q, expanded, passages) >= 0.5


# --- novelty ---------------------------------------------------------------------------------

CORPUS_TERMS = content_terms(
    "Samtycke krävs för att lämna ut uppgifter. Varje rutin beskriver hur handläggaren gör. "
    "Ekonomiskt bistånd prövas individuellt av socialnämnden."
)
VOCABULARY = Vocabulary.from_tokens(
    ["samtycke", "samtycket", "rutin", "rutinen", "uppgifter", "handläggare", "socialnämnden"]
)


def test_a_word_the_corpus_never_uses_is_novel() -> None:
    assert novelty("Vad gäller för riksnormen?", CORPUS_TERMS, VOCABULARY) == 1.0
    assert novelty("Gäller samtycket även tandvården?", CORPUS_TERMS, VOCABULARY) == 0.5


def test_a_compound_of_known_parts_is_not_novel() -> None:
    question = "Vad står i samtyckesrutinen?"
    assert novelty(question, CORPUS_TERMS, VOCABULARY) == 0.0
    # Without a vocabulary the compound cannot be split, so it counts as unknown.
    assert novelty(question, CORPUS_TERMS, None) == 1.0


def test_novelty_forgives_a_typo_and_ignores_question_words() -> None:
    assert novelty("Hur länge gäller samtyket?", CORPUS_TERMS, VOCABULARY) == 0.0


def test_novelty_ignores_short_words_and_numbers_but_not_acronyms() -> None:
    assert novelty("Hur gå till 2026?", CORPUS_TERMS, VOCABULARY) == 0.0
    assert novelty("Vad gör IVO?", CORPUS_TERMS, VOCABULARY) == 1.0


@pytest.mark.parametrize("question", ["", "?", "Vad är det?", "Hur gör man då?"])
def test_novelty_of_a_question_without_content_words_is_zero(question: str) -> None:
    assert novelty(question, CORPUS_TERMS, VOCABULARY) == 0.0


def test_novelty_is_not_measured_for_english_questions() -> None:
    assert novelty("What is riksnormen?", CORPUS_TERMS, VOCABULARY, english=True) == 0.0


# --- is_english ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "What is ekonomiskt bistånd?",
        "How do I apply for social assistance?",
        "WHO IS the JO?",
        "what's the difference between workplace induction and professional induction",
        "should our work be based on research or on experience",
    ],
)
def test_english_questions(question: str) -> None:
    assert is_english(question.split())


@pytest.mark.parametrize(
    "question",
    [
        "Vad är ekonomiskt bistånd?",
        "Hur länge gäller ett samtycke enligt SoL?",
        "Is på vägen – får man halka?",  # one English-looking word is not enough
        "vad gäller for barn i en familj som far illa",  # "for", "i", "in" are Swedish too
        "",
    ],
)
def test_swedish_questions(question: str) -> None:
    assert not is_english(question.split())


# --- what the question asks for ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Hur många dagar gäller ett samtycke?", ["number"]),
        ("När ska beslutet fattas, och hur mycket beviljas?", ["number", "time"]),
        ("Vilket telefonnummer har enheten?", ["contact"]),
        ("Inom hur lång tid ska beslutet fattas?", ["time"]),
        ("Vilken paragraf reglerar detta?", ["law"]),
        ("Vad är lex Sarah?", []),
        ("How much is the norm?", ["number"]),
    ],
)
def test_asked_kinds(question: str, kinds: list[str]) -> None:
    assert asked_kinds(question) == kinds


def test_kind_found_needs_the_thing_asked_for_in_the_evidence() -> None:
    evidence = ["Samtycket dokumenteras i akten och gäller för den aktuella utredningen."]
    assert kind_found("Vad gäller för samtycke?", evidence) == 1.0
    assert kind_found("Hur många månader gäller samtycket?", evidence) == 0.0
    assert kind_found("Hur många månader gäller samtycket?", ["Samtycket gäller i 12 månader."]) == 1.0
    assert kind_found("Vilket telefonnummer har enheten?", ["Ring 08-123 45 67."]) == 1.0


def test_an_article_is_not_a_number() -> None:
    # "en"/"ett" are in nearly every Swedish sentence: they said a number was there for every
    # "Hur många …?" near miss.
    question = "Hur många nyanställda får en mentor ha ansvar för samtidigt?"
    assert kind_found(question, ["En mentor är ett stöd för den nyanställde."]) == 0.0
    assert kind_found(question, ["En mentor har ansvar för högst tre nyanställda."]) == 1.0
    question = "Hur många handledare ska en student ha?"
    assert kind_found(question, ["Tillhandahåller minst en handledare för varje student."]) == 1.0
    assert asked_kinds("Vad kostar det att ansluta sig till tjänsten?") == ["number"]


def test_a_refusal_holds_only_when_no_passage_alone_would_be_answered() -> None:
    # "Hur många dagar …": the best sentences of all passages hold no number, but one passage's
    # own best sentence does. Refusing and listing that passage as "nearest" would be a
    # contradiction, so the policy answers.
    policy = RefusalPolicy.load()
    together = Features(dense_top=0.84, coverage=1.0, sentence_top=0.85, kind_found=0.0)
    alone_with_number = replace(together, sentence_top=0.84, kind_found=1.0)
    alone_without = replace(together, coverage=0.5, sentence_top=0.80)
    assert policy.refuse(together) and not policy.refuse(alone_with_number)
    assert not refuse_on_evidence(policy, together, [alone_without, alone_with_number])
    assert refuse_on_evidence(policy, together, [alone_without])
    assert refuse_on_evidence(policy, together, [])
    answered = replace(together, kind_found=1.0)
    assert not refuse_on_evidence(policy, answered, [alone_without])
