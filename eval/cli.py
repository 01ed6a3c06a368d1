"""`kunskapsguide eval …` and `kunskapsguide bench`: registered into the main CLI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.settings import ROOT, Settings

REFERENCE_SET = ROOT / "eval" / "data" / "reference.jsonl"

# The CI gate: set just below what the product measures on the test split of the reference
# set (see README); a change that worsens retrieval or refusal fails `make test`.
GATE = {
    "min_hit5": 0.80,
    "min_mrr10": 0.69,
    "min_refusal": 0.33,
    "max_false_refusal": 0.15,
    "min_answer_precision": 0.45,
}


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from eval.runner import run_evaluation

    def progress(name: str, i: int, n: int) -> None:
        if i % 10 == 0:
            print(f"  {name}: {i}/{n}", file=sys.stderr)

    summary = run_evaluation(
        settings, Path(args.dataset), Path(args.out), mode=args.mode,
        baseline=not args.no_baseline, progress=progress, split=args.split,
    )  # fmt: skip
    for name, cfg in summary["configs"].items():
        print(f"{name}: {headline(cfg['overall'])}")
    print(f"Rapport: {Path(args.out) / 'report.html'}")
    return 0


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def headline(o: dict) -> str:
    return (
        f"träff@5 {_f(o['hit@5'])}, MRR@10 {_f(o['mrr@10'])}, svarsmeningar som träffar "
        f"{_f(o.get('answer_precision'))}, avböjer obesvarbara {_f(o['refusal_rate'])}, "
        f"felaktigt avböjda {_f(o['false_refusal_rate'])}"
    )


def check(summary: dict, min_hit5: float, min_mrr10: float, min_refusal: float,
          max_false_refusal: float, min_answer_precision: float = 0.0) -> list[str]:  # fmt: skip
    """Failed gate conditions, in Swedish; empty when the gate passes."""
    o = summary["configs"]["product"]["overall"]
    problems = []
    if (o["hit@5"] or 0) < min_hit5:
        problems.append(f"träff@5 {_f(o['hit@5'])} < {min_hit5}")
    if (o["mrr@10"] or 0) < min_mrr10:
        problems.append(f"MRR@10 {_f(o['mrr@10'])} < {min_mrr10}")
    if o["refusal_rate"] is not None and o["refusal_rate"] < min_refusal:
        problems.append(f"avböjer obesvarbara {o['refusal_rate']:.3f} < {min_refusal}")
    if (o["false_refusal_rate"] or 0) > max_false_refusal:
        problems.append(f"felaktigt avböjda {o['false_refusal_rate']:.3f} > {max_false_refusal}")
    if (o.get("answer_precision") or 0) < min_answer_precision:
        problems.append(
            f"svarsmeningar som träffar {_f(o.get('answer_precision'))} < {min_answer_precision}"
        )
    return problems


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    summary = json.loads(Path(args.summary).read_text(encoding="utf-8"))
    problems = check(
        summary, args.min_hit5, args.min_mrr10, args.min_refusal, args.max_false_refusal,
        args.min_answer_precision,
    )  # fmt: skip
    for p in problems:
        print(f"UNDER GRÄNS: {p}", file=sys.stderr)
    print("Regressionsgrinden: " + ("underkänd" if problems else "godkänd"))
    return 1 if problems else 0


def cmd_gate(args: argparse.Namespace, settings: Settings) -> int:
    """Index the corpus into a scratch data dir, run the reference set, check the gate."""
    from assistant.service import open_index
    from eval.runner import run_evaluation
    from ingest.pipeline import ingest

    scratch = settings.model_copy(
        update={"data_dir": settings.data_dir / "eval-gate", "models_dir": settings.model_cache_dir}
    )
    embedder, store = open_index(scratch, allow_mismatch=True)
    ingest(scratch, store, embedder)
    out = scratch.data_dir / "eval" / "gate"
    summary = run_evaluation(scratch, REFERENCE_SET, out, baseline=False, split="test")
    problems = check(summary, **GATE)
    print("Referensmängden (test): " + headline(summary["configs"]["product"]["overall"]))
    for p in problems:
        print(f"UNDER GRÄNS: {p}", file=sys.stderr)
    print("Regressionsgrinden: " + ("underkänd" if problems else "godkänd"))
    return 1 if problems else 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check a hand-written dataset: format, and every gold quote found in its source."""
    from collections import Counter

    from eval.dataset import load_dataset, verify_gold_quotes

    items = load_dataset(Path(args.dataset))
    problems = verify_gold_quotes(items, settings.corpus_dir)
    for problem in problems:
        print(f"FEL: {problem}", file=sys.stderr)
    counts = Counter((item.category, item.split or "–") for item in items)
    for (category, split), n in sorted(counts.items()):
        print(f"  {category:<15} {split:<5} {n}")
    print(f"{len(items)} frågor, {len(problems)} problem.")
    return 1 if problems else 0


def cmd_split(args: argparse.Namespace, settings: Settings) -> int:
    """Give every item without a split one (stratified by category); others never move."""
    from eval.dataset import assign_split, load_dataset

    path = Path(args.dataset)
    items = load_dataset(path)
    done = [item for item in items if item.split]
    for item in items:
        if not item.split:
            done.append(item.model_copy(update={"split": assign_split(item, done)}))
    by_id = {item.id: item for item in done}
    lines = [
        json.dumps(by_id[item.id].model_dump(exclude_defaults=True), ensure_ascii=False)
        for item in items
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    added = len(items) - sum(1 for item in items if item.split)
    print(f"{added} frågor fick en del (dev/test); {len(items)} frågor i {path}.")
    return 0


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from eval.calibrate import calibrate

    report = calibrate(settings, Path(args.dataset), write=not args.dry_run)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench import run_bench

    results = run_bench(settings, Path(args.out), scale=not args.no_scale)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


def cmd_bench_sessions(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_sessions import run_sessions_bench, summary

    def progress(step: str) -> None:
        print(f"  {step}", file=sys.stderr)

    results = run_sessions_bench(
        settings, Path(args.out), sessions=args.sessions, duration_s=args.duration,
        progress=progress,
    )  # fmt: skip
    print(summary(results))
    print(f"Resultat: {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ev = sub.add_parser("eval", help="utvärdera svaren mot en referensmängd")
    evsub = ev.add_subparsers(dest="eval_command", required=True, metavar="KOMMANDO")

    p = evsub.add_parser("run", help="kör utvärderingen och skriv rapporten")
    p.add_argument("--dataset", default=str(REFERENCE_SET), help="JSONL-fil med frågor")
    p.add_argument("--mode", choices=["extractive", "llm"], default="extractive", help="svarsläge")
    p.add_argument(
        "--split", choices=["dev", "test", "all"], default="all",
        help="vilken del av frågorna: dev (för justering), test (fryst, för siffror) eller all",
    )  # fmt: skip
    p.add_argument("--out", required=True, help="katalog för resultat och rapport")
    p.add_argument("--no-baseline", action="store_true", help="hoppa över baslinjerna")
    p.set_defaults(func=cmd_run)

    p = evsub.add_parser("check", help="regressionsgrind på en summary.json")
    p.add_argument("--summary", required=True, help="summary.json från eval run")
    p.add_argument("--min-hit5", type=float, default=GATE["min_hit5"], help="lägsta träff@5")
    p.add_argument("--min-mrr10", type=float, default=GATE["min_mrr10"], help="lägsta MRR@10")
    p.add_argument("--min-refusal", type=float, default=GATE["min_refusal"], help="lägsta andel avböjda obesvarbara")
    p.add_argument("--max-false-refusal", type=float, default=GATE["max_false_refusal"], help="högsta andel felaktigt avböjda")
    p.add_argument("--min-answer-precision", type=float, default=GATE["min_answer_precision"], help="lägsta andel svarsmeningar som träffar")
    p.set_defaults(func=cmd_check)

    p = evsub.add_parser("gate", help="indexera, kör referensmängden och kontrollera grinden (CI)")
    p.set_defaults(func=cmd_gate)

    p = evsub.add_parser("validate", help="kontrollera en frågefil: format och att citaten finns i källorna")
    p.add_argument("--dataset", default=str(REFERENCE_SET), help="JSONL-fil med frågor")
    p.set_defaults(func=cmd_validate)

    p = evsub.add_parser("split", help="ge frågor utan del (dev/test) en, stratifierat per kategori")
    p.add_argument("--dataset", default=str(REFERENCE_SET), help="JSONL-fil med frågor")
    p.set_defaults(func=cmd_split)

    p = evsub.add_parser("calibrate", help="kalibrera när assistenten ska avböja")
    p.add_argument("--dataset", default=str(REFERENCE_SET), help="JSONL-fil med frågor")
    p.add_argument("--dry-run", action="store_true", help="skriv inte calibration.json")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("bench", help="mät indexering, svarstider, minne och skalning")
    p.add_argument("--out", default=str(ROOT / "eval" / "bench-results.json"), help="resultatfil")
    p.add_argument("--no-scale", action="store_true", help="hoppa över skalkörningen (100 000 avsnitt)")
    p.set_defaults(func=cmd_bench)
    benchsub = p.add_subparsers(dest="bench_command", required=False, metavar="KOMMANDO")
    p = benchsub.add_parser(
        "sessions", help="flera chattsessioner samtidigt i webbappen: svarstider och minne"
    )
    p.add_argument("--sessions", type=int, default=8, help="antal samtidiga sessioner (standard 8)")
    p.add_argument("--duration", type=float, default=60, help="sekunder att fråga (standard 60)")
    p.add_argument("--out", default=str(ROOT / "eval" / "bench-sessions.json"), help="resultatfil")
    p.set_defaults(func=cmd_bench_sessions)
