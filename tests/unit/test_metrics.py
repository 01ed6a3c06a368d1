"""Every metric on small hand-made cases whose values are worked out by hand in the comments."""

from __future__ import annotations

import dataclasses
import math

import pytest

from eval.metrics import (
    FAITHFUL_THRESHOLD,
    ItemRecord,
    answer_precision,
    answer_recall,
    answer_sentences,
    citation_support,
    content_tokens,
    dcg,
    faithfulness,
    false_refusal_rate,
    first_relevant_rank,
    hit_at_k,
    lcs_length,
    mrr_at_k,
    ndcg_at_k,
    off_target_rate,
    on_target,
    percentile,
    recall_of_quotes_at_k,
    refusal_rate,
    rouge_l,
    sentence_support,
    summarize,
    token_f1,
)

Q1 = "Ett samtycke gäller i högst tolv månader. Därefter ska ett nytt samtycke inhämtas."
Q2 = "Muntligt samtycke får bara användas när det är brådskande och ska dokumenteras samma dag."
P_Q1 = "## Inhämta samtycke\n\nEtt samtycke gäller i högst tolv\n\nmånader. Därefter ska ett nytt samtycke inhämtas."
P_Q2 = "Rutin. Muntligt samtycke får bara användas när det är brådskande och ska dokumenteras samma dag. Slut."
P_BOTH = P_Q1 + " " + P_Q2
P_NONE = "Socialnämnden består av politiker och ansvarar för socialtjänsten i kommunen."


# --- ranks ----------------------------------------------------------------------------------


def test_hit_at_k() -> None:
    ranks = [1, 3, None, 2]
    assert hit_at_k(ranks, 1) == 0.25
    assert hit_at_k(ranks, 2) == 0.5  # ranks 1 and 2
    assert hit_at_k(ranks, 3) == 0.75
    assert hit_at_k([], 5) is None


def test_mrr_at_k() -> None:
    # (1/1 + 1/3 + 0 + 1/2) / 4 = (11/6) / 4 = 11/24
    assert mrr_at_k([1, 3, None, 2], 10) == pytest.approx(11 / 24)
    # rank 3 is outside k = 2 and counts as 0: (1 + 0 + 0 + 1/2) / 4
    assert mrr_at_k([1, 3, None, 2], 2) == pytest.approx(1.5 / 4)
    assert mrr_at_k([], 10) is None


def test_first_relevant_rank() -> None:
    assert first_relevant_rank([P_NONE, P_Q1, P_Q2], [Q1, Q2]) == 2
    assert first_relevant_rank([P_NONE, P_NONE, P_Q2], [Q2], k=2) is None
    assert first_relevant_rank([P_NONE], [Q1]) is None
    assert first_relevant_rank([], [Q1]) is None


# --- graded relevance -----------------------------------------------------------------------


def test_recall_of_quotes_at_k() -> None:
    passages = [P_Q1, P_NONE, P_Q2]
    assert recall_of_quotes_at_k(passages, [Q1, Q2], k=2) == 0.5
    assert recall_of_quotes_at_k(passages, [Q1, Q2], k=3) == 1.0
    assert recall_of_quotes_at_k([P_Q1, P_Q1], [Q1, Q2], k=5) == 0.5  # Q1 found twice counts once
    assert recall_of_quotes_at_k(passages, [], k=5) is None


def test_dcg() -> None:
    # 3/log2(2) + 2/log2(3) + 0/log2(4) + 1/log2(5)
    assert dcg([3, 2, 0, 1]) == pytest.approx(3 + 2 / math.log2(3) + 1 / math.log2(5))
    assert dcg([]) == 0.0


def test_ndcg_at_k() -> None:
    assert ndcg_at_k([P_Q1, P_NONE], [Q1]) == pytest.approx(1.0)
    # gains [0, 1], ideal [1, 0]: (1/log2(3)) / 1
    assert ndcg_at_k([P_NONE, P_Q1], [Q1]) == pytest.approx(1 / math.log2(3))
    # one passage holding both quotes: gains [2], ideal [2]
    assert ndcg_at_k([P_BOTH], [Q1, Q2]) == pytest.approx(1.0)
    # Q2 never retrieved: gains [1, 0], ideal [1, 1] -> 1 / (1 + 1/log2(3))
    assert ndcg_at_k([P_Q1, P_NONE], [Q1, Q2]) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # the relevant passage is below the cut-off
    assert ndcg_at_k([P_NONE, P_Q1], [Q1], k=1) == 0.0
    assert ndcg_at_k([P_NONE], [Q1]) == 0.0
    assert ndcg_at_k([P_Q1], []) is None


def test_citation_support() -> None:
    assert citation_support([P_NONE, P_Q2], [Q1, Q2]) is True
    assert citation_support([P_NONE], [Q1]) is False
    assert citation_support([], [Q1]) is False


# --- faithfulness ---------------------------------------------------------------------------


def test_content_tokens_drop_stopwords_and_citation_markers() -> None:
    # "ett", "i" and "det" are stopwords; [1] and [2, 3] are citation markers; "inte" is kept
    tokens = content_tokens("Det gäller inte i ett år [1] [2, 3].")
    assert tokens == content_tokens("gäller inte år")
    assert len(tokens) == 3


def test_sentence_support() -> None:
    passage = "Ett samtycke gäller i högst tolv månader."
    # content tokens: samtycke, gäller, tolv, månader -> all in the passage
    assert sentence_support("Samtycke gäller tolv månader [1].", [passage]) == 1.0
    # samtycke, gäller, tjugo, månader -> 3 of 4
    assert sentence_support("Samtycke gäller tjugo månader.", [passage]) == 0.75
    # the support may come from any of the cited passages
    assert sentence_support("Samtycke gäller tjugo månader.", [passage, "tjugo"]) == 1.0
    assert sentence_support("Samtycke gäller.", []) == 0.0
    assert sentence_support("Det är så [2].", [passage]) is None  # nothing to check


def test_faithfulness() -> None:
    passage = "Ett samtycke gäller i högst tolv månader."
    sentences = [
        ("Samtycke gäller tolv månader [1].", [passage]),  # 4/4 -> supported
        ("Samtycke gäller tjugo månader [1].", [passage]),  # 3/4 = 0.75 < 0.8 -> unsupported
        ("Blanketten heter Samtycke.", []),  # no citation -> unsupported
        ("Det är så.", [passage]),  # no content tokens -> skipped
    ]
    assert FAITHFUL_THRESHOLD == 0.8
    assert faithfulness(sentences) == pytest.approx(1 / 3)
    assert faithfulness(sentences, threshold=0.75) == pytest.approx(2 / 3)
    assert faithfulness([]) is None
    assert faithfulness([("Det är så.", [passage])]) is None


# --- answer overlap -------------------------------------------------------------------------


def test_token_f1() -> None:
    # pred {tolv, månader}, ref {samtycke, gäller, tolv, månader}: P = 1, R = 1/2, F1 = 2/3
    assert token_f1("Tolv månader.", "Ett samtycke gäller i tolv månader.") == pytest.approx(2 / 3)
    assert token_f1("tolv tolv", "tolv") == pytest.approx(2 / 3)  # overlap 1: P = 1/2, R = 1
    assert token_f1("Samtycke gäller", "samtycke GÄLLER") == 1.0
    assert token_f1("socialnämnden", "tolv månader") == 0.0
    assert token_f1("det är", "och i") == 1.0  # both empty after stopwords
    assert token_f1("det är", "tolv") == 0.0


def test_lcs_length() -> None:
    assert lcs_length(list("abcd"), list("acbd")) == 3
    assert lcs_length([], list("ab")) == 0
    assert lcs_length(list("abc"), list("abc")) == 3


def test_rouge_l() -> None:
    # LCS of (kommun ansvar nämnd beslut) and (kommun nämnd ansvar beslut) is 3: P = R = 3/4
    assert rouge_l("kommun ansvar nämnd beslut", "kommun nämnd ansvar beslut") == pytest.approx(
        0.75
    )
    # pred 2 tokens, ref 4, LCS 2: P = 1, R = 1/2 -> 2/3
    assert rouge_l("tolv månader", "samtycke gäller tolv månader") == pytest.approx(2 / 3)
    assert rouge_l("socialnämnden", "tolv") == 0.0
    assert rouge_l("och", "det") == 1.0


# --- refusals, percentiles, summary ---------------------------------------------------------


def test_refusal_rates() -> None:
    refused = [True, False, True, False]
    answerable = [False, False, True, True]
    assert refusal_rate(refused, answerable) == 0.5  # unanswerable: refused 1 of 2
    assert false_refusal_rate(refused, answerable) == 0.5  # answerable: refused 1 of 2
    assert refusal_rate([True], [True]) is None  # no unanswerable items
    assert false_refusal_rate([True], [False]) is None
    with pytest.raises(ValueError):
        refusal_rate([True], [True, False])


def test_percentile() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 0) == 1
    assert percentile([1, 2, 3, 4], 100) == 4
    # position (5 - 1) * 0.95 = 3.8 -> 40 + 0.8 * (50 - 40)
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


def _record(**overrides: object) -> ItemRecord:
    values: dict[str, object] = {
        "id": "x",
        "category": "factual",
        "answerable": True,
        "rank_of_first_gold": 1,
        "gold_recall_at_5": 1.0,
        "ndcg10": 1.0,
        "refused": False,
        "citation_support": True,
        "faithfulness": 1.0,
        "f1": 0.5,
        "rouge_l": 0.5,
        "latency_ms": 100.0,
    }
    values.update(overrides)
    return ItemRecord(**values)  # type: ignore[arg-type]


def test_item_record_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _record().refused = True  # type: ignore[misc]


def test_summarize() -> None:
    records = [
        _record(id="a", rank_of_first_gold=1, latency_ms=100.0),
        _record(
            id="b",
            rank_of_first_gold=None,
            gold_recall_at_5=0.0,
            ndcg10=0.0,
            refused=True,
            citation_support=None,
            faithfulness=None,
            f1=0.0,
            rouge_l=0.0,
            latency_ms=300.0,
        ),
        _record(
            id="c",
            category="unanswerable",
            answerable=False,
            rank_of_first_gold=None,
            gold_recall_at_5=None,
            ndcg10=None,
            refused=True,
            citation_support=None,
            faithfulness=None,
            f1=None,
            rouge_l=None,
            latency_ms=200.0,
        ),
    ]
    summary = summarize(records)
    overall = summary["overall"]
    assert (overall["n"], overall["n_answerable"], overall["n_unanswerable"]) == (3, 2, 1)
    assert overall["hit@1"] == 0.5  # over the two answerable items only
    assert overall["mrr@10"] == 0.5
    assert overall["ndcg@10"] == 0.5
    assert overall["recall@5"] == 0.5
    assert overall["refusal_rate"] == 1.0
    assert overall["false_refusal_rate"] == 0.5
    assert overall["citation_support"] == 1.0  # only item a had a citation verdict
    assert overall["faithfulness"] == 1.0
    assert overall["f1"] == 0.25
    assert overall["rouge_l"] == 0.25
    assert overall["latency_ms_p50"] == 200.0
    assert overall["latency_ms_p95"] == pytest.approx(290.0)  # 200 + 0.9 * 100

    assert set(summary["per_category"]) == {"factual", "unanswerable"}
    unanswerable = summary["per_category"]["unanswerable"]
    assert unanswerable["hit@1"] is None
    assert unanswerable["false_refusal_rate"] is None
    assert unanswerable["refusal_rate"] == 1.0
    assert summary["per_category"]["factual"]["refusal_rate"] is None


# --- answer level ---------------------------------------------------------------------------

GOLD = ["Socialnämnden ansvarar för att den enskilde får det stöd och den hjälp som behövs."]
REFERENCE = "Socialnämnden har ansvaret för att den enskilde får stöd och hjälp."


def test_answer_sentences_split_on_ellipsis_and_drop_markers() -> None:
    answer = "Nämnden ansvarar för stödet [1] … Hjälpen ska vara skälig. [2]\nDet gäller alla."
    assert answer_sentences(answer) == [
        "Nämnden ansvarar för stödet",
        "Hjälpen ska vara skälig.",
        "Det gäller alla.",
    ]


def test_a_perfect_answer_scores_one() -> None:
    answer = f"{GOLD[0]} [1]"
    assert answer_recall(answer, GOLD) == 1.0
    assert answer_precision(answer, GOLD, REFERENCE) == 1.0


def test_an_off_target_answer_scores_low() -> None:
    answer = (
        "Mer information om arbetet finns på webbplatsen (PDF). [1] "
        "Kartläggningen har skett genom sökningar i databaser. [2] "
        "Socialnämnden ansvarar för att den enskilde får stöd. [1]"
    )
    assert answer_recall(answer, GOLD) == 0.0
    assert answer_precision(answer, GOLD, REFERENCE) == pytest.approx(1 / 3)
    assert off_target_rate([answer_precision(answer, GOLD, REFERENCE)]) == 1.0


def test_off_target_rate_counts_answers_under_half() -> None:
    assert off_target_rate([1.0, 0.5, 0.49, None]) == pytest.approx(1 / 3)
    assert off_target_rate([None]) is None


def test_on_target_needs_half_of_the_content_words() -> None:
    gold = set(content_tokens("nämnden beslutar om bistånd"))
    assert on_target("Nämnden beslutar.", gold)
    assert on_target("Nämnden beslutar om handläggning, delegation och tillsyn.", gold) is False
    assert on_target("Nämnden beslutar om handläggning och delegation.", gold)  # 2 of 4
    assert on_target("och i att", gold) is False  # no content words


def test_refusal_is_not_counted_as_an_answer() -> None:
    refused = _record(refused=True, answer_recall=None, answer_precision=None)
    answered = _record(id="b", answer_recall=1.0, answer_precision=1.0)
    overall = summarize([refused, answered])["overall"]
    assert overall["answer_recall"] == 1.0
    assert overall["answer_precision"] == 1.0
    assert overall["off_target_rate"] == 0.0
