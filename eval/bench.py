"""Benchmarks (not tests): indexing throughput, warm query and answer latency, cold start,
peak memory, and how query cost grows with the index (1k → 10k → 100k chunks).

Run with `kunskapsguide bench`; results go to a JSON file and the README's table.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from core.settings import ROOT, Settings, child_environment

QUESTIONS = ROOT / "eval" / "data" / "reference.jsonl"


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:
        pos = (len(ordered) - 1) * p
        low = int(pos)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)

    return {"p50_ms": round(pct(0.5), 1), "p95_ms": round(pct(0.95), 1), "n": len(values)}


def _proc_status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not ru_maxrss: on Linux a child started by a big parent
    inherits the parent's figure across fork and exec, so every subprocess looked as large as
    the benchmark itself. VmHWM starts afresh with the new program."""
    return _proc_status_mb("VmHWM")


def rss_mb() -> float:
    return _proc_status_mb("VmRSS")


def bench_indexing(settings: Settings, data_dir: Path) -> dict[str, Any]:
    from assistant.service import open_index
    from ingest.pipeline import ingest

    scratch = settings.model_copy(update={"data_dir": data_dir, "models_dir": settings.model_cache_dir})
    embedder, store = open_index(scratch, allow_mismatch=True)
    started = time.perf_counter()
    report = ingest(scratch, store, embedder, rebuild=True)
    seconds = time.perf_counter() - started
    # Embedding alone, on the corpus' own chunks (passages/s of the model).
    texts = [c.embed_text for c in store.live_chunks()][:64]
    t = time.perf_counter()
    embedder.embed_documents(texts)
    embed_rate = len(texts) / (time.perf_counter() - t)
    again = time.perf_counter()
    ingest(scratch, store, embedder)
    return {
        "documents": len(report.added),
        "chunks": report.chunks,
        "sentences": store.count_sentences(),  # answer sentences indexed beside the chunks
        "seed_corpus_seconds": round(seconds, 1),
        "chunks_per_second": round(report.chunks / seconds, 1),
        "embedding_passages_per_second": round(embed_rate, 1),
        "second_run_seconds": round(time.perf_counter() - again, 2),
    }


def bench_latency(settings: Settings, data_dir: Path, n: int = 40) -> dict[str, Any]:
    from assistant.service import build_assistant

    scratch = settings.model_copy(update={"data_dir": data_dir, "models_dir": settings.model_cache_dir})
    assistant = build_assistant(scratch)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()][:n]
    for q in questions[:3]:  # warm up
        assistant.ask(q)
    retrieval, answer = [], []
    for q in questions:
        t = time.perf_counter()
        assistant.search(q)
        retrieval.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.ask(q)
        answer.append((time.perf_counter() - t) * 1000)
    return {
        "retrieval": _percentiles(retrieval),
        "extractive_answer": _percentiles(answer),
        "peak_rss_mb": round(peak_rss_mb(), 0),  # of the benchmark process so far
    }


_COLD = """
import time; t=time.perf_counter()
from core.settings import load_settings
from assistant.service import build_assistant
import sys, json
from eval.bench import peak_rss_mb
s = load_settings()
a = build_assistant(s)
a.ask("vad gäller vid sekretess?")
print(json.dumps({"seconds": time.perf_counter()-t, "peak_rss_mb": peak_rss_mb()}))
"""


def bench_cold_start(settings: Settings, data_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _COLD], capture_output=True, text=True, check=True, cwd=ROOT,
        env=child_environment(settings.model_copy(
            update={"data_dir": data_dir, "models_dir": settings.model_cache_dir})),
    )  # fmt: skip
    wall = time.perf_counter() - started
    inner = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "process_seconds": round(wall, 1),
        "to_first_answer_seconds": round(inner["seconds"], 1),
        "peak_rss_mb": round(inner["peak_rss_mb"], 0),
    }


_SCALE = """
import json, sys, time, random
from pathlib import Path
import numpy as np
import chromadb
from chromadb.config import Settings as CS
from assistant.lexical import LexicalIndex
from eval.bench import peak_rss_mb, rss_mb
path, sizes = sys.argv[1], [int(x) for x in sys.argv[2].split(",")]
client = chromadb.PersistentClient(path=path, settings=CS(anonymized_telemetry=False))
col = client.get_or_create_collection("scale", embedding_function=None, metadata={"hnsw:space": "cosine"})
rng, rand = np.random.default_rng(0), random.Random(0)
# Synthetic chunks of the corpus's own words, so the lexical side sees a realistic vocabulary.
words = [w for f in sorted(Path("corpus").rglob("*.txt")) for w in f.read_text().split() if w.isalpha()]
questions = ["vad gäller vid sekretess", "hur beräknas försörjningsstöd", "vem har tillsyn över socialtjänsten"]
have, docs, out, batch = 0, [], [], client.get_max_batch_size()
for size in sizes:
    t = time.perf_counter()
    while have < size:
        n = min(batch, size - have)
        vecs = rng.standard_normal((n, 384)).astype("float32")
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        new = [" ".join(rand.choices(words, k=120)) for _ in range(n)]
        col.add(ids=[f"c{have+i}" for i in range(n)], embeddings=vecs, documents=new,
                metadatas=[{"doc_id": f"d{(have+i)//50}", "position": (have+i)%50} for i in range(n)])
        docs += new
        have += n
    insert_s = time.perf_counter() - t
    lat = []
    for q in rng.standard_normal((50, 384)).astype("float32"):
        t = time.perf_counter(); col.query(query_embeddings=[q.tolist()], n_results=30); lat.append((time.perf_counter()-t)*1000)
    lat.sort()
    t = time.perf_counter()
    lexical = LexicalIndex([(f"c{i}", d) for i, d in enumerate(docs)])
    build_s = time.perf_counter() - t
    lex = []
    for i in range(30):
        t = time.perf_counter(); lexical.search(questions[i % 3], 30); lex.append((time.perf_counter()-t)*1000)
    lex.sort()
    del lexical
    out.append({"chunks": size, "insert_seconds": round(insert_s, 1),
        "query_p50_ms": round(lat[25], 2), "query_p95_ms": round(lat[47], 2),
        "bm25_build_seconds": round(build_s, 1),
        "bm25_query_p50_ms": round(lex[15], 2), "bm25_query_p95_ms": round(lex[28], 2),
        "rss_mb": round(rss_mb()), "peak_rss_mb": round(peak_rss_mb())})
print(json.dumps(out))
"""


def bench_scale(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> list[dict[str, Any]]:
    """Synthetic chunks with random unit vectors: the vector side's cost as the index grows."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", _SCALE, tmp, ",".join(map(str, sizes))],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
    rows: list[dict[str, Any]] = json.loads(out.stdout.strip().splitlines()[-1])
    return rows


def run_bench(settings: Settings, out: Path, scale: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        results: dict[str, Any] = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "date": time.strftime("%Y-%m-%d"),
            },
            "indexing": bench_indexing(settings, data_dir),
            "latency_warm": bench_latency(settings, data_dir),
            "cold_start": bench_cold_start(settings, data_dir),
        }
    if scale:
        results["scale"] = bench_scale()
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results
