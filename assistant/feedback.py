"""Caseworkers' feedback on answers, kept locally in SQLite for the evaluators.

Every free text (question, answer, comment) goes through `mask_personal_data` before it is
written, so a personnummer typed into a question or a comment never reaches the disk.
WAL mode and a short-lived connection per call let several app sessions (threads) and an
export from the CLI use the database at once.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Literal

from assistant.citations import kind_label, passage_to_dict
from assistant.privacy import mask_personal_data
from assistant.types import Answer, Passage
from core.errors import ConfigError
from core.settings import Settings

FEEDBACK_FILE = "feedback.sqlite3"
FIELDS = ("id", "created_at", "rating", "mode", "question", "answer", "sources", "comment")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    mode TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
)
"""


def feedback_path(settings: Settings) -> Path:
    return settings.data_dir / FEEDBACK_FILE


def sources_of(answer: Answer) -> list[dict[str, Any]]:
    """The cited sources of an answer (the nearest sections for a refusal), without their text."""
    items: list[tuple[int | None, Passage]] = [(c.n, c.passage) for c in answer.citations]
    if not items:
        items = [(None, p) for p in answer.nearest]
    return [
        {"n": n} | {k: v for k, v in passage_to_dict(p).items() if k in _SOURCE_KEYS}
        for n, p in items
    ]


# What feedback keeps of a source: where it is, never its text.
_SOURCE_KEYS = ("source", "title", "section", "page", "year", "kind", "municipality", "url")


def _mask(text: str) -> str:
    return mask_personal_data(text).text if text else ""


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _source_line(src: Mapping[str, Any]) -> str:
    number = f"[{src['n']}] " if src.get("n") is not None else ""
    section = f" › {src['section']}" if src.get("section") else ""
    year = src.get("year") or "år saknas"
    return (
        f"{number}{src.get('title', '')}{section} ({year}, {kind_label(str(src.get('kind', '')))})"
    )


class FeedbackStore:
    """One SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"Återkopplingsdatabasen {self.path} kunde inte öppnas ({exc}). Kontrollera att "
                "datamappen (KG_DATA_DIR) finns och är skrivbar."
            ) from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10.0)) as conn:
            conn.execute("PRAGMA busy_timeout=10000")
            with conn:  # commit, or roll back on error
                yield conn

    def add(
        self,
        question: str,
        answer: str,
        mode: str,
        sources: Sequence[Mapping[str, Any]],
        rating: int,
        comment: str = "",
    ) -> int:
        """Store one rating (+1 or -1); personal data in the texts is masked first."""
        if rating not in (1, -1):
            raise ValueError("rating must be +1 or -1")
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            rating,
            mode,
            _mask(question),
            _mask(answer),
            json.dumps([dict(s) for s in sources], ensure_ascii=False),
            _mask(comment.strip()),
        )
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (created_at, rating, mode, question, answer, sources, comment)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid or 0)

    def add_answer(self, answer: Answer, rating: int, comment: str = "") -> int:
        return self.add(
            answer.question, answer.answer, answer.mode, sources_of(answer), rating, comment
        )

    def rows(self) -> list[dict[str, Any]]:
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            got = conn.execute(f"SELECT {', '.join(FIELDS)} FROM feedback ORDER BY id").fetchall()
        out = []
        for r in got:
            row = dict(r)
            row["sources"] = json.loads(row["sources"])
            out.append(row)
        return out

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def export(self, fmt: Literal["csv", "jsonl"] = "csv") -> str:
        rows = self.rows()
        if fmt == "jsonl":
            return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if fmt != "csv":
            raise ValueError(f"unknown export format {fmt!r}")
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            sources = "; ".join(_source_line(s) for s in r["sources"])
            texts = {k: _cell(str(r[k])) for k in ("mode", "question", "answer", "comment")}
            writer.writerow({**r, **texts, "sources": _cell(sources)})
        return buf.getvalue()
