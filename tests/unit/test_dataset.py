"""Loading and validating the reference question file, and checking gold quotes against a corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ConfigError, KunskapsguideError
from eval.dataset import (
    CATEGORIES,
    EvalItem,
    assign_split,
    load_dataset,
    select_split,
    verify_gold_quotes,
)

SOURCE = "rapporter/rapport.txt"


def _item(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "q1",
        "question": "vem ansvarar för introduktionen?",
        "reference_answer": "Kommunen ansvarar för introduktionen.",
        "gold_sources": [SOURCE],
        "gold_quotes": ["Kommunen ansvarar för att nyanställda får en bra introduktion."],
        "category": "factual",
    }
    item.update(overrides)
    return item


def _write(tmp_path: Path, *rows: dict[str, Any] | str) -> Path:
    path = tmp_path / "frågor.jsonl"
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_valid_file_skips_blank_lines(tmp_path: Path) -> None:
    unanswerable = _item(
        id="q2",
        category="unanswerable",
        gold_sources=[],
        gold_quotes=[],
        reference_answer="Källorna täcker inte detta.",
    )
    items = load_dataset(_write(tmp_path, _item(), "", "   ", unanswerable))
    assert [i.id for i in items] == ["q1", "q2"]
    assert items[0].answerable and not items[1].answerable
    assert items[0].gold_sources == [SOURCE]


def test_categories() -> None:
    assert set(CATEGORIES) == {
        "factual",
        "paraphrase",
        "abbreviation",
        "typo",
        "multi_part",
        "english",
        "numeric",
        "colloquial",
        "deep_section",
        "cross_document",
        "followup",
        "unanswerable",
        "near_miss",
    }


def test_followup_carries_its_history_and_split(tmp_path: Path) -> None:
    followup = _item(
        id="f1", category="followup", question="och vem ansvarar för det?",
        history=["vad är en introduktion?"], split="test",
    )  # fmt: skip
    near = _item(id="n1", category="near_miss", gold_sources=[], gold_quotes=[], split="dev")
    items = load_dataset(_write(tmp_path, _item(), followup, near))
    assert items[0].history == [] and items[0].split is None
    assert items[1].history == ["vad är en introduktion?"] and items[1].split == "test"
    assert items[1].answerable and not items[2].answerable


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{"id": "q9", "question": ', "ogiltig JSON"),
        ('["en", "lista"]', "JSON-objekt"),
        (_item(category="trivia"), "'category' måste vara ett av"),
        ({k: v for k, v in _item().items() if k != "question"}, "'question' saknas"),
        (_item(extra="x"), "okänt fält 'extra'"),
        (_item(question=""), "'question' får inte vara tomt"),
        (_item(gold_quotes="en text"), "'gold_quotes' måste vara en lista"),
        (_item(gold_quotes=["  "]), "tomt"),
        (_item(gold_sources=["/etc/passwd"]), "relativ till corpus/"),
        (_item(gold_sources=["../hemligt.txt"]), "relativ till corpus/"),
        (_item(category="unanswerable"), "obesvarbar"),
        (_item(gold_quotes=[]), "besvarbar fråga"),
        (_item(gold_sources=[]), "besvarbar fråga"),
        (_item(split="train"), "'split' måste vara ett av: dev, test"),
        (_item(category="followup"), "behöver de tidigare frågorna i history"),
        (_item(category="followup", history=["", "hej"]), "tidigare fråga i history är tom"),
        (_item(history="vad är sekretess?"), "'history' måste vara en lista"),
        (_item(category="near_miss"), "obesvarbar"),
    ],
)
def test_bad_line_names_the_line(tmp_path: Path, row: dict[str, Any] | str, message: str) -> None:
    path = _write(tmp_path, _item(id="ok"), "", row)
    with pytest.raises(ConfigError, match="rad 3") as caught:
        load_dataset(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rad 2: id 'q1' finns redan på rad 1"):
        load_dataset(_write(tmp_path, _item(), _item()))


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="finns inte"):
        load_dataset(tmp_path / "saknas.jsonl")
    empty = tmp_path / "tom.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="inga frågor"):
        load_dataset(empty)


def test_errors_belong_to_the_product_hierarchy() -> None:
    assert issubclass(ConfigError, KunskapsguideError)


def test_item_is_frozen() -> None:
    item = EvalItem.model_validate(_item())
    with pytest.raises(ValueError):
        item.id = "nytt"  # type: ignore[misc]


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "rapporter").mkdir(parents=True)
    # PDF-extracted text: blank lines between lines and end-of-line hyphenation
    (root / SOURCE).write_text(
        "Inledning \n\nKommunen ansvarar för att ny-\n\nanställda får en bra \n\nintroduktion. "
        "Det är viktigt.\n",
        encoding="utf-8",
    )
    (root / "annan.txt").write_text("Helt annan text om något annat.", encoding="utf-8")
    return root


def test_verify_gold_quotes_accepts_robust_matches(corpus: Path) -> None:
    items = [
        EvalItem.model_validate(_item()),
        EvalItem.model_validate(
            _item(
                id="q2",
                gold_quotes=["KOMMUNEN ansvarar för att nyanställda får en bra introduktion"],
            )
        ),
        EvalItem.model_validate(
            _item(
                id="q3",
                category="unanswerable",
                gold_sources=[],
                gold_quotes=[],
                reference_answer="Nej.",
            )
        ),
    ]
    assert verify_gold_quotes(items, corpus) == []


def test_verify_gold_quotes_reports_each_problem(corpus: Path) -> None:
    items = [
        EvalItem.model_validate(
            _item(
                id="fel-citat",
                gold_quotes=["Staten ansvarar för att nyanställda får en bra introduktion."],
            )
        ),
        EvalItem.model_validate(
            _item(id="halvt", gold_quotes=["Kommunen ansvarar för att nyanställda får en bra lön."])
        ),
        EvalItem.model_validate(_item(id="saknad-fil", gold_sources=["rapporter/saknas.txt"])),
        EvalItem.model_validate(_item(id="oanvänd", gold_sources=[SOURCE, "annan.txt"])),
    ]
    problems = verify_gold_quotes(items, corpus)
    assert len(problems) == 6
    assert problems[0].startswith("fel-citat: citatet 'Staten ansvarar")
    assert "hittades inte i 'rapporter/rapport.txt'" in problems[0]
    assert (
        problems[1]
        == "fel-citat: källan 'rapporter/rapport.txt' innehåller inget av frågans citat."
    )
    assert problems[2].startswith("halvt: citatet")  # a partial match is not enough for gold data
    assert problems[4].startswith("saknad-fil: källan 'rapporter/saknas.txt' finns inte")
    assert problems[5] == "oanvänd: källan 'annan.txt' innehåller inget av frågans citat."


def test_select_split(tmp_path: Path) -> None:
    rows = [_item(id="d", split="dev"), _item(id="t", split="test"), _item(id="n")]
    items = load_dataset(_write(tmp_path, *rows))
    assert [i.id for i in select_split(items, "dev")] == ["d"]
    assert [i.id for i in select_split(items, "test")] == ["t"]
    assert [i.id for i in select_split(items, "all")] == ["d", "t", "n"]
    with pytest.raises(ConfigError, match="Okänd del"):
        select_split(items, "train")
    with pytest.raises(ConfigError, match="inga frågor i delen 'test'"):
        select_split(items[:1], "test")


@given(st.lists(st.sampled_from(["factual", "english", "near_miss"]), min_size=1, max_size=60))
def test_assign_split_is_stratified_and_never_moves_an_item(categories: list[str]) -> None:
    done: list[EvalItem] = []
    for n, category in enumerate(categories):
        gold = {"gold_sources": [], "gold_quotes": []} if category == "near_miss" else {}
        item = EvalItem.model_validate(_item(id=f"q{n}", category=category, **gold))
        split = assign_split(item, done)
        assert assign_split(item, done) == split  # deterministic
        done.append(item.model_copy(update={"split": split}))
    for category in set(categories):
        splits = [i.split for i in done if i.category == category]
        assert abs(splits.count("dev") - splits.count("test")) <= 1
