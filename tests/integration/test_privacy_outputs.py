"""Personal identifiers never reach what the product writes: logs, answers, feedback, eval output.

Questions carrying a personnummer (with and without century, with "-" and "+"), a
samordningsnummer, two phone numbers and an e-mail address go through the real assistant (real
model, real index); every log record at DEBUG on every logger, the answers, the feedback
database and its exports, and an evaluation's files are searched for the identifiers — as typed,
with their separators removed, and the e-mail's local part on its own.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.citations import answer_to_dict
from assistant.feedback import FeedbackStore, feedback_path, sources_of
from assistant.privacy import PersonalDataFilter
from assistant.types import Answer
from core.settings import Settings, child_environment
from eval.runner import run_evaluation
from tests.conftest import make_settings
from tests.ui.conftest import indexed_copy

KUNSKAPSGUIDE = str(Path(sys.executable).with_name("kunskapsguide"))

PERSONNUMMER = "19850312-1234"
PERSONNUMMER_PLUS = "850312+1234"  # someone over 100
SAMORDNINGSNUMMER = "850372-1234"  # day + 60
MOBILE = "070-123 45 67"
MOBILE_INTL = "+46 70 123 45 67"
EMAIL = "m.klientsson@exempel.se"
IDENTIFIERS = (PERSONNUMMER, PERSONNUMMER_PLUS, SAMORDNINGSNUMMER, MOBILE, MOBILE_INTL, EMAIL)
# The same, as they may come out once separators are lost ("0701234567", "8503121234", …).
DIGITS = ("198503121234", "8503121234", "8503721234", "701234567")
FRAGMENTS = ("klientsson",)  # the e-mail's local part, alone

QUESTIONS = (
    f"Gäller sekretess för klienten {PERSONNUMMER} och hennes man {PERSONNUMMER_PLUS}?",
    f"Får jag lämna ut uppgifter om {SAMORDNINGSNUMMER} utan samtycke?",
    f"Kan jag ringa klienten på {MOBILE} eller {MOBILE_INTL} om sekretessen?",
    f"Får jag mejla beslutet om ekonomiskt bistånd till {EMAIL}?",
)
EVERYTHING = (
    f"Klienten {PERSONNUMMER} ({SAMORDNINGSNUMMER}, {PERSONNUMMER_PLUS}) nås på {MOBILE}, "
    f"{MOBILE_INTL} och {EMAIL}: vad gäller vid sekretess?"
)
COMMENT = f"Fel svar för {PERSONNUMMER}, ring mig på {MOBILE} eller skriv till {EMAIL}."
MARKERS = ("[personnummer]", "[samordningsnummer]", "[telefonnummer]", "[e-post]")


def leaks(text: str) -> list[str]:
    """The identifiers (or their digits, or the e-mail's local part) found in a text."""
    compact = re.sub(r"[\s+\-()]", "", text)
    return (
        [i for i in IDENTIFIERS if i in text]
        + [d for d in DIGITS if d in compact]
        + [f for f in FRAGMENTS if f in text.casefold()]
    )


def test_the_leak_check_finds_each_identifier() -> None:
    for identifier in IDENTIFIERS:
        assert leaks(f"text {identifier} text"), identifier
    assert leaks("0701234567") and leaks("klientsson example se") and leaks("85 03 12 12 34")
    assert not leaks(" ".join(MARKERS) + " SoL 4 kap. 1 § 2001:453")


class Recorder(logging.Handler):
    """Every record as emitted, before any filter of another handler changes it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(record.getMessage())
        except Exception:
            self.texts.append(f"{record.msg!r} % {record.args!r}")
        if record.exc_info:
            self.texts.append("".join(traceback.format_exception(*record.exc_info)))
        for extra in (record.exc_text, record.stack_info):
            if extra:
                self.texts.append(extra)


@pytest.fixture()
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Recorder]:
    """Every logger at DEBUG. Records are captured raw (a recorder first in line) and, masked
    as the CLI and the app mask every record (`ui.logconfig.configure_logging`), through
    caplog's handler with PersonalDataFilter on it. Loggers that do not propagate get both
    handlers of their own."""
    root = logging.getLogger()
    loggers = [root] + [
        lg for lg in root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    # An entry point run earlier in this process (the CLI, the app) may have made every record
    # masked at birth; undo that here, or the raw capture could not see what the code logs.
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(getattr(factory, "make", factory))
    raw, masked = Recorder(), PersonalDataFilter()
    caplog.handler.addFilter(masked)
    root.handlers.insert(0, raw)
    own = [lg for lg in loggers if not lg.propagate]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    for lg in own:
        lg.addHandler(raw)
        lg.addHandler(caplog.handler)
    try:
        yield raw
    finally:
        for lg in own:
            lg.removeHandler(raw)
            lg.removeHandler(caplog.handler)
        root.removeHandler(raw)
        caplog.handler.removeFilter(masked)
        logging.setLogRecordFactory(factory)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


def assert_clean_answer(answer: Answer) -> None:
    text = json.dumps(answer_to_dict(answer), ensure_ascii=False)
    assert not leaks(text), (leaks(text), text[:2000])
    assert not leaks(repr(answer)), leaks(repr(answer))  # every field, also those not in the JSON


def test_questions_with_personal_data_leave_none_in_logs_or_answers(
    seed_assistant, all_logs: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    for question in (*QUESTIONS, EVERYTHING):
        assert leaks(question)
        answer = seed_assistant.ask(question)
        assert_clean_answer(answer)
        assert answer.privacy_notice and any(m in answer.question for m in MARKERS)
        assert_clean_answer(seed_assistant.ask("och varför då?", history=[answer.question]))
        result = seed_assistant.search(question)
        assert not leaks(result.question) and result.privacy_notice
    assert not leaks("\n".join(all_logs.texts)), leaks("\n".join(all_logs.texts))
    # The capture can fail: a record with an identifier is seen raw and masked in caplog.
    logging.getLogger("assistant.service").debug("kontroll: %s", PERSONNUMMER)
    assert PERSONNUMMER in all_logs.texts[-1]
    assert "kontroll: [personnummer]" in caplog.text
    assert not leaks(caplog.text), leaks(caplog.text)


def test_raw_history_from_a_langchain_caller_is_masked_too(seed_assistant) -> None:
    """`as_runnable` takes the chat history from its caller, who may not have masked it."""
    runnable = seed_assistant.as_runnable()
    for earlier in (*QUESTIONS, EVERYTHING):
        answer = runnable.invoke({"question": "och då?", "history": [earlier]})
        assert_clean_answer(answer)


@pytest.fixture(scope="module")
def cli_env(
    tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings, seed_index, embedder
) -> dict[str, str]:
    settings = indexed_copy(tmp_path_factory.mktemp("privacy-cli"), seed_settings, embedder)
    return child_environment(settings)


def test_the_cli_prints_and_logs_no_personal_data(cli_env: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run(
        [KUNSKAPSGUIDE, "--verbose", "ask", EVERYTHING, "--json"],
        env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["privacy_notice"] and all(m in answer["question"] for m in MARKERS)
    assert not leaks(done.stdout), leaks(done.stdout)
    assert not leaks(done.stderr), leaks(done.stderr)


@pytest.fixture(scope="module")
def feedback_settings(tmp_path_factory: pytest.TempPathFactory, seed_assistant) -> Settings:
    """A feedback database with two ratings: one of an answer, one stored from raw texts."""
    settings = make_settings(tmp_path_factory.mktemp("feedback"))
    store = FeedbackStore(feedback_path(settings))
    answer = seed_assistant.ask(EVERYTHING)
    store.add_answer(answer, -1, COMMENT)
    store.add(
        question=EVERYTHING,
        answer=f"Kontakta {EMAIL} eller {MOBILE_INTL} om {SAMORDNINGSNUMMER}.",
        mode=answer.mode,
        sources=sources_of(answer),
        rating=1,
        comment=COMMENT,
    )
    assert store.count() == 2
    return settings


def test_the_feedback_database_holds_no_personal_data(feedback_settings: Settings) -> None:
    files = sorted(feedback_settings.data_dir.glob("feedback.sqlite3*"))  # with -wal and -shm
    assert feedback_path(feedback_settings) in files
    data = b"".join(path.read_bytes() for path in files).decode("utf-8", errors="replace")
    assert all(m in data for m in MARKERS), "the rows are not in the files"
    assert not leaks(data), leaks(data)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_feedback_export_holds_no_personal_data(
    feedback_settings: Settings, fmt: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["KG_DATA_DIR"] = str(feedback_settings.data_dir)
    out = tmp_path / f"export.{fmt}"
    for extra in ([], ["--out", str(out)]):
        done = subprocess.run(
            [KUNSKAPSGUIDE, "feedback", "export", "--format", fmt, *extra],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not leaks(done.stdout + done.stderr), leaks(done.stdout + done.stderr)
    exported = out.read_text(encoding="utf-8")
    assert exported.count("[e-post]") >= 2 and "[samordningsnummer]" in exported
    assert not leaks(exported), leaks(exported)


def test_evaluation_output_holds_no_personal_data(
    seed_assistant, seed_settings: Settings, tmp_path: Path
) -> None:
    items = [
        {
            "id": "sekretess",
            "question": f"Gäller sekretess för {PERSONNUMMER} när {MOBILE} ringer och frågar?",
            "reference_answer": "Huvudregeln är att sekretess gäller.",
            "gold_sources": ["kunskapsguiden/uppdrag-och-ansvar.txt"],
            "gold_quotes": ["huvudregeln är att sekretess gäller"],
            "category": "factual",
        },
        {
            "id": "obesvarbar",
            "question": (
                f"Hur mycket bistånd får {SAMORDNINGSNUMMER} och {PERSONNUMMER_PLUS}? "
                f"Svara till {EMAIL} eller {MOBILE_INTL}."
            ),
            "reference_answer": "Källorna säger inget om det.",
            "gold_sources": [],
            "gold_quotes": [],
            "category": "unanswerable",
        },
    ]
    dataset = tmp_path / "fragor.jsonl"
    dataset.write_text(
        "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8"
    )
    out = tmp_path / "resultat"
    run_evaluation(seed_settings, dataset, out, baseline=False, assistant=seed_assistant)
    names = {p.name for p in out.iterdir()}
    assert {"results.jsonl", "summary.json", "report.md", "report.html"} <= names
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["sekretess", "obesvarbar"]
    assert "[personnummer]" in rows[0]["question"] and "[e-post]" in rows[1]["question"]
    for path in sorted(out.iterdir()):
        text = path.read_text(encoding="utf-8")
        assert not leaks(text), (path.name, leaks(text))
