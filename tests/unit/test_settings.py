"""Settings: read from KG_* variables and .env, checked at construction with Swedish messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest.errors import ConfigError, KunskapsguideError
from ingest.settings import ROOT, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No KG_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("KG_"):
            monkeypatch.delenv(name)


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults() -> None:
    s = make()
    assert (s.chunk_tokens, s.chunk_overlap_tokens, s.top_k, s.mode) == (220, 40, 6, "extractive")
    assert s.corpus_dir == ROOT / "corpus"
    assert s.manifest_path == ROOT / "corpus" / "manifest.yaml"
    assert s.model_cache_dir == s.data_dir / "models"


def test_kg_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KG_TOP_K", "3")
    monkeypatch.setenv("KG_CHUNK_TOKENS", "300")
    monkeypatch.setenv("KG_MODE", "llm")
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data åäö"))
    monkeypatch.setenv("KG_COLLECTION", "kunskapsguide_malmö")
    s = make()
    assert (s.top_k, s.chunk_tokens, s.mode) == (3, 300, "llm")
    assert s.data_dir == tmp_path / "data åäö"
    assert s.chroma_dir == tmp_path / "data åäö" / "chroma"
    assert s.collection == "kunskapsguide_malmö"


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOP_K", "9")
    monkeypatch.setenv("MODE", "llm")
    assert (make().top_k, make().mode) == (6, "extractive")


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_TOP_K", "3")
    assert make(top_k=8).top_k == 8


def test_a_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("KG_TOP_K=4\nKG_LLM_MODEL=qwen-åäö\nANNAT=1\n", encoding="utf-8")
    s = Settings(_env_file=env)  # type: ignore[call-arg]
    assert (s.top_k, s.llm_model) == (4, "qwen-åäö")
    monkeypatch.setenv("KG_TOP_K", "5")  # the environment wins over .env
    assert Settings(_env_file=env).top_k == 5  # type: ignore[call-arg]


@pytest.mark.parametrize(("chunk", "overlap"), [(220, 220), (100, 150), (50, 51)])
def test_overlap_not_below_chunk_size_fails_at_once(chunk: int, overlap: int) -> None:
    with pytest.raises(ConfigError) as info:
        make(chunk_tokens=chunk, chunk_overlap_tokens=overlap)
    assert str(info.value) == (
        f"KG_CHUNK_OVERLAP_TOKENS ({overlap}) måste vara mindre än KG_CHUNK_TOKENS ({chunk})."
    )
    assert isinstance(info.value, KunskapsguideError)


def test_overlap_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_CHUNK_OVERLAP_TOKENS", "500")
    with pytest.raises(ConfigError, match=r"KG_CHUNK_OVERLAP_TOKENS \(500\) måste vara mindre"):
        make()


def test_overlap_just_below_chunk_size_is_allowed() -> None:
    assert make(chunk_tokens=100, chunk_overlap_tokens=99).chunk_overlap_tokens == 99


@pytest.mark.parametrize("top_k", [0, -1])
def test_top_k_below_one_fails(top_k: int) -> None:
    with pytest.raises(ConfigError, match="^KG_TOP_K måste vara minst 1.$"):
        make(top_k=top_k)


def test_top_k_of_one_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_TOP_K", "1")
    assert make().top_k == 1


@pytest.mark.parametrize(
    ("name", "value"), [("KG_MODE", "generativ"), ("KG_STORE", "moln"), ("KG_TOP_K", "sex")]
)
def test_an_invalid_value_is_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        make()


def test_the_admin_password_hash_is_not_shown_in_repr() -> None:
    s = make(admin_password_hash="pbkdf2:hemligt-hash")
    assert "hemligt-hash" not in repr(s)
