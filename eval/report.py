"""The evaluation report: Markdown, and one self-contained HTML page with matplotlib charts and
the failed questions of the product, each with why it failed and the gold passage marked."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

CONFIG_LABELS = {
    "product": "Assistenten",
    "naive_hybrid": "Naiv hybrid (e5 + BM25)",
    "naive_langchain": "Naiv LangChain (MiniLM)",
}
HEADLINE = [
    ("hit@1", "Träff@1"),
    ("hit@5", "Träff@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("recall@5", "Täckning@5"),
    ("answer_recall", "Svarets täckning av guldcitaten"),
    ("answer_precision", "Svarsmeningar som träffar"),
    ("off_target_rate", "Svar mest vid sidan av"),
    ("citation_support", "Källstöd"),
    ("faithfulness", "Trohet"),
    ("refusal_rate", "Avböjer obesvarbara"),
    ("false_refusal_rate", "Felaktigt avböjda"),
    ("latency_ms_p50", "Svarstid p50 (ms)"),
    ("latency_ms_p95", "Svarstid p95 (ms)"),
]
PER_CATEGORY = [
    "hit@5", "mrr@10", "answer_recall", "answer_precision", "off_target_rate",
    "refusal_rate", "false_refusal_rate",
]  # fmt: skip
LOWER_IS_BETTER = {"off_target_rate", "false_refusal_rate", "latency_ms_p50", "latency_ms_p95"}
MARGIN_KEYS = ["hit@5", "mrr@10", "answer_recall", "answer_precision", "off_target_rate"]
FAILURES = {
    "answered_unanswerable": "besvarade en fråga som källorna inte täcker",
    "not_retrieved": "rätt avsnitt hämtades inte (inte bland de 10 första)",
    "retrieved_below_5": "rätt avsnitt hämtades men först efter plats 5",
    "wrongly_refused": "avböjde fast källorna svarar",
    "off_target": "svaret handlar mest om annat än frågan",
}
RETRIEVED_SHOWN = 5


def fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def label(name: str) -> str:
    return CONFIG_LABELS.get(name, name)


def margins(summary: dict[str, Any], against: str = "naive_hybrid") -> list[str]:
    """One line per headline metric: the product's margin over a baseline, in plain words."""
    configs = summary["configs"]
    if "product" not in configs or against not in configs:
        return []
    lines = []
    for key in MARGIN_KEYS:
        ours = configs["product"]["overall"].get(key)
        theirs = configs[against]["overall"].get(key)
        if ours is None or theirs is None:
            continue
        better = ours < theirs if key in LOWER_IS_BETTER else ours > theirs
        verdict = "bättre" if better else ("lika" if ours == theirs else "SÄMRE")
        name = dict(HEADLINE).get(key, key)
        lines.append(f"- {name}: {ours:.3f} mot {theirs:.3f} ({ours - theirs:+.3f}, {verdict})")
    return lines


def read_rows(out_dir: Path, config: str = "product") -> list[dict[str, Any]]:
    path = out_dir / f"results-{config}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def failure_counts(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """category → failure reason → count, for the rows that failed."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        if row.get("failure"):
            by_reason = counts.setdefault(str(row["category"]), {})
            by_reason[row["failure"]] = by_reason.get(row["failure"], 0) + 1
    return counts


def markdown(summary: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> str:
    configs = summary["configs"]
    names = list(configs)
    split = summary.get("split", "all")
    lines = [
        "# Utvärdering av Kunskapsguide-assistenten",
        "",
        f"Datamängd: `{summary['dataset']}`, del: {split} ({summary['items']} frågor), "
        f"läge: {summary['mode']}, körd {summary['created']}.",
        "",
        "## Översikt",
        "",
        "| Mått | " + " | ".join(label(n) for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key, title in HEADLINE:
        row = [fmt(configs[n]["overall"].get(key), key) for n in names]
        lines.append(f"| {title} | " + " | ".join(row) + " |")
    margin = margins(summary)
    if margin:
        lines += ["", "## Marginal mot den starkaste naiva baslinjen (naive_hybrid)", "", *margin]
    for name in names:
        lines += ["", f"## Per kategori: {label(name)}", ""]
        lines.append("| Kategori | n | " + " | ".join(PER_CATEGORY) + " |")
        lines.append("|---|---|" + "---|" * len(PER_CATEGORY))
        for cat, vals in configs[name]["per_category"].items():
            cells = [fmt(vals.get(k), k) for k in PER_CATEGORY]
            lines.append(f"| {cat} | {vals['n']} | " + " | ".join(cells) + " |")
    counts = failure_counts(rows or [])
    if counts:
        reasons = list(FAILURES)
        lines += ["", "## Missar per kategori och orsak (assistenten)", ""]
        lines.append("| Kategori | " + " | ".join(reasons) + " |")
        lines.append("|---|" + "---|" * len(reasons))
        for cat, by_reason in sorted(counts.items()):
            lines.append(f"| {cat} | " + " | ".join(str(by_reason.get(r, 0)) for r in reasons) + " |")
        lines += [""] + [f"- {r}: {text}" for r, text in FAILURES.items()]
    lines += [
        "",
        "Träff@k och MRR räknas på guldcitat i de k bästa avsnitten (obesvarbara frågor ingår "
        "inte). Svarets täckning: andelen guldcitat som står i svaret. Svarsmeningar som träffar: "
        "andelen av svarets meningar där minst hälften av innehållsorden finns i guldcitaten eller "
        "referenssvaret; ett svar är mest vid sidan av när färre än hälften av meningarna träffar. "
        "Avböjda svar räknas inte som svar. Källstöd: andelen svar vars citerade avsnitt innehåller "
        "ett guldcitat. Trohet: andelen svarsmeningar som stöds av det avsnitt de citerar.",
    ]
    return "\n".join(lines) + "\n"


def failures_html(rows: list[dict[str, Any]]) -> str:
    """The failed questions: reason, answer, gold quotes and the retrieved passages with the
    gold ones marked."""
    failed = [r for r in rows if r.get("failure")]
    if not failed:
        return ""
    parts = [f"<h2>Frågor som inte klarades ({len(failed)} av {len(rows)})</h2>"]
    for row in failed:
        esc = html.escape
        history = "".join(f"<li>{esc(h)}</li>" for h in row.get("history") or [])
        asked = row.get("standalone_question")
        parts.append(
            f"<details><summary>{esc(str(row.get('question', '')))} · {esc(str(row['category']))}"
            f" · <strong>{esc(FAILURES.get(row['failure'], row['failure']))}</strong></summary>"
        )
        if history:
            parts.append(f"<p>Tidigare frågor:</p><ol>{history}</ol>")
        if asked and asked != row.get("question"):
            parts.append(f"<p>Tolkad som: <em>{esc(asked)}</em></p>")
        answer = "avböjde" if row.get("refused") else esc(str(row.get("answer", "")))
        parts.append(f"<p><strong>Svar:</strong> {answer}</p>")
        quotes = row.get("gold_quotes") or []
        if quotes:
            parts.append(
                "<p><strong>Guldcitat:</strong></p><ul>"
                + "".join(f"<li>{esc(q)}</li>" for q in quotes)
                + "</ul>"
            )
        else:
            parts.append("<p><strong>Facit:</strong> obesvarbar</p>")
        items = []
        for rank, p in enumerate(row.get("retrieved") or [], start=1):
            if rank > RETRIEVED_SHOWN and not p.get("gold"):
                continue
            mark = f" value='{rank}' class='gold'" if p.get("gold") else f" value='{rank}'"
            tag = " <strong>[guld]</strong>" if p.get("gold") else ""
            section = f" › {p['section']}" if p.get("section") else ""
            items.append(
                f"<li{mark}>{esc(str(p.get('title', '')) + section)} · "
                f"<code>{esc(str(p.get('source', '')))}</code>{tag}"
                f"<br><small>{esc(str(p.get('text', ''))[:400])}</small></li>"
            )
        gold_rank = next(
            (i for i, p in enumerate(row.get("retrieved") or [], start=1) if p.get("gold")), None
        )
        where = f"guldavsnittet på plats {gold_rank}" if gold_rank else "inget guldavsnitt bland de 10"
        parts.append(f"<p><strong>Hämtade avsnitt</strong> ({where}):</p><ol>{''.join(items)}</ol>")
        parts.append("</details>")
    return "\n".join(parts)


def _chart(summary: dict[str, Any], metric: str, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = summary["configs"]
    cats = sorted({c for cfg in configs.values() for c in cfg["per_category"]})
    fig, ax = plt.subplots(figsize=(9, 3.4))
    width = 0.8 / max(1, len(configs))
    for i, (name, cfg) in enumerate(configs.items()):
        values = [cfg["per_category"].get(c, {}).get(metric) or 0.0 for c in cats]
        ax.bar([x + i * width for x in range(len(cats))], values, width, label=label(name))
    ax.set_xticks([x + width * (len(configs) - 1) / 2 for x in range(len(cats))], cats, rotation=25)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _latency_chart(out_dir: Path) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = out_dir / "results.jsonl"
    if not path.exists():
        return None
    by_config: dict[str, list[float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_config.setdefault(row["config"], []).append(row["metrics"]["latency_ms"])
    fig, ax = plt.subplots(figsize=(8, 3))
    for name, values in by_config.items():
        ax.hist(values, bins=30, alpha=0.6, label=label(name))
    ax.set_xlabel("ms per fråga")
    ax.set_title("Svarstider")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def html_page(summary: dict[str, Any], out_dir: Path) -> str:
    import markdown as md_lib  # type: ignore[import-untyped]

    rows = read_rows(out_dir)
    body = md_lib.markdown(markdown(summary, rows), extensions=["tables"])
    charts = [
        _chart(summary, "hit@5", "Träff@5 per kategori"),
        _chart(summary, "answer_precision", "Svarsmeningar som träffar, per kategori"),
        _chart(summary, "refusal_rate", "Avböjda (obesvarbara: ska vara högt)"),
    ]
    latency = _latency_chart(out_dir)
    if latency:
        charts.append(latency)
    imgs = "\n".join(f'<img alt="diagram" src="data:image/png;base64,{c}">' for c in charts)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1d2b36}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.3rem .6rem}"
        "img{max-width:100%;margin:1rem 0}details{margin:.4rem 0;border-bottom:1px solid #dde}"
        "li.gold{background:#fff3bf}"
    )
    title = html.escape("Utvärdering – Kunskapsguide-assistenten")
    return (
        f"<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{style}</style></head><body>{body}<h2>Diagram</h2>{imgs}"
        f"{failures_html(rows)}</body></html>"
    )


def write_report(summary: dict[str, Any], out_dir: Path) -> None:
    (out_dir / "report.md").write_text(markdown(summary, read_rows(out_dir)), encoding="utf-8")
    (out_dir / "report.html").write_text(html_page(summary, out_dir), encoding="utf-8")
