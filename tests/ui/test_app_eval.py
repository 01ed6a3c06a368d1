"""The evaluation page with AppTest: no report yet, a report to read, and a real run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from tests.ui.conftest import APP, TIMEOUT, app_environment, clear_app_caches

DATASET = [
    {
        "id": "t1",
        "question": "Vad gäller vid sekretess?",
        "reference_answer": "Huvudregeln är att sekretess gäller och att samtycke ska inhämtas.",
        "gold_sources": ["kunskapsguiden/uppdrag-och-ansvar.txt"],
        "gold_quotes": ["huvudregeln är att sekretess gäller"],
        "category": "factual",
    },
    {
        "id": "t2",
        "question": "Hur mycket är riksnormen för 2026?",
        "reference_answer": "Källorna täcker inte frågan.",
        "gold_sources": [],
        "gold_quotes": [],
        "category": "unanswerable",
    },
]


@pytest.fixture(scope="module", autouse=True)
def app_settings(seed_settings: Settings, seed_index, password_hash: str) -> Iterator[Settings]:
    with app_environment(seed_settings, password_hash):
        yield seed_settings


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data dir of its own, without an index (the page only reads the report from it)."""
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    clear_app_caches()
    yield tmp_path / "data"
    clear_app_caches()


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/evaluation.py").run()
    assert not at.exception, at.exception
    return at


def write_report(out: Path) -> None:
    group = {
        "n": 2, "hit@5": 1.0, "mrr@10": 0.75, "citation_support": 1.0, "faithfulness": 0.9,
        "refusal_rate": 0.5, "false_refusal_rate": 0.0, "latency_ms_p50": 120.0,
    }  # fmt: skip
    summary = {
        "dataset": "eval/data/reference.jsonl", "items": 2, "mode": "extractive",
        "created": "2026-01-01 12:00",
        "configs": {
            "product": {"overall": group, "per_category": {"factual": group, "typo": group}},
            "naive_hybrid": {"overall": {**group, "hit@5": 0.5}, "per_category": {"factual": group}},
            "naive_langchain": {"overall": {**group, "hit@5": 0.25}, "per_category": {}},
        },
    }  # fmt: skip
    rows = [
        {
            "config": "product", "id": "t2", "category": "unanswerable",
            "question": "Hur mycket är riksnormen för 2026?", "answer": "Riksnormen är … [1]",
            "refused": False, "gold_sources": [], "failure": "answered_unanswerable",
            "retrieved": [{"title": "Uppdrag och ansvar", "section": "Rätten till ekonomiskt "
                           "bistånd", "source": "kunskapsguiden/uppdrag-och-ansvar.txt"}],
            "metrics": {"answerable": False, "rank_of_first_gold": None},
        },
        {
            "config": "product", "id": "t3", "category": "followup",
            "history": ["Vad är en delegationsordning?"], "question": "vem beslutar om den?",
            "standalone_question": "delegationsordning: vem beslutar om den?",
            "answer": "Handläggaren dokumenterar. [1]", "refused": False,
            "failure": "retrieved_below_5",
            "gold_sources": ["kunskapsguiden/uppdrag-och-ansvar.txt"],
            "gold_quotes": ["Nämnden beslutar om delegationsordningen."],
            "retrieved": [{"title": "Om yrkesintroduktion", "source": "kunskapsguiden/om.txt"}] * 5
            + [{"title": "Uppdrag och ansvar", "source": "kunskapsguiden/uppdrag-och-ansvar.txt",
                "gold": True}],
            "metrics": {"answerable": True, "rank_of_first_gold": 6},
        },
        {
            "config": "product", "id": "t1", "category": "factual",
            "question": "Vad gäller vid sekretess?", "answer": "Sekretess gäller [1]",
            "refused": False, "gold_sources": ["kunskapsguiden/uppdrag-och-ansvar.txt"],
            "retrieved": [], "failure": None,
            "metrics": {"answerable": True, "rank_of_first_gold": 1},
        },
    ]  # fmt: skip
    out.mkdir(parents=True)
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")


def test_without_a_report_the_page_says_how_to_make_one(data_dir: Path) -> None:
    at = open_page()
    assert at.title[0].value == "Utvärdering"
    assert "ingen utvärderingsrapport" in at.info[0].value
    assert not at.error


def test_the_latest_report_shows_metrics_chart_and_failures(data_dir: Path) -> None:
    write_report(data_dir / "eval" / "latest")
    at = open_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rätt källa bland de 5 första"] == "100%"
    assert metrics["MRR@10"] == "0.75"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert "+50 %-enheter" in str(at.metric[0].delta)  # against naive_hybrid
    assert any("Naiv hybrid (e5 + BM25)" in c.value for c in at.caption)
    failures = [e.label for e in at.expander if "riksnormen" in e.label]
    assert len(failures) == 1  # the answered unanswerable question, not the good one
    assert "besvarade en fråga som källorna inte täcker" in failures[0]
    assert any("Frågor som inte klarades (2 av 3)" in h.value for h in at.subheader)
    assert any("Rätten till ekonomiskt bistånd" in m.value for m in at.markdown)
    followup = next(e for e in at.expander if "vem beslutar om den" in e.label)
    assert "först efter plats 5" in followup.label
    texts = [m.value for m in followup.markdown]
    assert any("Tidigare fråga" in t and "delegationsordning" in t for t in texts)
    assert any("Tolkad som" in t for t in texts)
    assert any("Nämnden beslutar om delegationsordningen." in t for t in texts)
    assert sum("guld" in t for t in texts if "Uppdrag och ansvar" in t) == 1


@pytest.mark.slow
def test_run_the_evaluation_from_the_page(app_settings: Settings, tmp_path: Path) -> None:
    dataset = tmp_path / "mini.jsonl"
    dataset.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in DATASET), "utf-8")
    at = open_page()
    next(t for t in at.text_input if t.label == "Frågeset (JSONL)").input(str(dataset))
    next(b for b in at.button if b.label == "Kör utvärderingen").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "klar" in at.success[0].value
    assert (app_settings.data_dir / "eval" / "latest" / "summary.json").exists()
    assert any("av 2)" in h.value for h in at.subheader)
