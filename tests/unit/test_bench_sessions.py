"""The pure parts of the sessions benchmark: percentiles, the answer check, /proc parsing, and
the `kunskapsguide bench sessions` wiring."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.bench_sessions import (
    QUESTIONS,
    REFUSAL,
    check_answer,
    descendants,
    latency_summary,
    percentile,
    summary,
    tree_rss_mb,
    vmrss_kb,
)
from ui.cli import build_parser


@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50),
    st.sampled_from([0.0, 0.5, 0.95, 1.0]),
)
def test_percentile_matches_numpy(values: list[float], p: float) -> None:
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p * 100)))


def test_latency_summary_rounds_and_handles_no_answers() -> None:
    assert latency_summary([]) == {"p50_ms": None, "p95_ms": None, "max_ms": None, "n": 0}
    s = latency_summary([float(ms) for ms in range(1, 101)])
    assert s == {"p50_ms": 50, "p95_ms": 95, "max_ms": 100, "n": 100}


@pytest.mark.parametrize(
    ("expect", "refused", "first", "problem"),
    [
        (
            "sekretess",
            False,
            "[1] Uppdrag och ansvar › Offentlighet och SEKRETESS",
            None,
        ),
        ("sekretess", False, "[1] Om yrkesintroduktion", "wrong_source"),
        ("sekretess", False, None, "no_sources"),
        ("sekretess", True, None, "refused"),
        (REFUSAL, True, "[1] Uppdrag och ansvar", None),
        (REFUSAL, False, "[1] Uppdrag och ansvar", "expected_refusal"),
        (
            "Yrkesintroduktion ger säkrare",
            False,
            "Yrkesintroduktion ger säkrare socialsekreterare",
            None,
        ),
    ],
)
def test_check_answer(expect: str, refused: bool, first: str | None, problem: str | None) -> None:
    assert check_answer(expect, refused, first) == problem


def test_every_question_is_swedish_and_expects_something() -> None:
    assert len({q for q, _ in QUESTIONS}) == len(QUESTIONS) >= 4
    assert all(q.endswith("?") and expect for q, expect in QUESTIONS)
    assert any(expect == REFUSAL for _, expect in QUESTIONS)


def test_vmrss_kb_reads_the_status_line_and_zombies_have_none() -> None:
    status = "Name:\tstreamlit\nVmPeak:\t 900000 kB\nVmRSS:\t  412345 kB\nThreads:\t12\n"
    assert vmrss_kb(status) == 412345
    assert vmrss_kb("Name:\tzombie\nState:\tZ (zombie)\n") == 0


def test_descendants_follow_the_whole_tree_and_nothing_else() -> None:
    parents = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert descendants(10, parents) == {10, 11, 12, 13}
    assert descendants(12, parents) == {12}
    assert descendants(99, parents) == {99}


def test_tree_rss_of_this_process_is_plausible() -> None:
    assert 10 < tree_rss_mb(os.getpid()) < 100_000


def test_summary_names_the_figures() -> None:
    results = {
        "sessions": 8, "elapsed_s": 61.2, "machine": {"cores": 2}, "questions_answered": 40,
        "errors": 1, "error_kinds": {"timeout": 1},
        "latency": {"p50_ms": 1200, "p95_ms": 4000, "max_ms": 5100, "n": 40},
        "rss_mb": {"start": 900.0, "peak": 950.5, "end": 930.0},
    }  # fmt: skip
    text = summary(results)
    assert "8 samtidiga sessioner" in text and "p95 4000 ms" in text and "topp 950.5 MB" in text
    assert "1 fel {'timeout': 1}" in text and "klick" not in text
    text = summary(results | {"errors": 0, "error_kinds": {}, "retried_clicks": 2})
    assert "0 fel, 2 klick på Ny konversation fick göras om" in text


@pytest.mark.parametrize(
    ("argv", "func", "out"),
    [
        (["bench", "--no-scale"], "cmd_bench", "bench-results.json"),
        (["bench", "sessions"], "cmd_bench_sessions", "bench-sessions.json"),
    ],
)
def test_bench_sessions_is_a_subcommand_of_bench(argv: list[str], func: str, out: str) -> None:
    args = build_parser().parse_args(argv)
    assert args.func.__name__ == func and args.out.endswith(out)


def test_bench_sessions_options() -> None:
    args = build_parser().parse_args(["bench", "sessions", "--sessions", "2", "--duration", "20"])
    assert (args.sessions, args.duration) == (2, 20.0)
