"""`kunskapsguide`: the command-line edge. Builds Settings, calls the library, prints results,
and translates the product's errors into Swedish messages and exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from core.errors import KunskapsguideError
from core.offline import use_offline_defaults
from core.settings import Settings, load_settings
from ui.logconfig import configure_logging

log = logging.getLogger("kunskapsguide")

Handler = Callable[[argparse.Namespace, Settings], int]


def _emit_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def typed_text(text: str) -> str:
    """What a person typed, as valid text: bytes that are not UTF-8 (a terminal in another
    encoding) reach Python as lone surrogates, which nothing downstream can encode. They
    become U+FFFD, so the question is still answered."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import open_index
    from ingest.pipeline import ingest as run_ingest

    embedder, store = open_index(settings, allow_mismatch=args.rebuild)
    report = run_ingest(settings, store, embedder, rebuild=args.rebuild, progress=not args.json)
    if args.json:
        _emit_json(report.as_dict())
    else:
        print(
            f"Klart på {report.seconds:.1f} s: {len(report.added)} nya, "
            f"{len(report.updated)} uppdaterade, {len(report.removed)} borttagna, "
            f"{len(report.skipped)} oförändrade, {len(report.failed)} misslyckade; "
            f"{report.chunks} textavsnitt i indexet."
        )
        if report.abandoned_rebuild:
            print(
                "  OBS: en tidigare ombyggnad (--rebuild) avbröts innan den blev klar. Den "
                "städades bort; indexet var hela tiden det föregående.",
                file=sys.stderr,
            )
        for failure in report.failed:
            print(f"  FEL {failure.source}: {failure.reason}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    import unicodedata
    from datetime import datetime

    from assistant.privacy import mask_personal_data
    from assistant.service import open_index
    from core.documents import KINDS
    from ingest.upload import one_line

    def shown(text: str) -> str:
        """One printable line with personal data masked: a title or file name in the index
        may hold terminal escape sequences, line breaks or a personnummer."""
        return one_line(mask_personal_data(text).text)

    _, store = open_index(settings)
    docs = sorted(store.documents().values(), key=lambda d: d.source)
    if args.json:
        # Exact values for machines. json.dumps leaves DEL and the C1 controls (an 8-bit
        # terminal escape) raw; as \u escapes a JSON reader still reads the same text. The
        # only raw line breaks are its indentation.
        text = json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=2)
        controls = {ch for ch in text if ch != "\n" and unicodedata.category(ch) == "Cc"}
        for ch in controls:
            text = text.replace(ch, f"\\u{ord(ch):04x}")
        print(text)
        return 0
    if not docs:
        print("Indexet är tomt. Kör `kunskapsguide ingest`.")
        return 0
    for d in docs:
        when = datetime.fromtimestamp(d.indexed_at).strftime("%Y-%m-%d %H:%M")
        print(
            f"{shown(d.title)} | {shown(KINDS.get(d.kind, d.kind))} | {d.year or 'år saknas'} | "
            f"{d.chunks} avsnitt | indexerad {when} | {shown(d.source)}"
        )
    return 0


def _passage_dict(p: object, n: int | None = None) -> dict[str, object]:
    from assistant.citations import passage_to_dict

    return passage_to_dict(p, n)  # type: ignore[arg-type]


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import build_assistant

    assistant = build_assistant(settings)
    result = assistant.search(typed_text(args.question), k=args.k)
    if args.json:
        _emit_json([_passage_dict(p) for p in result.passages])
        return 0
    if result.privacy_notice:
        print(result.privacy_notice)
    for i, p in enumerate(result.passages, start=1):
        page = f", s. {p.page_label}" if p.page_label else ""
        print(f"\n[{i}] {p.title} › {p.section_path}{page} ({p.year or 'år saknas'}) – {p.source}")
        print(f"    poäng {p.score:.3f}")
        print("    " + p.text[:600].replace("\n", "\n    "))
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.citations import answer_to_dict, format_answer_text
    from assistant.service import build_assistant
    from assistant.types import Turn

    if args.llm:
        settings = settings.model_copy(update={"mode": "llm"})
    assistant = build_assistant(settings)
    history: list[Turn] = []
    for earlier in args.after:  # asked in turn, as in a chat, for the sections they cite
        history.append(assistant.ask(typed_text(earlier), history=history).turn)
    answer = assistant.ask(typed_text(args.question), history=history)
    if args.json:
        _emit_json(answer_to_dict(answer))
    else:
        print(format_answer_text(answer))
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.citations import format_answer_text
    from assistant.service import build_assistant
    from assistant.types import Turn

    assistant = build_assistant(settings)
    history: list[Turn] = []
    if hasattr(sys.stdin, "reconfigure"):  # a line that is not UTF-8 must not end the chat
        sys.stdin.reconfigure(errors="surrogateescape")
    print("Kunskapsguide-assistenten. Skriv din fråga (tom rad eller Ctrl-D avslutar).")
    while True:
        try:
            question = typed_text(input("\nDu: ")).strip()
        except EOFError:
            break
        if not question:
            break
        answer = assistant.ask(question, history=history)
        history.append(answer.turn)
        print("\n" + format_answer_text(answer))
    return 0


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess

    from core.serve import streamlit_command
    from core.settings import child_environment

    cmd = streamlit_command(args.address, args.port)
    print(f"Öppna http://{args.address}:{args.port} i webbläsaren. Avsluta med Ctrl-C.")
    try:  # the app runs on exactly these settings, whatever .env its folder holds
        return subprocess.call(cmd, env=child_environment(settings))
    except KeyboardInterrupt:
        return 0


def cmd_hash_password(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from assistant.auth import hash_password

    if args.password:
        password = args.password
    elif sys.stdin.isatty():
        password = getpass.getpass("Nytt lösenord för samordnare: ")
    else:  # `echo lösen | kunskapsguide hash-password`: one line, nothing echoed to warn about
        password = sys.stdin.readline().rstrip("\r\n")
    print(hash_password(password))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kunskapsguide",
        description="Kunskapsguide-assistenten: svar med källor om ekonomiskt bistånd.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="visa mer logg")
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    p = sub.add_parser("ingest", help="indexera korpusen (bara det som ändrats)")
    p.add_argument("--rebuild", action="store_true", help="bygg om indexet från början")
    p.add_argument("--json", action="store_true", help="sammanfattning som JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("sources", help="lista indexerade dokument")
    p.add_argument("--json", action="store_true", help="som JSON")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("search", help="visa de bästa textavsnitten för en fråga")
    p.add_argument("question", help="frågan")
    p.add_argument("--k", type=int, default=6, help="antal avsnitt (standard 6)")
    p.add_argument("--json", action="store_true", help="som JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="ställ en fråga och få ett svar med källor")
    p.add_argument("question", help="frågan")
    p.add_argument("--json", action="store_true", help="som JSON")
    p.add_argument("--llm", action="store_true", help="använd språkmodellen (KG_LLM_*)")
    p.add_argument(
        "--after",
        action="append",
        default=[],
        metavar="FRÅGA",
        help="en tidigare fråga i samtalet (kan upprepas, äldst först); frågan läses som en "
        "följdfråga på dem",
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chatta i terminalen (med historik)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("ui", help="starta webbappen (Streamlit)")
    p.add_argument("--address", default="127.0.0.1", help="adress (standard 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (standard 8501)")
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("hash-password", help="skapa ett lösenords-hash för samordnarsidan")
    p.add_argument("--password", help="lösenordet (annars frågas det efter)")
    p.set_defaults(func=cmd_hash_password)

    _add_feedback_command(sub)
    _add_optional_commands(sub)
    return parser


def cmd_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from assistant.feedback import FeedbackStore, feedback_path

    path = feedback_path(settings)
    if not path.exists():
        print(f"Ingen återkoppling är sparad ännu ({path} finns inte).", file=sys.stderr)
        return 1
    text = FeedbackStore(path).export(args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Återkopplingen sparades i {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _add_feedback_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("feedback", help="återkoppling från chatten (för utvärderare)")
    fsub = p.add_subparsers(dest="feedback_command", required=True, metavar="KOMMANDO")
    e = fsub.add_parser("export", help="exportera återkopplingen (personuppgifter maskerade)")
    e.add_argument(
        "--format", choices=("csv", "jsonl"), default="csv", help="csv (standard) eller jsonl"
    )
    e.add_argument("--out", metavar="FIL", help="skriv till filen (annars till standard ut)")
    e.set_defaults(func=cmd_feedback_export)


def _add_optional_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Subcommands of other packages (eval) register themselves here. The evaluation is part
    of the product: an import error in it is a fault to see, not a command to hide."""
    from eval.cli import register as register_eval

    register_eval(sub)


def main(argv: Sequence[str] | None = None) -> int:
    use_offline_defaults()  # an entry point: offline before any model loads
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    # transformers logs through a handler of its own, which the root's filters do not reach.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        settings = load_settings()
        handler_fn: Handler = args.func
        return handler_fn(args, settings)
    except KunskapsguideError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1  # argparse keeps 2 for a command line it cannot parse
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
