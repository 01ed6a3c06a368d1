"""The house's one direction: ui -> eval, assistant, ingest -> core. Nothing imports ui, and
importing a module changes nothing (issue 11, item 8)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import ROOT

PACKAGES = ("core", "ingest", "assistant", "eval", "ui")
# What each package may import of ours, besides itself.
ALLOWED = {
    "core": set(),
    "ingest": {"core"},
    "assistant": {"core"},
    "eval": {"core", "ingest", "assistant"},
    "ui": {"core", "ingest", "assistant", "eval"},
}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def our_imports(path: Path) -> set[tuple[str, int]]:
    """(package, line) of every import of one of our packages, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found |= {(n.split(".")[0], node.lineno) for n in names if n.split(".")[0] in PACKAGES}
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_lies_below_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} importerar {target}"
        for path in modules(package)
        for target, line in sorted(our_imports(path))
        if target != package and target not in ALLOWED[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_the_foundation_has_the_shared_modules() -> None:
    shared = {
        "settings", "errors", "documents", "sentences", "textnorm", "store", "embeddings",
        "localmodel", "lock", "offline",
    }  # fmt: skip
    assert shared <= {p.stem for p in modules("core")}


def test_importing_every_module_leaves_the_environment_alone() -> None:
    names = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in ("core", "ingest", "assistant", "eval")
        for path in modules(package)
    ] + ["ui.cli", "ui.render", "ui.logconfig"]
    script = (
        "import importlib, json, os, sys\n"
        "import streamlit  # sets MPLBACKEND itself when imported: not ours to judge\n"
        "before = dict(os.environ)\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "after = dict(os.environ)\n"
        "print(json.dumps(sorted(k for k in before.keys() | after.keys() "
        "if before.get(k) != after.get(k))))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, *names], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_offline_defaults_are_an_explicit_call_that_a_deployment_may_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.offline import OFFLINE_DEFAULTS, use_offline_defaults

    for name in OFFLINE_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    use_offline_defaults()
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert all(os.environ[n] == v for n, v in OFFLINE_DEFAULTS.items() if n != "HF_HUB_OFFLINE")


def test_the_app_launcher_starts_the_apps_own_script() -> None:
    from core.serve import streamlit_command

    command = streamlit_command("127.0.0.1", 8501)
    app = Path(command[command.index("run") + 1])
    assert app == ROOT / "ui" / "app.py" and app.is_file()
