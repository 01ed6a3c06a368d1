"""`eval run` for real: the seed index, the real e5 model, both naive baselines, a follow-up
run as a conversation, the split chosen, and the report that names what failed and why."""

from __future__ import annotations

import json
from pathlib import Path

from core.settings import Settings
from eval.runner import run_evaluation

SOURCE = "lokala-rutiner/EXEMPEL-rutin-samtycke-och-uppgiftslamnande.md"
ITEMS = [
    {
        "id": "samtycke", "split": "test", "category": "factual",
        "question": "Hur ska ett samtycke dokumenteras enligt den lokala rutinen?",
        "reference_answer": "Samtycket dokumenteras i akten.",
        "gold_sources": [SOURCE], "gold_quotes": [],
    },
    {
        "id": "foljd", "split": "test", "category": "followup",
        "history": ["Vad säger rutinen om samtycke?"],
        "question": "och om klienten inte vill?",
        "reference_answer": "Då lämnas inga uppgifter utan stöd i lag.",
        "gold_sources": [SOURCE], "gold_quotes": [],
    },
    {
        "id": "miss", "split": "test", "category": "near_miss",
        "question": "Hur många dagar gäller ett samtycke enligt rutinen?",
        "reference_answer": "Källorna anger ingen giltighetstid.",
        "gold_sources": [], "gold_quotes": [],
    },
    {
        "id": "dev-only", "split": "dev", "category": "unanswerable",
        "question": "Hur bokar jag semester i personalsystemet?",
        "reference_answer": "Källorna täcker inte det.",
        "gold_sources": [], "gold_quotes": [],
    },
]  # fmt: skip


def test_eval_run_on_the_test_split_with_both_baselines(
    seed_settings: Settings, seed_assistant, tmp_path: Path
) -> None:
    routine = (seed_settings.corpus_dir / SOURCE).read_text(encoding="utf-8")
    sentences = [s.strip() for s in routine.replace("\n", " ").split(".") if len(s.split()) >= 8]
    items = [dict(item) for item in ITEMS]
    items[0]["gold_quotes"] = [sentences[0]]
    items[1]["gold_quotes"] = [sentences[-1]]
    dataset = tmp_path / "fragor.jsonl"
    dataset.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    out = tmp_path / "resultat"

    summary = run_evaluation(seed_settings, dataset, out, assistant=seed_assistant, split="test")

    assert summary["split"] == "test" and summary["items"] == 3
    assert list(summary["configs"]) == ["product", "naive_hybrid", "naive_langchain"]
    for config in summary["configs"].values():
        assert set(config["per_category"]) == {"factual", "followup", "near_miss"}
        for group in [config["overall"], *config["per_category"].values()]:
            assert {"answer_recall", "answer_precision", "off_target_rate"} <= set(group)
    hybrid = summary["configs"]["naive_hybrid"]["overall"]
    assert hybrid["refusal_rate"] == 0.0  # the naive pipelines never refuse
    assert hybrid["hit@5"] is not None

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["config"] for r in rows} == {"product", "naive_hybrid", "naive_langchain"}
    followup = next(r for r in rows if r["config"] == "product" and r["id"] == "foljd")
    assert followup["history"] == ["Vad säger rutinen om samtycke?"]
    assert followup["standalone_question"] != followup["question"]  # resolved before search
    naive = next(r for r in rows if r["config"] == "naive_hybrid" and r["id"] == "foljd")
    assert naive["standalone_question"] == naive["question"]  # searched as typed
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Naiv hybrid (e5 + BM25)" in page and "Naiv LangChain (MiniLM)" in page
    answered_miss = [r for r in rows if r["id"] == "miss" and not r["refused"]]
    for row in answered_miss:
        assert row["failure"] == "answered_unanswerable"
