"""The reference question set: one JSON object per line, validated on load.

Each item names its gold sources (paths relative to corpus/) and gold quotes copied
verbatim from them; unanswerable items have neither. A `followup` item carries the earlier
user questions of its conversation in `history` (oldest first). Every item belongs to the
`dev` split (for tuning) or the `test` split (frozen; see eval/data/README.md). Errors name
the file and line in Swedish, since people edit this file by hand.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError
from eval.matching import quote_in_text

Category = Literal[
    "factual",
    "paraphrase",
    "abbreviation",
    "typo",
    "multi_part",
    "english",
    "numeric",
    "colloquial",
    "deep_section",
    "cross_document",
    "followup",
    "unanswerable",
    "near_miss",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
# Categories whose questions the corpus does not answer: a near miss shares words with a
# passage, but the thing asked for (a deadline, a number, a procedure) is not there.
UNANSWERABLE: frozenset[str] = frozenset({"unanswerable", "near_miss"})
Split = Literal["dev", "test"]
SPLITS: tuple[str, ...] = get_args(Split)


class EvalItem(BaseModel):
    """One question with its reference answer and where in the corpus the answer is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    reference_answer: str = Field(min_length=1)
    gold_sources: list[str]
    gold_quotes: list[str]
    category: Category
    split: Split | None = None  # None only in datasets that evaluators write themselves
    history: list[str] = Field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.category not in UNANSWERABLE

    @field_validator("gold_sources")
    @classmethod
    def _relative_paths(cls, sources: list[str]) -> list[str]:
        for source in sources:
            path = PurePosixPath(source)
            if not source.strip() or path.is_absolute() or ".." in path.parts or "\\" in source:
                raise ValueError(
                    f"källan {source!r} ska vara en sökväg relativ till corpus/, "
                    "t.ex. 'kunskapsguiden/uppdrag-och-ansvar.txt'"
                )
        return sources

    @field_validator("gold_quotes")
    @classmethod
    def _non_empty_quotes(cls, quotes: list[str]) -> list[str]:
        if any(not quote.strip() for quote in quotes):
            raise ValueError("ett citat i gold_quotes är tomt")
        return quotes

    @field_validator("history")
    @classmethod
    def _non_empty_history(cls, history: list[str]) -> list[str]:
        if any(not question.strip() for question in history):
            raise ValueError("en tidigare fråga i history är tom")
        return history

    @model_validator(mode="after")
    def _gold_matches_category(self) -> EvalItem:
        has_gold = bool(self.gold_sources) or bool(self.gold_quotes)
        if not self.answerable and has_gold:
            raise ValueError(
                f"en obesvarbar fråga (category {self.category!r}) ska ha tomma gold_sources "
                "och gold_quotes"
            )
        if self.answerable and not (self.gold_sources and self.gold_quotes):
            raise ValueError(
                f"en besvarbar fråga (category {self.category!r}) behöver minst en källa i "
                "gold_sources och minst ett citat i gold_quotes"
            )
        if self.category == "followup" and not self.history:
            raise ValueError(
                "en följdfråga (category 'followup') behöver de tidigare frågorna i history"
            )
        return self


def load_dataset(path: str | Path) -> list[EvalItem]:
    """Read and validate a JSONL file of `EvalItem`s; blank lines are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"Frågefilen {path} finns inte.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Frågefilen {path} kunde inte läsas: {error}") from error

    items: list[EvalItem] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, rad {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{where}: ogiltig JSON ({error.msg}, tecken {error.colno})."
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: varje rad ska vara ett JSON-objekt {{...}}.")
        try:
            item = EvalItem.model_validate(data)
        except ValidationError as error:
            raise ConfigError(f"{where}: {_describe(error)}") from None
        if item.id in first_line_of:
            raise ConfigError(
                f"{where}: id {item.id!r} finns redan på rad {first_line_of[item.id]}; id måste vara unika."
            )
        first_line_of[item.id] = number
        items.append(item)
    if not items:
        raise ConfigError(f"Frågefilen {path} innehåller inga frågor.")
    return items


def select_split(items: Sequence[EvalItem], split: str) -> list[EvalItem]:
    """The items of one split ("dev" or "test"), or all of them ("all")."""
    if split == "all":
        return list(items)
    if split not in SPLITS:
        raise ConfigError(f"Okänd del {split!r}: välj dev, test eller all.")
    chosen = [item for item in items if item.split == split]
    if not chosen:
        raise ConfigError(
            f"Frågefilen har inga frågor i delen {split!r}. Ange split i varje post, "
            "eller kör med --split all."
        )
    return chosen


def assign_split(item: EvalItem, existing: Sequence[EvalItem]) -> Split:
    """The split for a new item: the smaller of the two in its category so far (stratified),
    and on a tie the one its id hashes to. Items already split never move, so the test
    split stays frozen as the set grows."""
    same = [other.split for other in existing if other.category == item.category]
    dev, test = same.count("dev"), same.count("test")
    if dev != test:
        return "dev" if dev < test else "test"
    digest = hashlib.sha256(item.id.encode("utf-8")).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def _describe(error: ValidationError) -> str:
    """The first validation problem in Swedish, naming the field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "posten"
    kind = first["type"]
    if kind == "missing":
        return f"fältet {field!r} saknas."
    if kind == "extra_forbidden":
        return f"okänt fält {field!r}."
    if kind == "literal_error":
        allowed = SPLITS if field == "split" else CATEGORIES
        return f"fältet {field!r} måste vara ett av: {', '.join(allowed)}."
    if kind == "string_too_short":
        return f"fältet {field!r} får inte vara tomt."
    if kind in {"string_type", "list_type"}:
        wanted = "en text" if kind == "string_type" else "en lista"
        return f"fältet {field!r} måste vara {wanted}."
    if kind == "value_error":
        message = str(first.get("ctx", {}).get("error", first["msg"]))
        return f"{message}." if field == "posten" else f"fältet {field!r}: {message}."
    return f"fältet {field!r} är ogiltigt ({first['msg']})."


def verify_gold_quotes(items: Iterable[EvalItem], corpus_dir: str | Path) -> list[str]:
    """Problems with the gold data: missing sources, and quotes not found in their sources.

    A quote must occur whole (robust matching: case, whitespace, hyphenation and
    punctuation may differ) in at least one of the item's gold sources, and every gold
    source must hold at least one of the item's quotes.
    """
    corpus_dir = Path(corpus_dir)
    texts: dict[str, str | None] = {}
    problems: list[str] = []
    for item in items:
        available: dict[str, str] = {}
        for source in item.gold_sources:
            if source not in texts:
                texts[source] = _read(corpus_dir / source)
            text = texts[source]
            if text is None:
                problems.append(f"{item.id}: källan {source!r} finns inte i {corpus_dir}.")
            else:
                available[source] = text
        if not available:
            continue
        used: set[str] = set()
        for quote in item.gold_quotes:
            found = [
                s for s, text in available.items() if quote_in_text(quote, text, min_coverage=1.0)
            ]
            if not found:
                problems.append(
                    f"{item.id}: citatet {_shorten(quote)!r} hittades inte i {_join(available)}."
                )
            used.update(found)
        problems.extend(
            f"{item.id}: källan {source!r} innehåller inget av frågans citat."
            for source in available
            if source not in used
        )
    return problems


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _join(sources: Iterable[str]) -> str:
    return ", ".join(repr(s) for s in sources)
