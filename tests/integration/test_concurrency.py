"""Two ingests and two readers on one embedded index at the same time, as real processes.

The index is a copy of the seed index (copying avoids embedding the corpus again) and one
document of the copied corpus gets a new paragraph, so an ingest has real work. Then, at once:
two `kunskapsguide ingest --json` and one `kunskapsguide ask --json`; a `kunskapsguide chat`
started before them plays the running app. Exactly one ingest embeds the change; the other
waits and finds nothing to do, or stops with "Indexering pågår". The readers answer (or say
clearly why not), never with a traceback, and the chat sees the new paragraph afterwards.
The index then holds exactly the chunks a clean ingest gives, each once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, child_environment
from core.store import stored_id
from ingest.manifest import discover
from ingest.pipeline import prepare_chunks
from tests.ui.conftest import indexed_copy

KUNSKAPSGUIDE = str(Path(sys.executable).with_name("kunskapsguide"))
STARTUP = 240  # seconds: several processes load the model at once on a shared, small machine
CHANGED = "kunskapsguiden/uppdrag-och-ansvar.txt"
NEW_PARAGRAPH = (
    "\n\nSekretessjouren\n\nHandläggare som är osäkra på om en uppgift får lämnas ut kan ringa "
    "sekretessjouren. Sekretessjouren svarar på frågor om sekretess och uppgiftslämnande varje "
    "vardag mellan klockan åtta och tio.\n"
)
QUESTION = "vad gäller vid sekretess?"
NEW_QUESTION = "när svarar sekretessjouren?"
LOCKED = "Indexering pågår"

# Reads the index in a fresh process (no model needed): what a clean reader finds on disk.
INSPECT = """
import json, sys
from core.offline import use_offline_defaults
use_offline_defaults()
from core.settings import Settings
from core.store import ChunkStore
store = ChunkStore.open(Settings(), sys.argv[1], int(sys.argv[2]))
print(json.dumps({
    "count": store.count(),
    "live": [c.id for c in store.live_chunks()],
    "hashes": store.live_hashes(),
}))
"""


def cli_env(settings: Settings) -> dict[str, str]:
    return child_environment(settings, extra={"PYTHONUNBUFFERED": "1"})


def lock_holders(settings: Settings) -> set[int]:
    """The processes holding the writer lock, from the kernel's table of flock locks (watching
    this way takes no lock, so it cannot change who wins)."""
    try:
        inode = (settings.data_dir / "index.lock").stat().st_ino
    except FileNotFoundError:
        return set()
    pids = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # "1: FLOCK ADVISORY WRITE <pid> <major:minor:inode> 0 EOF"
        if "->" not in fields and len(fields) >= 6 and fields[5].endswith(f":{inode}"):
            pids.add(int(fields[4]))
    return pids


class Chat:
    """`kunskapsguide chat` as a running app: a question in on stdin, the text up to the next
    prompt out."""

    PROMPT = "Du: "

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.stderr_path = cwd / "chat.stderr"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [KUNSKAPSGUIDE, "chat"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env, cwd=cwd,
        )  # fmt: skip
        self._out = bytearray()
        self._guard = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := os.read(self.proc.stdout.fileno(), 4096):
            with self._guard:
                self._out += chunk

    @property
    def text(self) -> str:
        with self._guard:
            return self._out.decode("utf-8", errors="replace")

    def wait_for_prompts(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.text.count(self.PROMPT) < n:
            assert self.proc.poll() is None, f"chat exited: {self.text}\n{self.stderr}"
            assert time.monotonic() < deadline, f"chat gave no prompt: {self.text}\n{self.stderr}"
            time.sleep(0.05)

    def ask(self, question: str, timeout: float = 120) -> str:
        n = self.text.count(self.PROMPT)
        assert self.proc.stdin is not None
        self.proc.stdin.write(question.encode() + b"\n")
        self.proc.stdin.flush()
        self.wait_for_prompts(n + 1, timeout)
        return self.text.split(self.PROMPT)[n]

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> int:
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # end of input ends the chat
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._stderr.close()
        return code


@dataclass
class Run:
    """One finished process: exit code and output."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Race:
    settings: Settings
    ingests: list[Run]
    reader: Run  # `ask --json` started together with the ingests
    chat_before: str
    chat_during: str | None  # asked while an ingest held the writer lock
    lock_held_after_answer: bool
    chat_after: str  # the new paragraph's question, after both ingests
    chat_code: int
    chat_stderr: str
    holders: list[int] = field(default_factory=list)  # who held the lock, in order seen


class Process:
    """A CLI command running in the background, its output going to files."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self._out = (cwd / f"{name}.stdout").open("w+", encoding="utf-8")
        self._err = (cwd / f"{name}.stderr").open("w+", encoding="utf-8")
        self.proc = subprocess.Popen(
            [KUNSKAPSGUIDE, *args],
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err, env=env, cwd=cwd,
        )  # fmt: skip

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def finish(self, timeout: float) -> Run:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        self._out.seek(0)
        self._err.seek(0)
        run = Run(code, self._out.read(), self._err.read())
        self._out.close()
        self._err.close()
        return run

    def stop(self) -> None:
        if self.running:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def race(
    tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings, seed_index, embedder
) -> Race:
    tmp = tmp_path_factory.mktemp("concurrency")
    settings = indexed_copy(tmp, seed_settings, embedder)
    env = cli_env(settings)
    chat = Chat(env, tmp)
    processes: dict[str, Process] = {}
    try:
        chat.wait_for_prompts(1, STARTUP)
        before = chat.ask(QUESTION)  # answered once: the app has its index loaded
        with (settings.corpus_dir / CHANGED).open("a", encoding="utf-8") as fh:
            fh.write(NEW_PARAGRAPH)
        for name, args in (
            ("ingest-1", ["ingest", "--json"]),
            ("ingest-2", ["ingest", "--json"]),
            ("reader", ["ask", QUESTION, "--json"]),
        ):
            processes[name] = Process(args, env, tmp, name)
        ingests = [processes["ingest-1"], processes["ingest-2"]]
        writers = {p.proc.pid for p in ingests}
        holders: list[int] = []
        during, held_after = None, False
        deadline = time.monotonic() + STARTUP
        while any(p.running for p in ingests):
            assert time.monotonic() < deadline, "the ingests did not finish"
            holding = lock_holders(settings) & writers
            holders += sorted(holding - set(holders[-1:]))
            if holding and during is None:
                during = chat.ask(QUESTION)
                held_after = bool(lock_holders(settings) & writers)
            time.sleep(0.02)
        runs = {name: p.finish(timeout=STARTUP) for name, p in processes.items()}
        after = chat.ask(NEW_QUESTION)
    finally:
        for p in processes.values():
            p.stop()
        chat_code = chat.close()
    return Race(
        settings=settings,
        ingests=[runs["ingest-1"], runs["ingest-2"]],
        reader=runs["reader"],
        chat_before=before,
        chat_during=during,
        lock_held_after_answer=held_after,
        chat_after=after,
        chat_code=chat_code,
        chat_stderr=chat.stderr,
        holders=holders,
    )


def test_exactly_one_ingest_does_the_work(race: Race) -> None:
    for run in race.ingests:
        assert "Traceback" not in run.stderr, run.stderr
    done = [r for r in race.ingests if r.code == 0 and r.json["embedded_chunks"]]
    assert len(done) == 1, [(r.code, r.stdout, r.stderr) for r in race.ingests]
    worker = done[0].json
    assert worker["updated"] == [CHANGED] and not worker["added"] and not worker["failed"]
    other = next(r for r in race.ingests if r is not done[0])
    if other.code == 0:  # it waited for the lock, then found the index up to date
        report = other.json
        assert report["embedded_chunks"] == 0 and not report["updated"], report
        assert CHANGED in report["skipped"] and report["chunks"] == worker["chunks"]
    else:  # it gave up waiting, and said why
        assert other.code == 1, (other.code, other.stderr)
        assert LOCKED in other.stderr, other.stderr
    assert race.holders, "no ingest was seen holding the writer lock"


def test_the_index_is_whole_afterwards(race: Race, embedder) -> None:
    settings = race.settings
    metas, problems = discover(settings.corpus_dir, settings.manifest_path)
    assert not problems
    expected: set[str] = set()
    hashes = {}
    for meta in metas:
        _, chunks = prepare_chunks(settings.corpus_dir / meta.source, meta, settings, embedder)
        expected |= {stored_id(c) for c in chunks}
        hashes[meta.doc_id] = chunks[0].content_hash
    found = subprocess.run(
        [sys.executable, "-c", INSPECT, embedder.model_id, str(embedder.dimension)],
        env=cli_env(settings), cwd=settings.data_dir, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    index = json.loads(found.stdout)
    live = index["live"]
    assert len(live) == len(set(live)), "duplicate chunk ids"
    assert set(live) == expected  # what a clean ingest of this corpus gives
    assert index["count"] == len(expected), "chunks of an old version are left"
    assert index["hashes"] == hashes


def _assert_answers_secrecy(text: str) -> None:
    assert "sekretess" in text.lower() and "Källor:" in text and CHANGED in text, text


def test_a_reader_started_with_the_ingests_answers_or_says_why(race: Race) -> None:
    reader = race.reader
    assert "Traceback" not in reader.stderr, reader.stderr
    if reader.code == 0:
        answer = reader.json
        assert not answer["refused"], answer
        assert "sekretess" in answer["answer"].lower()
        assert CHANGED in {c["source"] for c in answer["citations"]}
    else:  # a Swedish message saying what to do, from the CLI's error handling
        assert reader.code == 1, (reader.code, reader.stderr)
        assert reader.stderr.startswith("Fel: ") and LOCKED in reader.stderr, reader.stderr


def test_a_running_app_answers_during_the_ingest_and_sees_the_change_after(race: Race) -> None:
    _assert_answers_secrecy(race.chat_before)
    assert race.chat_during is not None, "the chat was not asked while the lock was held"
    assert race.lock_held_after_answer, "the ingest finished before the chat answered"
    _assert_answers_secrecy(race.chat_during)
    assert "sekretessjouren" in race.chat_after.lower(), race.chat_after
    assert CHANGED in race.chat_after
    assert race.chat_code == 0
    assert "Traceback" not in race.chat_stderr, race.chat_stderr
