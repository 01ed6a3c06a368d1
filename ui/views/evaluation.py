"""Evaluation: the latest report of the reference questions, and a button to run a new one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from core.settings import ROOT
from eval.report import CONFIG_LABELS, FAILURES
from eval.runner import run_evaluation
from ui import render, resources

REFERENCE_SET = ROOT / "eval" / "data" / "reference.jsonl"
STRONGEST_BASELINE = "naive_hybrid"
SPLITS = {
    "all": "alla frågor",
    "test": "test (fryst: siffrorna som redovisas)",
    "dev": "dev (för justering)",
}
METRICS = {  # summary key → Swedish label; shares are shown in per cent
    "hit@5": "Rätt källa bland de 5 första",
    "mrr@10": "MRR@10",
    "answer_recall": "Svaret innehåller facit",
    "answer_precision": "Svarsmeningar som träffar",
    "off_target_rate": "Svar mest vid sidan av",
    "citation_support": "Källstöd",
    "faithfulness": "Trohet mot källan",
    "refusal_rate": "Avböjer obesvarbara",
    "false_refusal_rate": "Felaktigt avböjda",
    "latency_ms_p50": "Svarstid, median (ms)",
    "latency_ms_p95": "Svarstid, p95 (ms)",
}
CATEGORIES = {
    "factual": "Faktafrågor",
    "paraphrase": "Omformulerade",
    "abbreviation": "Förkortningar",
    "typo": "Stavfel",
    "multi_part": "Flerdelade",
    "english": "På engelska",
    "numeric": "Tal och paragrafer",
    "colloquial": "Vardagligt skrivna",
    "deep_section": "Djupt i långa avsnitt",
    "cross_document": "Över två dokument",
    "followup": "Följdfrågor",
    "unanswerable": "Obesvarbara",
    "near_miss": "Nära miss (obesvarbara)",
}
LOWER_IS_BETTER = {"off_target_rate", "false_refusal_rate", "latency_ms_p50", "latency_ms_p95"}
RETRIEVED_SHOWN = 5


MODES = {"extractive": "utdrag ur källorna", "llm": "språkmodell"}


def shown(key: str, value: Any) -> str:
    if not isinstance(value, int | float):
        return "–"
    if key.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.2f}" if key.startswith("mrr") else f"{value:.0%}"


def change(key: str, value: float, base: float) -> str:
    if key.startswith("latency"):
        return f"{value - base:+.0f} ms"
    return (
        f"{value - base:+.2f}"
        if key.startswith("mrr")
        else f"{(value - base) * 100:+.0f} %-enheter"
    )


def failed(row: dict[str, Any]) -> bool:
    """A question the product got wrong: the runner's reason when it gave one; for older
    reports, no gold source in the top 5 or a false refusal, or an answer to a question the
    sources cannot answer."""
    if "failure" in row:
        return bool(row["failure"])
    m = row.get("metrics", {})
    if not m.get("answerable", True):
        return not row.get("refused")
    rank = m.get("rank_of_first_gold")
    return bool(row.get("refused")) or rank is None or rank > 5


def shown_passages(retrieved: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(rank, passage) of the first few retrieved passages, and of any gold one further down."""
    return [
        (rank, p)
        for rank, p in enumerate(retrieved, start=1)
        if rank <= RETRIEVED_SHOWN or p.get("gold")
    ]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


st.title("Utvärdering")
st.caption("Hur väl assistenten hittar rätt källa och håller sig till den, mätt på referensfrågor.")

settings = resources.settings()
report_dir = settings.data_dir / "eval" / "latest"

with st.expander("Kör en ny utvärdering", icon=":material/play_arrow:"):
    dataset = st.text_input("Frågeset (JSONL)", value=str(REFERENCE_SET))
    split = st.selectbox("Del av frågorna", list(SPLITS), format_func=SPLITS.__getitem__)
    st.caption("Körningen tar några minuter och ersätter den senaste rapporten.")
    if st.button("Kör utvärderingen", type="primary"):
        with render.page_errors():
            bar = st.progress(0.0, text="Startar …")

            def progress(name: str, i: int, n: int) -> None:
                label = CONFIG_LABELS.get(name, name)
                bar.progress(i / max(n, 1), text=f"{label}: fråga {i + 1} av {n}")

            ready = resources.assistant()  # reuse the loaded model when the mode matches
            run_evaluation(
                settings, dataset=Path(dataset), out_dir=report_dir, mode="extractive",
                assistant=ready if ready.mode == "extractive" else None, progress=progress,
                split=split,
            )  # fmt: skip
            bar.empty()
            st.success("Utvärderingen är klar.", icon=":material/check_circle:")

summary_path = report_dir / "summary.json"
if not summary_path.exists():
    st.info(
        "Det finns ingen utvärderingsrapport ännu. Kör en utvärdering ovan, eller "
        f"`kunskapsguide eval run --out {report_dir}`.",
        icon=":material/info:",
    )
    st.stop()

with render.page_errors():
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    configs = summary.get("configs", {})
    product = configs.get("product", {})
    baseline = configs.get(STRONGEST_BASELINE, {})
    overall = product.get("overall", {})

    st.subheader("Sammanfattning")
    st.caption(
        f"{summary.get('items', '?')} frågor (del: {summary.get('split', 'all')}) · "
        f"{MODES.get(summary.get('mode'), '?')} · körd {summary.get('created', '?')} · "
        "förändringen jämförs med den starkaste naiva baslinjen: "
        f"{CONFIG_LABELS[STRONGEST_BASELINE]}, som aldrig avböjer"
    )
    keys = [k for k in METRICS if k in overall]
    for start in range(0, len(keys), 4):
        for column, key in zip(st.columns(4), keys[start : start + 4], strict=False):
            value, base = overall.get(key), baseline.get("overall", {}).get(key)
            delta = None
            if isinstance(value, int | float) and isinstance(base, int | float):
                delta = change(key, value, base)
            column.metric(
                METRICS[key], shown(key, value), delta,
                delta_color="inverse" if key in LOWER_IS_BETTER else "normal",
            )  # fmt: skip

    per_category = {name: cfg.get("per_category", {}) for name, cfg in configs.items()}
    if per_category.get("product"):
        st.subheader("Per kategori")
        choices = [k for k in METRICS if not k.startswith("latency")]
        metric = st.selectbox("Mått", choices, format_func=lambda k: METRICS[k])
        chart = {
            CONFIG_LABELS.get(name, name): {
                CATEGORIES.get(c, c): m[metric]
                for c, m in cats.items()
                if m.get(metric) is not None
            }
            for name, cats in per_category.items()
        }
        st.bar_chart(chart, stack=False, horizontal=True, x_label="", y_label=METRICS[metric])

    rows = [r for r in read_jsonl(report_dir / "results.jsonl") if r.get("config") == "product"]
    misses = [r for r in rows if failed(r)]
    st.subheader(f"Frågor som inte klarades ({len(misses)} av {len(rows)})")
    st.caption("Varje miss med orsak: rätt avsnitt hämtades inte, hämtades för långt ner, "
               "avböjdes fast källorna svarar, besvarades fast källorna inte täcker frågan, "
               "eller svaret handlar mest om annat.")  # fmt: skip
    for r in misses:
        category = CATEGORIES.get(str(r.get("category")), str(r.get("category", "")))
        reason = FAILURES.get(str(r.get("failure")), "")
        label = f"{render.plain(str(r.get('question', '')))} · {category}"
        with st.expander(label + (f" · {reason}" if reason else "")):
            for earlier in r.get("history") or []:
                st.markdown(f"*Tidigare fråga:* {render.plain(str(earlier))}")
            asked = r.get("standalone_question")
            if asked and asked != r.get("question"):
                st.markdown(f"*Tolkad som:* {render.plain(str(asked))}")
            if r.get("refused"):
                st.markdown("**Svar:** avböjde")
            else:
                st.markdown("**Svar**  \n" + render.answer_markdown(str(r.get("answer", ""))))
            quotes = r.get("gold_quotes") or []
            gold = r.get("gold_sources") or []
            if quotes:
                st.markdown("**Facit (guldcitat)**")
                for quote in quotes:
                    st.markdown(f"> {render.plain(str(quote))}")
            st.markdown("**Facit:** " + (render.plain(", ".join(gold)) if gold else "obesvarbar"))
            st.markdown("**Hämtade avsnitt** (guldavsnittet markerat)")
            for i, p in shown_passages(r.get("retrieved") or []):
                section = f" › {p.get('section')}" if p.get("section") else ""
                title = render.plain(str(p.get("title", "")) + section)
                mark = " :orange-background[**guld**]" if p.get("gold") else ""
                st.markdown(f"{i}\\. {title} · `{p.get('source', '')}`{mark}")
