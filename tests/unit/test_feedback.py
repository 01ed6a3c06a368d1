"""Feedback in SQLite: personal data never stored raw, export for the evaluators."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore, sources_of
from assistant.types import Answer, Citation, Passage
from tests import parts
from ui.cli import main

PNR = "19850612-1234"
PNR_SHORT = "850612-1234"
SOURCES = [
    {
        "n": 1,
        "source": "kunskapsguiden/uppdrag-och-ansvar.txt",
        "title": "Uppdrag och ansvar",
        "section": "Offentlighet och sekretess",
        "page": None,
        "year": 2021,
        "kind": "nationell_vagledning",
    }
]


def passage(**overrides: object) -> Passage:
    values: dict[str, object] = dict(
        chunk_id="c1", doc_id="d", source="kunskapsguiden/uppdrag-och-ansvar.txt",
        title="Uppdrag och ansvar", publisher="Socialstyrelsen", year=2021,
        kind="nationell_vagledning", municipality=None,
        section=("Uppdrag och ansvar", "Offentlighet och sekretess"), page_start=None,
        page_end=None, position=3, text="Inom socialtjänsten gäller sekretess.",
    )  # fmt: skip
    values.update(overrides)
    return parts.passage(**values)  # type: ignore[arg-type]


@pytest.fixture()
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data" / "feedback.sqlite3")


def raw_bytes(path: Path) -> bytes:
    """Everything SQLite has on disk: the database and its write-ahead log."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_personnummer_in_question_answer_and_comment_is_never_stored(store: FeedbackStore) -> None:
    store.add(
        question=f"Min klient {PNR} vill veta vad som gäller vid sekretess?",
        answer=f"Svar om {PNR_SHORT} [1]",
        mode="extractive",
        sources=SOURCES,
        rating=-1,
        comment=f"Fel svar för personen med personnummer {PNR_SHORT}",
    )
    data = raw_bytes(store.path)
    assert PNR.encode() not in data
    assert PNR_SHORT.encode() not in data
    for fmt in ("csv", "jsonl"):
        exported = store.export(fmt)  # type: ignore[arg-type]
        assert PNR not in exported and PNR_SHORT not in exported
    row = store.rows()[0]
    assert "sekretess" in row["question"]  # the rest of the text is kept
    assert row["rating"] == -1 and row["mode"] == "extractive"


def test_export_jsonl_round_trips(store: FeedbackStore) -> None:
    store.add("Vad gäller vid sekretess?", "Sekretess gäller [1]", "extractive", SOURCES, 1)
    store.add("Vad är lex Sarah?", "Lex Sarah är … [1]", "llm", SOURCES, -1, "  för kort  ")
    rows = [json.loads(line) for line in store.export("jsonl").splitlines()]
    assert [r["rating"] for r in rows] == [1, -1]
    assert rows[1]["comment"] == "för kort"
    assert rows[0]["sources"] == SOURCES
    assert rows[0]["question"] == "Vad gäller vid sekretess?"
    assert {"id", "created_at", "mode", "answer"} <= rows[0].keys()


def test_export_csv_has_a_header_and_readable_sources(store: FeedbackStore) -> None:
    store.add("Vad gäller vid sekretess?", "Sekretess gäller [1]", "extractive", SOURCES, 1, "bra")
    rows = list(csv.DictReader(io.StringIO(store.export("csv"))))
    assert len(rows) == 1
    assert rows[0]["comment"] == "bra"
    assert rows[0]["sources"] == (
        "[1] Uppdrag och ansvar › Offentlighet och sekretess (2021, Nationell vägledning)"
    )


def test_csv_cells_cannot_become_spreadsheet_formulas(store: FeedbackStore) -> None:
    store.add('=HYPERLINK("http://x")', "svar", "extractive", [], 1, "+1 bra")
    row = next(csv.DictReader(io.StringIO(store.export("csv"))))
    assert row["question"].startswith("'=")
    assert row["comment"].startswith("'+")
    assert row["rating"] == "1"


def test_empty_store_exports_only_a_header(store: FeedbackStore) -> None:
    assert store.export("csv").strip() == ",".join(
        ["id", "created_at", "rating", "mode", "question", "answer", "sources", "comment"]
    )
    assert store.export("jsonl") == ""


def test_rating_must_be_thumbs_up_or_down(store: FeedbackStore) -> None:
    with pytest.raises(ValueError):
        store.add("q", "a", "extractive", [], 0)
    assert store.count() == 0


def test_wal_mode_and_concurrent_writers(store: FeedbackStore) -> None:
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def write(n: int) -> None:
        other = FeedbackStore(store.path)  # as another session or process would
        for i in range(10):
            other.add(f"fråga {n}-{i}", "svar", "extractive", [], 1)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 40


def test_sources_of_an_answer_and_of_a_refusal() -> None:
    p = passage()
    answer = Answer(
        question="q", standalone_question="q", answer="Sekretess gäller. [1]", refused=False,
        citations=(Citation(1, p, "Sekretess gäller."),), retrieved=(p,), mode="extractive",
    )  # fmt: skip
    assert sources_of(answer) == [
        {
            "n": 1, "source": p.source, "title": "Uppdrag och ansvar",
            "section": "Uppdrag och ansvar › Offentlighet och sekretess", "page": None,
            "year": 2021, "kind": "nationell_vagledning", "municipality": None, "url": None,
        }
    ]  # fmt: skip
    refusal = Answer(
        question="q", standalone_question="q", answer="Källorna täcker inte …", refused=True,
        citations=(), retrieved=(p,), mode="extractive", nearest=(p,),
    )  # fmt: skip
    assert [s["n"] for s in sources_of(refusal)] == [None]


def test_cli_exports_feedback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    assert main(["feedback", "export"]) == 1  # nothing stored yet
    assert "Ingen återkoppling" in capsys.readouterr().err
    FeedbackStore(tmp_path / "data" / "feedback.sqlite3").add(
        f"Sekretess för {PNR}?", "svar [1]", "extractive", SOURCES, 1
    )
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["rating"] == 1 and PNR not in out
    target = tmp_path / "export.csv"
    assert main(["feedback", "export", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("id,created_at,rating")
