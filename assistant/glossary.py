"""The domain glossary (corpus/ordlista.yaml): abbreviations, synonyms and English terms,
used to expand queries — and, for abbreviations, documents too, so both sides meet.

Terms match whole tokens by their `textnorm` term, so case, åäö and inflection do not
matter ("IVO:s", "sekretessen") while "soc" never matches inside "social". Phrases match
as consecutive tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError
from core.textnorm import term, tokenize, word_terms

log = logging.getLogger(__name__)

SECTIONS = ("förkortningar", "synonymer", "engelska")


@dataclass(frozen=True)
class Rule:
    """When `phrase` occurs, add `expansions`; `documents`: also when indexing chunks."""

    phrase: str
    expansions: tuple[str, ...]
    documents: bool = False

    @property
    def key(self) -> tuple[str, ...]:
        return _key(self.phrase)


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(term(token) for token in tokenize(phrase))


class Glossary:
    """Holds the rules, indexed by the first term of their phrase."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = tuple(rule for rule in rules if rule.key and rule.expansions)
        self._by_first: dict[str, list[tuple[tuple[str, ...], Rule]]] = {}
        for rule in self.rules:
            key = rule.key
            self._by_first.setdefault(key[0], []).append((key, rule))

    def __len__(self) -> int:
        return len(self.rules)

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read the glossary YAML; a missing file gives an empty glossary."""
        if not path.exists():
            log.warning("no glossary at %s; queries are not expanded", path)
            return cls()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"Ordlistan {path} kunde inte läsas: {exc}") from exc
        try:
            return cls.from_data(data or {})
        except ConfigError as exc:
            raise ConfigError(f"Ordlistan {path}: {exc}") from exc

    @classmethod
    def from_data(cls, data: Any) -> Glossary:
        """Build from the parsed YAML (see corpus/ordlista.yaml for the format)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"ska bestå av avsnitten {', '.join(SECTIONS)}.")
        unknown = [str(k) for k in data if k not in SECTIONS]
        if unknown:
            raise ConfigError(
                f"okänt avsnitt {', '.join(unknown)}; tillåtna är {', '.join(SECTIONS)}."
            )
        rules: list[Rule] = []
        for short, long in _mapping(data, "förkortningar").items():
            rules.append(Rule(short, _strings(long, f"förkortningar: {short}"), documents=True))
        for i, group in enumerate(data.get("synonymer") or [], start=1):
            words = _strings(group, f"synonymer, grupp {i}")
            if len(words) < 2:
                raise ConfigError(f"synonymer, grupp {i}: en grupp behöver minst två ord.")
            rules += [Rule(w, tuple(o for o in words if o != w)) for w in words]
        for english, swedish in _mapping(data, "engelska").items():
            rules.append(Rule(english, _strings(swedish, f"engelska: {english}")))
        return cls(rules)

    def expansions(self, text: str, documents: bool = False) -> list[str]:
        """What the rules that match `text` add (only document rules if `documents`),
        leaving out what `text` already says; in order of first match."""
        tokens = [set(word_terms(token)) for token in tokenize(text)]
        out: list[str] = []
        for rule in self._matching(tokens, documents):
            for expansion in rule.expansions:
                if expansion not in out and not _occurs(_key(expansion), tokens):
                    out.append(expansion)
        return out

    def alternatives(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """The phrases of `text` the glossary knows, each with what else it may be called."""
        tokens = [set(word_terms(token)) for token in tokenize(text)]
        return [(rule.phrase, rule.expansions) for rule in self._matching(tokens, False)]

    def expand(self, query: str) -> str:
        """The query with the glossary's expansions of its terms appended."""
        extra = self.expansions(query)
        return f"{query} {' '.join(extra)}" if extra else query

    def expand_document(self, text: str) -> str:
        """A chunk's text with the long forms of the abbreviations in it appended."""
        extra = self.expansions(text, documents=True)
        return f"{text}\n{' '.join(extra)}" if extra else text

    def _matching(self, tokens: Sequence[set[str]], documents: bool) -> list[Rule]:
        found: list[Rule] = []
        for i, terms in enumerate(tokens):
            for t in terms:
                for key, rule in self._by_first.get(t, ()):
                    if documents and not rule.documents or rule in found:
                        continue
                    if _match_at(key, tokens, i):
                        found.append(rule)
        return found


def _match_at(key: tuple[str, ...], tokens: Sequence[set[str]], i: int) -> bool:
    if i + len(key) > len(tokens):
        return False
    return all(k in tokens[i + m] for m, k in enumerate(key))


def _occurs(key: tuple[str, ...], tokens: Sequence[set[str]]) -> bool:
    return bool(key) and any(_match_at(key, tokens, i) for i in range(len(tokens)))


def _mapping(data: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    value = data.get(section) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"avsnittet {section} ska ha formen 'ord: betydelse', en per rad.")
    for key in value:
        if not isinstance(key, str):
            raise ConfigError(
                f"{section}: {key!r} lästes inte som ett ord; sätt citattecken runt det."
            )
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int | float) and str(v).strip() for v in values):
        raise ConfigError(f"{where}: ange ett ord eller en lista med ord, t.ex. [ord, annat ord].")
    return tuple(str(v).strip() for v in values)
