"""YAML from files people write (front matter, sidecars, the manifest, the glossary), bounded.

`yaml.safe_load` still expands aliases: 557 bytes of nested `&a [*a, *a, …]` become gigabytes
the moment anything calls `str()` on them. Here an alias is refused outright (nobody writes
them in a routine's metadata), and so are nesting deeper than `MAX_DEPTH` and text longer than
the caller's `max_chars`. Text fields are cut to `MAX_FIELD_CHARS` by `bounded`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node

MAX_DEPTH = 20  # mappings and lists within each other
MAX_YAML_CHARS = 1_000_000  # a manifest of a few thousand documents fits easily
MAX_FIELD_CHARS = 300  # a title, a publisher, a municipality: one line each


class YamlRefused(ValueError):
    """The YAML uses aliases, nests too deep or is too long. The message is Swedish."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting while it composes the node tree."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        if self.check_event(AliasEvent):
            raise YamlRefused(
                "YAML-alias (*namn) används; sådana tillåts inte. Skriv ut värdet i stället."
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"YAML är nästlad djupare än {MAX_DEPTH} nivåer.")
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


def load_yaml(text: str, max_chars: int = MAX_YAML_CHARS) -> Any:
    """Parse YAML like `yaml.safe_load`, but raise YamlRefused for aliases, deep nesting and
    oversize text, and `yaml.YAMLError` for syntax errors."""
    if len(text) > max_chars:
        raise YamlRefused(f"YAML-texten är {len(text)} tecken, mer än gränsen {max_chars}.")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# Terminal escape sequences (CSI "ESC [ … m", OSC "ESC ] … BEL", their 8-bit forms): removed
# whole, so that no "[31m" is left once the control characters are dropped.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
)


def bounded(value: Any, limit: int = MAX_FIELD_CHARS) -> str:
    """A metadata value as one line of at most `limit` characters (control characters and
    terminal escape sequences gone)."""
    text = _ESCAPES.sub("", str(value)) if value is not None else ""
    text = " ".join(text.split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
