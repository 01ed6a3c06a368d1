"""The shipped reference set is well-formed and every gold quote is really in its source."""

from __future__ import annotations

from collections import Counter

import pytest

from core.settings import ROOT
from eval.dataset import CATEGORIES, EvalItem, load_dataset, verify_gold_quotes
from eval.matching import match_tokens

REFERENCE = ROOT / "eval" / "data" / "reference.jsonl"
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_dataset(REFERENCE)


def test_size_and_categories(items: list[EvalItem]) -> None:
    counts = Counter(item.category for item in items)
    assert len(items) >= 300
    assert set(counts) == set(CATEGORIES)
    unanswerable = [item for item in items if not item.answerable]
    assert len(unanswerable) >= 60
    assert counts["near_miss"] >= len(unanswerable) / 2
    assert counts["followup"] >= 30
    assert counts["english"] >= 20 and counts["colloquial"] >= 30


def test_followups_are_conversations(items: list[EvalItem]) -> None:
    followups = [item for item in items if item.category == "followup"]
    assert all(1 <= len(item.history) <= 4 for item in followups)
    assert not any(item.history for item in items if item.category != "followup")


def test_cross_document_items_quote_two_documents(items: list[EvalItem]) -> None:
    cross = [item for item in items if item.category == "cross_document"]
    assert cross and all(len(set(item.gold_sources)) >= 2 for item in cross)


def test_every_item_is_in_a_split_stratified_by_category(items: list[EvalItem]) -> None:
    assert all(item.split in ("dev", "test") for item in items)
    for category in CATEGORIES:
        splits = [item.split for item in items if item.category == category]
        assert abs(splits.count("dev") - splits.count("test")) <= 1, category


def test_gold_quotes_are_found_in_their_sources(items: list[EvalItem]) -> None:
    assert verify_gold_quotes(items, CORPUS) == []


def test_quotes_are_sentence_sized(items: list[EvalItem]) -> None:
    too_short_or_long = [
        (item.id, quote)
        for item in items
        for quote in item.gold_quotes
        if not 8 <= len(match_tokens(quote)) <= 40
    ]
    assert too_short_or_long == []


def test_multi_part_items_have_several_quotes(items: list[EvalItem]) -> None:
    assert all(len(item.gold_quotes) >= 2 for item in items if item.category == "multi_part")
    assert all(1 <= len(item.gold_quotes) <= 3 for item in items if item.answerable)


def test_weighted_towards_guidance_and_local_routine(items: list[EvalItem]) -> None:
    """Kunskapsguiden and the local routine are what a new caseworker needs most; the long
    reports are where answers are hardest to find (the deep_section items)."""
    sources = Counter(source.split("/")[0] for item in items for source in item.gold_sources)
    core = sources["kunskapsguiden"] + sources["lokala-rutiner"]
    assert core > sum(sources.values()) / 3
    assert all(sources[folder] > 0 for folder in ("rapporter", "kommunala-planer", "artiklar"))
    assert sources["lokala-rutiner"] >= 2
