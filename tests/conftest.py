"""Shared fixtures. The real embedding model is converted once into the repo's data/models
(the same cache `make run` uses); every index a test builds lives in a tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.offline import use_offline_defaults
from core.settings import ROOT, Settings

use_offline_defaults()  # the test session is an entry point: offline before any model loads

MODELS_DIR = Path(os.environ.get("KG_TEST_MODELS_DIR", ROOT / "data" / "models"))


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp / "data",
        "models_dir": MODELS_DIR,
        "corpus_dir": ROOT / "corpus",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def embedder():
    from core.embeddings import load_embeddings

    return load_embeddings(Settings(_env_file=None, models_dir=MODELS_DIR))  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def seed_index(seed_settings: Settings, embedder):
    """The real seed corpus indexed once into a tmp embedded Chroma."""
    from assistant.service import open_index
    from ingest.pipeline import ingest as run_ingest

    _, store = open_index(seed_settings, embedder)
    report = run_ingest(seed_settings, store, embedder)
    assert report.ok, report.failed
    return store


@pytest.fixture(scope="session")
def seed_assistant(seed_settings: Settings, embedder, seed_index):
    from assistant.service import build_assistant

    return build_assistant(seed_settings, embedder=embedder, store=seed_index)
