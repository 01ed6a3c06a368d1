"""Run a reference set through the product (and the naive baseline) and write
results.jsonl, summary.json and the report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from assistant.citations import passage_to_dict, section_to_dict
from assistant.privacy import mask_personal_data
from assistant.types import Answer, Passage, SectionKey, Turn
from core import markers
from core.settings import Settings
from eval.dataset import EvalItem, load_dataset, select_split
from eval.metrics import (
    ItemRecord,
    answer_precision,
    answer_recall,
    citation_support,
    faithfulness,
    first_relevant_rank,
    ndcg_at_k,
    quotes_found,
    recall_of_quotes_at_k,
    rouge_l,
    summarize,
    token_f1,
)

log = logging.getLogger(__name__)

RETRIEVAL_K = 10


Rank = Callable[[str, Sequence[SectionKey]], Sequence[Passage]]  # (question, prior sections)


class System(Protocol):
    """What the runner needs of a configuration: answer a question in its conversation."""

    def ask(self, question: str, history: Sequence[str | Turn] | None = None) -> Answer: ...


def conversation(system: System, questions: Sequence[str]) -> list[Turn]:
    """The exchanges before a follow-up, as the chat has them: each earlier question asked in
    turn after the ones before it, so that the follow-up meets the sections they cited."""
    turns: list[Turn] = []
    for question in questions:
        turns.append(system.ask(question, history=turns).turn)
    return turns


def cited_sentences(answer: Answer) -> list[tuple[str, list[str]]]:
    """(sentence, texts of the passages it cites) for each cited segment of an answer."""
    by_n = {c.n: c.passage.text for c in answer.citations}
    return [
        (segment.text, [by_n[n] for n in segment.numbers if n in by_n])
        for segment in markers.split(answer.answer)
        if segment.numbers and segment.text
    ]


def measure(item: EvalItem, answer: Answer, ranked: Sequence[Passage], latency_ms: float) -> ItemRecord:
    texts = [p.text for p in ranked]
    answerable = item.answerable
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
        f1=token_f1(markers.strip(answer.answer), item.reference_answer) if answerable else None,
        rouge_l=rouge_l(markers.strip(answer.answer), item.reference_answer) if answerable else None,
        latency_ms=latency_ms,
        answer_recall=(
            answer_recall(answer.answer, item.gold_quotes)
            if answerable and not answer.refused
            else None
        ),
        answer_precision=(
            answer_precision(answer.answer, item.gold_quotes, item.reference_answer)
            if answerable and not answer.refused
            else None
        ),
    )


def failure(record: ItemRecord) -> str | None:
    """The key in `eval.report.FAILURES` that explains why the item failed; None when it passed."""
    if not record.answerable:
        return None if record.refused else "answered_unanswerable"
    if record.rank_of_first_gold is None:
        return "not_retrieved"
    if record.rank_of_first_gold > 5:
        return "retrieved_below_5"
    if record.refused:
        return "wrongly_refused"
    if record.answer_precision is not None and record.answer_precision < 0.5:
        return "off_target"
    return None


def evaluate(
    name: str,
    system: System,
    rank: Rank,
    items: Sequence[EvalItem],
    out_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ItemRecord]:
    """Ask every item (after its conversation, as the chat would) and measure; the retrieval
    metrics rank the standalone question the system actually searched, with the sections it
    favoured. Latency is that of the item's own question."""
    records = []
    with (out_dir / f"results-{name}.jsonl").open("w", encoding="utf-8") as fh:
        for i, item in enumerate(items):
            if progress:
                progress(name, i, len(items))
            earlier = conversation(system, item.history)
            started = time.perf_counter()
            answer = system.ask(item.question, history=earlier)
            latency = (time.perf_counter() - started) * 1000
            ranked = rank(answer.standalone_question or item.question, answer.prior_sections)
            record = measure(item, answer, ranked, latency)
            records.append(record)
            fh.write(json.dumps(result_row(name, item, answer, ranked, record), ensure_ascii=False))
            fh.write("\n")
    return records


def result_row(
    name: str, item: EvalItem, answer: Answer, ranked: Sequence[Passage], record: ItemRecord
) -> dict[str, Any]:
    """One line of results.jsonl: what was asked and answered, masked, with its metrics."""
    def masked(text: str) -> str:
        return mask_personal_data(text).text

    return {
        "config": name,
        "id": item.id,
        "category": item.category,
        "split": item.split,
        "question": masked(item.question),
        "history": [masked(h) for h in item.history],
        "standalone_question": masked(answer.standalone_question or item.question),
        "prior_sections": [section_to_dict(key) for key in answer.prior_sections],
        "answer": masked(answer.answer),
        "refused": answer.refused,
        "failure": failure(record),
        "citations": [passage_to_dict(c.passage, c.n, c.quote) for c in answer.citations],
        "retrieved": [
            passage_to_dict(p) | {"gold": bool(quotes_found(p.text, item.gold_quotes))}
            for p in ranked
        ],
        "gold_sources": item.gold_sources,
        "gold_quotes": item.gold_quotes,
        "reference_answer": item.reference_answer,
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()}
        | {"total_measured": round(record.latency_ms, 1)},
        "metrics": asdict(record),
    }


def searched_as_typed(retrieve: Callable[[str], Sequence[Passage]]) -> Rank:
    """A baseline's ranking, which knows nothing of the conversation."""
    return lambda question, _prior: retrieve(question)


def run_evaluation(
    settings: Settings,
    dataset: Path,
    out_dir: Path,
    mode: str = "extractive",
    baseline: bool = True,
    assistant: Any | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    split: str = "all",
) -> dict[str, Any]:
    """Evaluate the product and, unless `baseline` is False, both naive baselines on the
    items of `split` (dev, test or all); returns the summary."""
    from assistant.service import build_assistant

    items = select_split(load_dataset(dataset), split)
    out_dir.mkdir(parents=True, exist_ok=True)
    if assistant is None:
        assistant = build_assistant(settings.model_copy(update={"mode": mode}))
    assistant.ask("uppvärmning")  # warm the model so latency is that of a warm process
    configs: dict[str, Any] = {}
    records = evaluate(
        "product",
        assistant,
        lambda q, prior: assistant.search(q, k=RETRIEVAL_K, prior=prior).passages,
        items,
        out_dir,
        progress,
    )
    configs["product"] = summarize(records)
    if baseline:
        from eval.baseline import NaiveHybrid, NaiveLangchain

        corpus, manifest = settings.corpus_dir, settings.manifest_path
        hybrid = NaiveHybrid(corpus, manifest, assistant.retriever.embedder)
        configs["naive_hybrid"] = summarize(
            evaluate("naive_hybrid", hybrid, searched_as_typed(hybrid.retrieve), items, out_dir, progress)
        )
        chain = NaiveLangchain(corpus, manifest)
        configs["naive_langchain"] = summarize(
            evaluate(
                "naive_langchain", chain, searched_as_typed(chain.retrieve), items, out_dir, progress
            )
        )
    # results.jsonl: all configurations, one line per item and configuration.
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as fh:
        for name in configs:
            fh.write((out_dir / f"results-{name}.jsonl").read_text(encoding="utf-8"))
    summary = {
        "dataset": str(dataset),
        "split": split,
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
