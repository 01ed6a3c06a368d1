"""Ingestion: load -> clean -> structure -> chunk -> embed -> store.

Also the shared foundation (settings, errors, embeddings, store) used by `assistant`.
Import direction: ui -> assistant -> ingest; eval -> assistant -> ingest.
"""

import os

# Offline by default: these must be set before any Hugging Face or Chroma import, and every
# import of this product goes through this package first. A deployment may override them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
