"""Errors at the command line are Swedish sentences with exit code 1, never tracebacks
(argparse keeps 2 for a command line it cannot parse). Issue 11, item 3."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.auth import verify_password
from ui.cli import main


@pytest.fixture(autouse=True)
def no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("stdin", ["", "\n", "\r\n"], ids=["inget", "tom-rad", "crlf"])
def test_hash_password_with_an_empty_password_on_stdin_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["hash-password"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("Fel: Lösenordet får inte vara tomt.")


def test_hash_password_reads_a_piped_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Rätt lösenord åäö\n"))
    assert main(["hash-password"]) == 0
    assert verify_password("Rätt lösenord åäö", capsys.readouterr().out.strip())


def test_a_domain_error_exits_1_and_a_usage_error_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    assert main(["eval", "calibrate", "--dataset", str(tmp_path / "finns-inte.jsonl")]) == 1
    assert capsys.readouterr().err.startswith("Fel: ")
    with pytest.raises(SystemExit) as info:
        main(["ask"])
    assert info.value.code == 2


def test_calibrate_without_unanswerable_questions_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = tmp_path / "frågor.jsonl"
    dataset.write_text(
        '{"id": "a", "question": "Vad är sekretess?", "category": "factual", '
        '"reference_answer": "x", "gold_sources": ["kunskapsguiden/uppdrag-och-ansvar.txt"], '
        '"gold_quotes": ["x"]}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    assert main(["eval", "calibrate", "--dataset", str(dataset)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Fel: Kalibreringen behöver både besvarbara och obesvarbara frågor")
