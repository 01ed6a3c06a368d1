"""The web app as a child process: the command `kunskapsguide ui` runs, and the same app on a
free loopback port for the browser tests and the session benchmark."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from core.errors import KunskapsguideError
from core.settings import ROOT, Settings, child_environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


APP = ROOT / "ui" / "app.py"  # the app script, by path: core never imports ui


def streamlit_command(address: str, port: int) -> list[str]:
    """`streamlit run ui/app.py` bound to `address`, headless, usage statistics off."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


@contextmanager
def streamlit_app(
    settings: Settings, log: Path, extra_env: Mapping[str, str] | None = None, seconds: float = 60
) -> Iterator[tuple[str, int]]:
    """`streamlit run ui/app.py` on a free loopback port, once it answers its health check;
    yields (url, pid) and stops the app afterwards. Its output goes to `log`."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            streamlit_command("127.0.0.1", port), cwd=ROOT, env=child_environment(settings, extra=extra_env),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").splitlines()[-20:]
                raise KunskapsguideError("Streamlit startade inte:\n" + "\n".join(tail))
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
