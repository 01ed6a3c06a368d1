"""The evaluation report: Markdown, and one self-contained HTML page with matplotlib charts."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

HEADLINE = [
    ("hit@1", "Träff@1"),
    ("hit@5", "Träff@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("recall@5", "Täckning@5"),
    ("citation_support", "Källstöd"),
    ("faithfulness", "Trohet"),
    ("f1", "Token-F1"),
    ("refusal_rate", "Avböjer obesvarbara"),
    ("false_refusal_rate", "Felaktigt avböjda"),
    ("latency_ms_p50", "Svarstid p50 (ms)"),
    ("latency_ms_p95", "Svarstid p95 (ms)"),
]
PER_CATEGORY = ["hit@5", "mrr@10", "citation_support", "refusal_rate", "false_refusal_rate"]


def fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def markdown(summary: dict[str, Any]) -> str:
    configs = summary["configs"]
    names = list(configs)
    lines = [
        "# Utvärdering av Kunskapsguide-assistenten",
        "",
        f"Datamängd: `{summary['dataset']}` ({summary['items']} frågor), läge: {summary['mode']}, "
        f"körd {summary['created']}.",
        "",
        "## Översikt",
        "",
        "| Mått | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key, label in HEADLINE:
        row = [fmt(configs[n]["overall"].get(key), key) for n in names]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    for name in names:
        lines += ["", f"## Per kategori: {name}", ""]
        lines.append("| Kategori | n | " + " | ".join(PER_CATEGORY) + " |")
        lines.append("|---|---|" + "---|" * len(PER_CATEGORY))
        for cat, vals in configs[name]["per_category"].items():
            cells = [fmt(vals.get(k), k) for k in PER_CATEGORY]
            lines.append(f"| {cat} | {vals['n']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Träff@k och MRR räknas på guldcitat i de k bästa avsnitten (obesvarbara frågor ingår "
        "inte). Källstöd: andelen svar vars citerade avsnitt innehåller ett guldcitat. Trohet: "
        "andelen svarsmeningar som stöds av det avsnitt de citerar.",
    ]
    return "\n".join(lines) + "\n"


def _chart(summary: dict[str, Any], metric: str, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = summary["configs"]
    cats = sorted({c for cfg in configs.values() for c in cfg["per_category"]})
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(1, len(configs))
    for i, (name, cfg) in enumerate(configs.items()):
        values = [cfg["per_category"].get(c, {}).get(metric) or 0.0 for c in cats]
        ax.bar([x + i * width for x in range(len(cats))], values, width, label=name)
    ax.set_xticks([x + width * (len(configs) - 1) / 2 for x in range(len(cats))], cats, rotation=20)
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
        ax.hist(values, bins=30, alpha=0.6, label=name)
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

    body = md_lib.markdown(markdown(summary), extensions=["tables"])
    charts = [
        _chart(summary, "hit@5", "Träff@5 per kategori"),
        _chart(summary, "citation_support", "Källstöd per kategori"),
        _chart(summary, "refusal_rate", "Avböjda (obesvarbara: ska vara högt)"),
    ]
    latency = _latency_chart(out_dir)
    if latency:
        charts.append(latency)
    imgs = "\n".join(f'<img alt="diagram" src="data:image/png;base64,{c}">' for c in charts)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1d2b36}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.3rem .6rem}"
        "img{max-width:100%;margin:1rem 0}"
    )
    title = html.escape("Utvärdering – Kunskapsguide-assistenten")
    return (
        f"<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{style}</style></head><body>{body}<h2>Diagram</h2>{imgs}</body></html>"
    )


def write_report(summary: dict[str, Any], out_dir: Path) -> None:
    (out_dir / "report.md").write_text(markdown(summary), encoding="utf-8")
    (out_dir / "report.html").write_text(html_page(summary, out_dir), encoding="utf-8")
