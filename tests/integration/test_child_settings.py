"""A child process of the product (the app, the benchmark's cold start, `kunskapsguide ui`)
runs on exactly its parent's settings: every KG_ variable, not a hand-picked few, and not
whatever a `.env` in the child's folder says (issue 11, item 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings, child_environment, load_settings

CHILD = "from core.settings import load_settings; print(load_settings().model_dump_json())"


def child_settings(env: dict[str, str], cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_a_child_process_runs_on_the_parents_settings_not_its_folders_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "KG_STORE": "server", "KG_TOP_K": "3", "KG_MODE": "llm", "KG_LLM_PROVIDER": "gguf",
        "KG_DATA_DIR": str(tmp_path / "data"),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    parent = load_settings()
    folder = tmp_path / "barn"
    folder.mkdir()
    (folder / ".env").write_text(
        "KG_STORE=embedded\nKG_TOP_K=6\nKG_MODE=extractive\nKG_LLM_PROVIDER=openai\n"
        "KG_ADMIN_PASSWORD_HASH=från-dotenv\n",
        encoding="utf-8",
    )
    child = child_settings(child_environment(parent), folder)
    assert child == json.loads(parent.model_dump_json())
    assert (child["store"], child["top_k"], child["mode"], child["llm_provider"]) == (
        "server", 3, "llm", "gguf",
    )  # fmt: skip
    assert child["admin_password_hash"] is None


def test_kunskapsguide_ui_starts_the_app_with_the_child_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ui import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KG_TOP_K", "4")
    started: dict[str, object] = {}

    def call(cmd: list[str], env: dict[str, str]) -> int:
        started.update(cmd=cmd, env=env)
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    assert cli.main(["ui", "--port", "8765"]) == 0
    env = started["env"]
    assert isinstance(env, dict)
    assert child_settings(env, tmp_path) == json.loads(Settings(top_k=4).model_dump_json())
