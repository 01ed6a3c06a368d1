"""Benchmark (not a test): several chat sessions at once against the real Streamlit app.

`streamlit run ui/app.py` on loopback, driven by Playwright with Debian's chromium: one browser,
one context per session, each asking questions for a bounded time. It measures what a person
waits for (Enter to a finished answer, sources and feedback form shown), checks that each answer
came from the right source, and samples the server's memory every second, to show that the
sessions share one loaded model and index. Run with `kunskapsguide bench sessions`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, EmptyIndexError, KunskapsguideError
from core.serve import streamlit_app
from core.settings import Settings

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
REFUSAL = "<avböjer>"  # expected: the answer is a refusal
# (question, text expected in the first source's heading, or REFUSAL); all from the seed corpus.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Vad gäller vid sekretess?", "sekretess"),
    ("Vem har tillsyn över socialtjänsten?", "Uppdrag och ansvar"),
    ("Vad är lex Sarah?", "Uppdrag och ansvar"),
    ("Hur länge gäller ett samtycke?", "samtycke"),
    ("Vad ingår i yrkesintroduktionen?", "yrkesintroduktion"),
    ("Hur lång är yrkesintroduktionen i Jönköpings län?", "Yrkesintroduktion ger säkrare"),
    ("Vad är syftet med Stockholms handlingsplan för bättre arbetssituation?", "Handlingsplan"),
    ("Hur mycket är riksnormen för en ensamstående i år?", REFUSAL),
)
# A new conversation now and then: the page re-renders every earlier answer on each question,
# so an endless conversation would measure a growing page rather than the shared assistant.
CONVERSATION_LENGTH = 4
ANSWER_TIMEOUT_MS = 120_000
MODEL_LOAD_TIMEOUT_MS = 300_000
ERROR_BOX = '[data-testid="stAlertContentError"]'
# A refusal is the one answer shown in an info box (ui.render.answer_body, from Answer.refused);
# never told from its wording.
REFUSAL_BOX = '[data-testid="stAlertContentInfo"]'


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the nearest ranks (as numpy's default)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(ms: list[float]) -> dict[str, float | int | None]:
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "n": 0}
    return {
        "p50_ms": round(percentile(ms, 0.5)),
        "p95_ms": round(percentile(ms, 0.95)),
        "max_ms": round(max(ms)),
        "n": len(ms),
    }


def check_answer(expect: str, refused: bool, first_source: str | None) -> str | None:
    """What is wrong with a finished answer (an error kind), or None when it looks right."""
    if expect == REFUSAL:
        return None if refused else "expected_refusal"
    if refused:
        return "refused"
    if first_source is None:
        return "no_sources"
    return None if expect.casefold() in first_source.casefold() else "wrong_source"


def vmrss_kb(status: str) -> int:
    """The VmRSS line of /proc/<pid>/status in kB (0 for a zombie, which has none)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int, parents: dict[int, int]) -> set[int]:
    """`pid` and every process below it, from a child → parent map."""
    tree, grew = {pid}, True
    while grew:
        below = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # the command name may hold spaces and parentheses: split after the last ")"
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    total = 0
    for p in descendants(pid, parents):
        try:
            total += vmrss_kb(Path(f"/proc/{p}/status").read_text())
        except OSError:
            continue
    return round(total / 1024, 1)


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    per_session: dict[int, int] = field(default_factory=dict)
    retried_clicks: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def open_chat(browser: Any, url: str, timeout_ms: float) -> tuple[Any, Any]:
    """A new session on the chat page, once its input is there (the model is loaded)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = await context.new_page()
    page.set_default_timeout(60_000)
    await page.goto(url)
    ready = page.get_by_test_id("stChatInputTextArea").or_(page.locator(ERROR_BOX))
    await ready.first.wait_for(timeout=timeout_ms)
    if await page.locator(ERROR_BOX).count():
        text = await page.locator(ERROR_BOX).first.inner_text()
        raise KunskapsguideError(f"Appen visade ett fel: {text}")
    return context, page


async def ask(page: Any, question: str, expect: str) -> tuple[float | None, str | None]:
    """(ms from Enter to the finished answer, error kind) for one question."""
    messages = page.get_by_test_id("stChatMessage")
    before = await messages.count()
    box = page.get_by_test_id("stChatInputTextArea")
    await box.fill(question)
    started = time.perf_counter()
    await box.press("Enter")
    message = messages.nth(before + 1)  # the user's message comes first
    # The feedback form is rendered last, after the streamed text and the sources.
    done = message.get_by_text("Skicka omdöme").or_(message.locator(ERROR_BOX))
    try:
        await done.first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    except Exception:  # Playwright's TimeoutError, or the page went away
        return None, "timeout"
    elapsed = (time.perf_counter() - started) * 1000
    if await message.locator(ERROR_BOX).count():
        return None, "app_error"
    sources = message.get_by_test_id("stExpander")
    first = await sources.first.inner_text() if await sources.count() else None
    refused = await message.locator(REFUSAL_BOX).count() > 0
    return elapsed, check_answer(expect, refused, first)


async def session(n: int, page: Any, deadline: float, tally: Tally) -> None:
    """Ask the questions in turn (each session from its own offset) until the deadline."""
    asked = 0
    while time.monotonic() < deadline:
        try:
            if asked and asked % CONVERSATION_LENGTH == 0:
                await new_conversation(page, tally)
            question, expect = QUESTIONS[(n + asked) % len(QUESTIONS)]
            ms, problem = await ask(page, question, expect)
            asked += 1
            if ms is not None:
                tally.latencies_ms.append(ms)
                tally.per_session[n] = tally.per_session.get(n, 0) + 1
            if problem:
                tally.error(problem)
            if problem in ("timeout", "app_error"):  # start over in a clean session
                await page.reload()
                await page.get_by_test_id("stChatInputTextArea").wait_for()
                asked = 0
        except Exception as exc:  # the page or the server went away: this session ends, counted
            log.warning("session %d stopped: %s", n, str(exc).splitlines()[0])
            tally.error("session_lost")
            return


async def new_conversation(page: Any, tally: Tally) -> None:
    """Click "Ny konversation" until the messages are gone. Now and then a click right after
    an answer does not land (the chat input still has focus); a person would click again."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        await page.get_by_role("button", name="Ny konversation").click()
        try:
            await page.get_by_test_id("stChatMessage").first.wait_for(
                state="detached", timeout=10_000
            )
            return
        except PlaywrightTimeout:
            tally.retried_clicks += 1
    raise KunskapsguideError("Knappen Ny konversation tömde inte chatten.")


async def sample_rss(pid: int, samples: list[tuple[float, float]], t0: float) -> None:
    while True:
        samples.append((round(time.monotonic() - t0, 1), tree_rss_mb(pid)))
        await asyncio.sleep(1)


async def drive(url: str, pid: int, sessions: int, duration_s: float,
                progress: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    from playwright.async_api import async_playwright

    t0 = time.monotonic()
    samples: list[tuple[float, float]] = []
    sampler = asyncio.create_task(sample_rss(pid, samples, t0))
    rss_before_model = tree_rss_mb(pid)
    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            progress("Laddar modell och index (första sessionen) …")
            first = await open_chat(browser, url, MODEL_LOAD_TIMEOUT_MS)
            first_page_s = time.monotonic() - t0
            warm_ms, problem = await ask(first[1], *QUESTIONS[0])
            if warm_ms is None or problem:
                raise KunskapsguideError(f"Uppvärmningsfrågan misslyckades ({problem}).")
            progress(f"Öppnar {sessions} sessioner …")
            opened = [first] + list(
                await asyncio.gather(
                    *(open_chat(browser, url, 60_000) for _ in range(sessions - 1))
                )
            )
            await new_conversation(opened[0][1], tally)
            rss_start = tree_rss_mb(pid)
            progress(f"Kör {sessions} sessioner samtidigt i {duration_s:.0f} s …")
            started = time.monotonic()
            window_start = started - t0
            await asyncio.gather(
                *(session(n, pg, started + duration_s, tally) for n, (_, pg) in enumerate(opened))
            )
            elapsed = time.monotonic() - started
            rss_end = tree_rss_mb(pid)
            for context, _ in opened:
                await context.close()
        finally:
            await browser.close()
            sampler.cancel()
    window = [mb for t, mb in samples if t >= window_start] + [rss_start, rss_end]
    answers = [tally.per_session.get(n, 0) for n in range(sessions)]
    return {
        "elapsed_s": round(elapsed, 1),
        "questions_answered": len(tally.latencies_ms),
        "answers_per_session": {"min": min(answers), "max": max(answers)},
        "errors": sum(tally.errors.values()),
        "error_kinds": tally.errors,
        "retried_clicks": tally.retried_clicks,
        "latency": latency_summary(tally.latencies_ms),
        "warmup": {"first_page_s": round(first_page_s, 1), "first_answer_ms": round(warm_ms)},
        "rss_mb": {
            "before_model": rss_before_model,
            "start": rss_start,
            "peak": max(window),
            "end": rss_end,
        },
        "rss_samples": [[t, mb] for t, mb in samples],
    }


def run_sessions_bench(settings: Settings, out: Path, sessions: int = 8, duration_s: float = 60,
                       progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:  # fmt: skip
    if sessions < 1 or duration_s <= 0:
        raise ConfigError("Ange minst en session och en tid över 0 sekunder.")
    if not CHROMIUM.exists():
        raise ConfigError(f"{CHROMIUM} saknas: installera Debians chromium (`make browser-deps`).")
    if not settings.chroma_dir.exists():
        raise EmptyIndexError(f"Inget index i {settings.data_dir}: kör `kunskapsguide ingest`.")
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "streamlit.log"
        progress("Startar appen …")
        with streamlit_app(settings, log) as (url, pid):
            measured = asyncio.run(drive(url, pid, sessions, duration_s, progress))
    results: dict[str, Any] = {
        "sessions": sessions,
        "duration_s": duration_s,
        "mode": settings.mode,
        **measured,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "load_average_1m": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def summary(r: dict[str, Any]) -> str:
    """A few lines in Swedish for the terminal."""
    lat, rss = r["latency"], r["rss_mb"]

    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v:.0f} ms"

    errors = f"{r['errors']} fel" + (f" {r['error_kinds']}" if r["error_kinds"] else "")
    if r.get("retried_clicks"):
        errors += f", {r['retried_clicks']} klick på Ny konversation fick göras om"
    return "\n".join([
        f"{r['sessions']} samtidiga sessioner i {r['elapsed_s']} s ({r['machine']['cores']} kärnor):",
        f"  {r['questions_answered']} besvarade frågor, {errors}",
        f"  svarstid p50 {ms(lat['p50_ms'])}, p95 {ms(lat['p95_ms'])}, max {ms(lat['max_ms'])}",
        f"  minne (RSS) start {rss['start']} MB, topp {rss['peak']} MB, slut {rss['end']} MB",
    ])  # fmt: skip
