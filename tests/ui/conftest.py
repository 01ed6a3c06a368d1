"""The app under test reads its settings from the environment, like `streamlit run` does; these
fixtures point that environment at a real index in a tmp dir and reset the app's process-wide
caches around each module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.auth import hash_password
from core.settings import ROOT, Settings, settings_environment
from tests.conftest import MODELS_DIR, make_settings

APP = ROOT / "ui" / "app.py"
PASSWORD = "Rätt lösenord för samordnare 2026"
TIMEOUT = 300  # seconds per script run: the first run loads the embedding model


def app_env(settings: Settings, password_hash: str | None) -> dict[str, str]:
    """The KG_ variables of an app on `settings` (a child process gets exactly these)."""
    env = settings_environment(settings.model_copy(update={"models_dir": settings.model_cache_dir}))
    if password_hash:
        env["KG_ADMIN_PASSWORD_HASH"] = password_hash
    return env


def clear_app_caches() -> None:
    import streamlit as st

    st.cache_resource.clear()


@contextmanager
def app_environment(settings: Settings, password_hash: str | None) -> Iterator[None]:
    """The app process's environment, for one module of AppTests."""
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("KG_")]:
            mp.delenv(key)
        for key, value in app_env(settings, password_hash).items():
            mp.setenv(key, value)
        clear_app_caches()
        try:
            yield
        finally:
            clear_app_caches()


def copied_corpus_settings(tmp: Path) -> Settings:
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    return make_settings(tmp, corpus_dir=corpus, models_dir=MODELS_DIR)


def indexed_copy(tmp: Path, seed: Settings, embedder) -> Settings:
    """A corpus and index of their own, for tests that change them. The seed index is copied
    (embedding the corpus again takes minutes on a small machine); the ingest that follows
    finds every document unchanged, which also checks that the copy is whole."""
    settings = copied_corpus_settings(tmp)
    shutil.copytree(seed.chroma_dir, settings.chroma_dir)
    from assistant.service import open_index
    from ingest.pipeline import ingest

    _, store = open_index(settings, embedder)
    report = ingest(settings, store, embedder)
    assert report.ok and not report.embedded_chunks, report.as_dict()
    return settings


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)
