"""Every hostile file of issue 12 at once, in one real `kunskapsguide ingest` (real model, real
Chroma) run as a child process under a memory cap and a deadline.

The budget this states: the whole ingest of two good routines beside every hostile file, at the
issue's full sizes, finishes within DEADLINE seconds with a peak resident memory below
PEAK_RSS_MB (measured by a wrapper process from the kernel's own accounting), exits 1, names
each hostile file with a Swedish reason, and leaves an index identical to a clean ingest of the
good routines alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import child_environment
from core.store import ChunkStore
from ingest.pipeline import ingest
from tests import hostile_files as hostile
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

DEADLINE = 900  # seconds for the whole child ingest, model load included
PEAK_RSS_MB = 3500  # the model and Chroma take about 1.2 GB; the alias bomb alone took 10 GB
ADDRESS_CAP = 16 * 1024**3  # a hard stop for the child, should the budget fail badly
DOCUMENT_SECONDS = 30  # the per-document time budget this test runs with (KG_DOCUMENT_SECONDS)

GOOD = {
    "lokala-rutiner/hembesok.md": "# Rutin för hembesök\n\n## Dokumentation\n\n"
    "Hembesöket dokumenteras i journalen inom tre arbetsdagar. Handläggaren ansvarar för "
    "att anteckningen är saklig.\n",
    "lokala-rutiner/akut.md": "# Rutin för akut bistånd\n\nAkut bistånd kan beviljas samma "
    "dag om den sökande saknar pengar till mat. Beslutet fattas av handläggaren.\n",
}

# The wrapper: runs the command, then prints the peak RSS (kB) of its child from getrusage.
WRAPPER = """
import resource, subprocess, sys
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
code = subprocess.call(sys.argv[2:], preexec_fn=cap)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def write_good(corpus: Path) -> None:
    for rel, text in GOOD.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text, encoding="utf-8")


def write_hostile(folder: Path) -> dict[str, Path]:
    return {
        "alias bomb": hostile.yaml_alias_bomb_md(folder),
        "impossible date": hostile.impossible_date_md(folder),
        "impossible date in sidecar": hostile.impossible_date_sidecar(folder),
        "253-byte name": hostile.long_name_file(folder),
        "1000 nested divs": hostile.deep_html(folder, depth=1000, name="djup-1000.html"),
        "100k nested divs": hostile.deep_html(folder, depth=hostile.FULL_HTML_DEPTH),
        "docx bomb": hostile.docx_bomb(folder, xml_bytes=hostile.FULL_DOCX_XML_BYTES),
        "pdf with one shared stream": hostile.pdf_shared_stream(
            folder, pages=hostile.FULL_PDF_PAGES
        ),
        "297 kB word": hostile.long_word_txt(folder, n_chars=hostile.FULL_WORD_CHARS),
        "48.6 MB text": hostile.large_text(folder, n_bytes=hostile.FULL_UPLOAD_BYTES),
    }


def test_hostile_files_are_reported_and_the_rest_is_indexed_within_budget(
    tmp_path: Path, embedder
) -> None:
    corpus = tmp_path / "corpus"
    write_good(corpus)
    files = write_hostile(corpus / "lokala-rutiner")
    settings = make_settings(
        tmp_path, corpus_dir=corpus, max_file_mb=60, document_seconds=DOCUMENT_SECONDS
    )
    env = child_environment(settings)
    cli = [sys.executable, "-m", "ui.cli", "ingest", "--json"]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(ADDRESS_CAP), *cli],
        env=env, capture_output=True, text=True, timeout=DEADLINE,
    )  # fmt: skip
    peak_mb = int(done.stderr.strip().splitlines()[-1]) // 1024
    print(f"\nhostile ingest: exit {done.returncode}, peak RSS {peak_mb} MB")
    assert done.returncode == 1, done.stderr[-3000:]
    assert peak_mb < PEAK_RSS_MB
    report = json.loads(done.stdout)

    assert set(GOOD) <= set(report["added"])
    reasons = {f["source"]: f["reason"] for f in report["failed"]}
    loaded = set(report["added"])
    for what, path in files.items():
        rel = path.relative_to(corpus).as_posix()
        if rel in loaded:  # loaded cleanly within the budget: fine, it was bounded work
            continue
        assert rel in reasons, f"{what}: neither indexed nor reported ({rel})"
        reason = reasons[rel]
        assert path.name[:40] in reason or rel[:40] in reason, f"{what}: {reason}"
        assert "Traceback" not in reason and any(c in reason for c in "åäö"), reason
    for must_fail in ("alias bomb", "impossible date", "impossible date in sidecar", "docx bomb"):
        assert files[must_fail].relative_to(corpus).as_posix() in reasons, must_fail

    # The good routines are indexed exactly as a clean ingest of them alone would index them.
    clean = tmp_path / "clean"
    write_good(clean / "corpus")
    clean_settings = make_settings(clean, corpus_dir=clean / "corpus")
    clean_store = ChunkStore.open(clean_settings, embedder.model_id, embedder.dimension)
    hostile_settings = make_settings(tmp_path, corpus_dir=corpus)
    store = ChunkStore.open(hostile_settings, embedder.model_id, embedder.dimension)
    try:
        assert ingest(clean_settings, clean_store, embedder).ok
        docs = store.documents()
        clean_docs = clean_store.documents()
        for rel in GOOD:
            assert docs[rel].chunks == clean_docs[rel].chunks
            assert docs[rel].content_hash == clean_docs[rel].content_hash
        loaded_hostile = {
            path.relative_to(corpus).as_posix() for path in files.values()
        } & set(docs)
        assert set(docs) == set(GOOD) | loaded_hostile
        assert sorted(c.id for c in store.live_chunks() if c.metadata["doc_id"] in GOOD) == sorted(
            c.id for c in clean_store.live_chunks()
        )
    finally:
        store.close()
        clean_store.close()
