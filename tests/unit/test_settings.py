"""Settings: read from KG_* variables and .env, checked at construction with Swedish messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigError, KunskapsguideError
from core.settings import (
    ROOT,
    Settings,
    child_environment,
    load_settings,
    settings_environment,
    variable,
)


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
    ("name", "value", "says"),
    [
        ("KG_MODE", "generativ", "KG_MODE='generativ' ska vara ett av 'extractive', 'llm'."),
        ("KG_STORE", "sqlite", "KG_STORE='sqlite' ska vara ett av 'embedded', 'server'."),
        ("KG_TOP_K", "abc", "KG_TOP_K='abc' ska vara ett heltal."),
        ("KG_LLM_TEMPERATURE", "varm", "KG_LLM_TEMPERATURE='varm' ska vara ett tal."),
    ],
)
def test_an_invalid_value_is_a_swedish_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        make()  # the model itself stays strict; load_settings is what entry points call
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("Inställningen är ogiltig: ") and says in message
    assert message.endswith("Rätta miljövariabeln eller raden i .env och försök igen.")


def test_every_invalid_value_is_named_and_a_secret_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("KG_CHROMA_PORT=åtta\n", encoding="utf-8")
    monkeypatch.setenv("KG_TOP_K", "abc")
    monkeypatch.setenv("KG_ADMIN_PASSWORD_HASH", "")  # fine: an empty string is a string
    monkeypatch.setenv("KG_CHROMA_TOKEN", "hemlig-token")
    monkeypatch.setenv("KG_EMBEDDING_BATCH_SIZE", "hemlig-token")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "KG_TOP_K='abc'" in message and "KG_CHROMA_PORT='åtta'" in message
    assert "KG_EMBEDDING_BATCH_SIZE='hemlig-token' ska vara ett heltal" in message
    assert message.count("hemlig-token") == 1  # only where it was not a secret's value


def test_the_cli_says_a_config_error_in_swedish_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KG_STORE", "sqlite")
    assert main(["sources"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Fel: Inställningen är ogiltig: KG_STORE='sqlite'")
    assert "Traceback" not in err and "pydantic" not in err


# --- one environment for child processes ------------------------------------------------------

# Every field away from its default, so a field the environment loses shows up.
NOT_DEFAULT = {
    "corpus_dir": Path("/srv/kg/korpus åäö"),
    "data_dir": Path("/srv/kg/data"),
    "models_dir": Path("/srv/kg/modeller"),
    "manifest_name": "manifest-malmö.yaml",
    "glossary_name": "ordlista-malmö.yaml",
    "embedding_model": "intfloat/multilingual-e5-small",
    "embedding_batch_size": 4,
    "query_prefix": "fråga: ",
    "passage_prefix": "text: ",
    "torch_threads": 2,
    "chunk_tokens": 300,
    "chunk_overlap_tokens": 30,
    "max_file_mb": 12.5,
    "document_seconds": 30.0,
    "document_chars": 1_000_000,
    "store": "server",
    "chroma_host": "chroma.lokal",
    "chroma_port": 8001,
    "chroma_token": "token åäö",
    "collection": "kunskapsguide_malmö",
    "top_k": 3,
    "candidates": 12,
    "mode": "llm",
    "llm_provider": "gguf",
    "llm_base_url": "http://127.0.0.1:9999/v1",
    "llm_api_key": "nyckel",
    "llm_model": "qwen",
    "llm_gguf_path": Path("/srv/kg/qwen.gguf"),
    "llm_temperature": 0.2,
    "llm_max_tokens": 200,
    "admin_password_hash": "scrypt$1$2$3$abc$def",
}


def test_the_example_covers_every_setting() -> None:
    assert set(NOT_DEFAULT) == set(Settings.model_fields)
    defaults = make()
    assert all(getattr(defaults, k) != v for k, v in NOT_DEFAULT.items())


@pytest.mark.parametrize("values", [NOT_DEFAULT, {}], ids=["alla-ändrade", "standard"])
def test_settings_round_trip_through_the_environment_whatever_dotenv_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, values: dict[str, object]
) -> None:
    parent = make(**values)
    monkeypatch.chdir(tmp_path)  # a .env the parent did not read must not change the child
    (tmp_path / ".env").write_text(
        "KG_TOP_K=9\nKG_MODELS_DIR=/från/dotenv\nKG_LLM_GGUF_PATH=/från/dotenv.gguf\n"
        "KG_CHROMA_TOKEN=från-dotenv\nKG_ADMIN_PASSWORD_HASH=från-dotenv\n",
        encoding="utf-8",
    )
    env = settings_environment(parent)
    assert set(env) == {variable(name) for name in Settings.model_fields}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().model_dump() == parent.model_dump()


def test_a_child_environment_replaces_the_parents_kg_variables_and_keeps_the_rest() -> None:
    base = {"PATH": "/usr/bin", "KG_TOP_K": "3", "kg_mode": "llm", "PYTHONPATH": "/annat"}
    env = child_environment(make(top_k=5), base=base, extra={"EXTRA": "1"})
    assert env["PATH"] == "/usr/bin" and env["EXTRA"] == "1" and "kg_mode" not in env
    assert env["KG_TOP_K"] == "5" and env["KG_MODE"] == "extractive"
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/annat"]


def test_a_relative_path_reaches_a_child_in_another_folder_as_the_same_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    env = settings_environment(make(data_dir=Path("data")))
    assert env["KG_DATA_DIR"] == str(tmp_path / "data")


def test_the_admin_password_hash_is_not_shown_in_repr() -> None:
    s = make(admin_password_hash="pbkdf2:hemligt-hash")
    assert "hemligt-hash" not in repr(s)
