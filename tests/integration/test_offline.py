"""Nothing leaves the machine: a real question, end to end, in a process whose network is audited.

`kunskapsguide ask --json` runs against a copy of the seed index with `net_audit/sitecustomize.py`
loaded: every attempt through Python's socket module to reach a non-loopback address is
recorded and refused. Where strace is available the same process is also traced at the
system-call level, which sees connections made by native code (Chroma's Rust core, tokenizers)
too. A control process shows that both audits catch a real outbound attempt, so these tests
can fail. The offline settings the product runs with are checked as values, not assumed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.settings import ROOT, Settings, child_environment
from tests.conftest import make_settings
from tests.ui.conftest import indexed_copy

AUDIT_DIR = Path(__file__).with_name("net_audit")
KUNSKAPSGUIDE = str(Path(sys.executable).with_name("kunskapsguide"))
STRACE = shutil.which("strace")
QUESTION = "vad gäller vid sekretess?"
# What the product must set itself: removed from the child's environment (the test process
# has them already, from tests/conftest.py) so the child shows what the product does.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}
# The control: a web request by name, a connection to an address (TEST-NET-1, RFC 5737), one
# through the C socket type that Python's audit cannot see (as native code would connect), and a
# loopback and a Unix socket, which are allowed.
CONTROL = """
import _socket, json, socket, urllib.request
outcomes = {}
try:
    urllib.request.urlopen("http://example.com/", timeout=5)
    outcomes["url"] = "reached"
except Exception as exc:
    outcomes["url"] = type(exc).__name__
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("192.0.2.1", 9))
    outcomes["ip"] = "reached"
except OSError as exc:
    outcomes["ip"] = type(exc).__name__
raw = _socket.socket()
raw.settimeout(2)
try:
    raw.connect(("192.0.2.2", 9))
except OSError:
    pass
listener = socket.create_server(("127.0.0.1", 0))
local = socket.create_connection(listener.getsockname(), timeout=2)
outcomes["loopback"] = "reached"
unix_a, unix_b = socket.socketpair(socket.AF_UNIX)
unix_a.sendall(b"x")
outcomes["unix"] = "reached" if unix_b.recv(1) == b"x" else "no data"
print(json.dumps(outcomes))
"""
_INET = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


@dataclass
class Audited:
    code: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]]
    native: list[str] | None  # non-loopback addresses in connect/sendto calls; None: no strace
    traced: bool = False  # strace saw the program start

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]


def _native_destinations(trace: Path) -> list[str]:
    """Non-loopback IPv4/IPv6 destinations of the traced connect/sendto/sendmsg calls."""
    found = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        for v4, v6 in _INET.findall(line):
            address = v4 or v6
            if not (address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")):
                found.append(line)
    return found


def run_audited(args: list[str], env: dict[str, str], tmp: Path, name: str) -> Audited:
    log, trace = tmp / f"{name}.audit.jsonl", tmp / f"{name}.strace"
    env = {
        **{k: v for k, v in env.items() if k not in OFFLINE},
        "PYTHONPATH": os.pathsep.join([str(AUDIT_DIR), str(ROOT)]),
        "NET_AUDIT_LOG": str(log),
    }
    cmd = args
    if STRACE:
        calls = "trace=execve,connect,sendto,sendmsg"
        cmd = [STRACE, "-f", "--seccomp-bpf", "-qq", "-e", calls, "-o", str(trace), *args]
    done = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    native = _native_destinations(trace) if STRACE and trace.exists() else None
    traced = native is not None and f'execve("{args[0]}"' in trace.read_text(errors="replace")
    return Audited(done.returncode, done.stdout, done.stderr, events, native, traced)


def base_env(settings: Settings) -> dict[str, str]:
    return child_environment(settings)


@pytest.fixture(scope="module")
def question(
    tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings, seed_index, embedder
) -> Audited:
    tmp = tmp_path_factory.mktemp("offline")
    settings = indexed_copy(tmp, seed_settings, embedder)
    return run_audited(
        [KUNSKAPSGUIDE, "ask", QUESTION, "--json"], base_env(settings), tmp, "question"
    )


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    tmp = tmp_path_factory.mktemp("offline-control")
    return run_audited([sys.executable, "-c", CONTROL], dict(os.environ), tmp, "control")


def test_the_audit_catches_an_outbound_attempt(control: Audited) -> None:
    assert control.code == 0, control.stderr
    outcomes = json.loads(control.stdout)
    assert outcomes == {
        "url": "URLError",  # refused at the name lookup
        "ip": "PermissionError",
        "loopback": "reached",
        "unix": "reached",
    }
    blocked = control.of("blocked")
    assert [(e["call"], e["address"]) for e in blocked] == [
        ("create_connection", ["example.com", 80]),
        ("connect", ["192.0.2.1", 9]),
    ]
    assert not any("127.0.0.1" in str(e["address"]) for e in blocked)
    assert not any("192.0.2.2" in str(e["address"]) for e in blocked)  # native: strace's part


def test_a_question_is_answered_with_no_outbound_attempt(question: Audited) -> None:
    assert question.code == 0, question.stderr
    answer = json.loads(question.stdout)
    assert not answer["refused"] and "sekretess" in answer["answer"].lower()
    assert answer["citations"]
    armed = question.of("armed")
    assert armed, "the audit did not run in the CLI process"
    assert question.of("blocked") == [], question.of("blocked")


def test_native_code_makes_no_outbound_connection(control: Audited, question: Audited) -> None:
    if question.native is None or control.native is None:
        pytest.skip("strace is not available: only Python's sockets are audited")
    # The control's connect through the C socket type bypasses Python's audit; strace sees it.
    if not any("192.0.2.2" in line for line in control.native):
        pytest.skip("strace cannot trace processes here (ptrace not permitted)")
    assert question.traced, "strace did not trace the CLI process"
    assert question.native == []


def test_the_cli_runs_offline_with_telemetry_off(question: Audited) -> None:
    environments = [e["environment"] for e in question.of("environment")]
    assert environments, "the CLI process did not exit normally"
    cli = environments[0]
    for name, value in OFFLINE.items():
        assert cli[name] == value, (name, cli)
    assert cli["huggingface_hub.constants.HF_HUB_OFFLINE"] is True


def test_chroma_clients_send_no_telemetry(tmp_path: Path) -> None:
    from core.store import chroma_settings, make_client

    assert chroma_settings().anonymized_telemetry is False
    client = make_client(make_settings(tmp_path))
    try:
        assert client.get_settings().anonymized_telemetry is False
    finally:
        client.close()


def test_streamlit_gathers_no_usage_statistics_and_binds_to_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    # `kunskapsguide ui` passes the same options, so the app started from any folder has them.
    from ui import cli

    started: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, env: started.append(cmd) or 0)
    args = cli.build_parser().parse_args(["ui"])
    assert cli.cmd_ui(args, Settings(_env_file=None)) == 0  # type: ignore[call-arg]
    options = dict(zip(started[0][5::2], started[0][6::2], strict=True))
    assert options["--browser.gatherUsageStats"] == "false"
    assert options["--server.address"] == "127.0.0.1"
