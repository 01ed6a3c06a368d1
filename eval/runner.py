"""Run a reference set through the product (and the naive baseline) and write
results.jsonl, summary.json and the report."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from assistant.citations import passage_to_dict
from assistant.privacy import mask_personal_data
from assistant.types import Answer, Passage
from eval.dataset import EvalItem, load_dataset
from eval.metrics import (
    ItemRecord,
    citation_support,
    faithfulness,
    first_relevant_rank,
    ndcg_at_k,
    recall_of_quotes_at_k,
    rouge_l,
    summarize,
    token_f1,
)
from ingest.settings import Settings

log = logging.getLogger(__name__)

RETRIEVAL_K = 10
_SEGMENT = re.compile(r"(.+?)\s*((?:\[\d+(?:\s*,\s*\d+)*\])+)", re.S)
_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


class System(Protocol):
    mode: str

    def ask(self, question: str) -> Answer: ...


def cited_sentences(answer: Answer) -> list[tuple[str, list[str]]]:
    """(sentence, texts of the passages it cites) for each cited segment of an answer."""
    by_n = {c.n: c.passage.text for c in answer.citations}
    out = []
    for match in _SEGMENT.finditer(answer.answer):
        numbers = [int(x) for group in _MARKERS.findall(match.group(2)) for x in group.split(",")]
        texts = [by_n[n] for n in numbers if n in by_n]
        out.append((match.group(1).strip(), texts))
    return out


def strip_markers(text: str) -> str:
    return _MARKERS.sub("", text).strip()


def measure(item: EvalItem, answer: Answer, ranked: Sequence[Passage], latency_ms: float) -> ItemRecord:
    texts = [p.text for p in ranked]
    answerable = item.category != "unanswerable"
    cited = [c.passage.text for c in answer.citations]
    pairs = cited_sentences(answer)
    return ItemRecord(
        id=item.id,
        category=item.category,
        answerable=answerable,
        rank_of_first_gold=first_relevant_rank(texts, item.gold_quotes) if answerable else None,
        gold_recall_at_5=recall_of_quotes_at_k(texts, item.gold_quotes, 5) if answerable else None,
        ndcg10=ndcg_at_k(texts, item.gold_quotes, RETRIEVAL_K) if answerable else None,
        refused=answer.refused,
        citation_support=(
            citation_support(cited, item.gold_quotes) if answerable and not answer.refused else None
        ),
        faithfulness=faithfulness(pairs) if pairs and not answer.refused else None,
        f1=token_f1(strip_markers(answer.answer), item.reference_answer) if answerable else None,
        rouge_l=rouge_l(strip_markers(answer.answer), item.reference_answer) if answerable else None,
        latency_ms=latency_ms,
    )


def evaluate(
    name: str,
    ask: Callable[[str], Answer],
    rank: Callable[[str], Sequence[Passage]],
    items: Sequence[EvalItem],
    out_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ItemRecord]:
    records = []
    with (out_dir / f"results-{name}.jsonl").open("w", encoding="utf-8") as fh:
        for i, item in enumerate(items):
            if progress:
                progress(name, i, len(items))
            started = time.perf_counter()
            answer = ask(item.question)
            latency = (time.perf_counter() - started) * 1000
            ranked = rank(item.question)
            record = measure(item, answer, ranked, latency)
            records.append(record)
            row: dict[str, Any] = {
                "config": name,
                "id": item.id,
                "category": item.category,
                "question": mask_personal_data(item.question).text,
                "answer": mask_personal_data(answer.answer).text,
                "refused": answer.refused,
                "citations": [passage_to_dict(c.passage, c.n, c.quote) for c in answer.citations],
                "retrieved": [passage_to_dict(p) for p in ranked],
                "gold_sources": item.gold_sources,
                "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()}
                | {"total_measured": round(latency, 1)},
                "metrics": asdict(record),
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return records


def run_evaluation(
    settings: Settings,
    dataset: Path,
    out_dir: Path,
    mode: str = "extractive",
    baseline: bool = True,
    assistant: Any | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Evaluate the product (and the baseline) on a dataset; returns the summary."""
    from assistant.service import build_assistant

    items = load_dataset(dataset)
    out_dir.mkdir(parents=True, exist_ok=True)
    if assistant is None:
        assistant = build_assistant(settings.model_copy(update={"mode": mode}))
    assistant.ask("uppvärmning")  # warm the model so latency is that of a warm process
    configs: dict[str, Any] = {}
    records = evaluate(
        "product",
        assistant.ask,
        lambda q: assistant.search(q, k=RETRIEVAL_K).passages,
        items,
        out_dir,
        progress,
    )
    configs["product"] = summarize(records)
    if baseline:
        from eval.baseline import NaiveBaseline

        naive = NaiveBaseline(settings.corpus_dir, settings.manifest_path)
        naive_records = evaluate("baseline", naive.ask, naive.retrieve, items, out_dir, progress)
        configs["baseline"] = summarize(naive_records)
    # results.jsonl: all configurations, one line per item and configuration.
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as fh:
        for name in configs:
            fh.write((out_dir / f"results-{name}.jsonl").read_text(encoding="utf-8"))
    summary = {
        "dataset": str(dataset),
        "items": len(items),
        "mode": mode,
        "created": time.strftime("%Y-%m-%d %H:%M"),
        "configs": configs,
    }
    (out_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    from eval.report import write_report

    write_report(summary, out_dir)
    return summary
