"""Offline by default: the environment Hugging Face and Chroma read, set explicitly.

Each entry point (the CLI, the app, a child script, the tests) calls `use_offline_defaults()`
first, and every function that imports a Hugging Face library calls it again just before, so
no code path reaches a model hub. A deployment may override each variable.
"""

from __future__ import annotations

import os

OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def use_offline_defaults() -> None:
    """Set each offline variable this process has not set itself."""
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
