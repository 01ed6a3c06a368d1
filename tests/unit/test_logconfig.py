"""What `kunskapsguide` lets through to stderr: our warnings (and INFO with --verbose), other
libraries' only from WARNING up, whatever level they set on themselves, and no personal data
from any logger, also one that does not propagate to the root (as transformers does)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ui.cli import main

PERSONNUMMER = "19811218-9876"


@contextmanager
def fresh_process_logging() -> Iterator[None]:
    """The root logger as a new process has it (no handlers, WARNING), restored afterwards with
    the record factory and the levels of the loggers the tests touch."""
    root = logging.getLogger()
    touched = [logging.getLogger(name) for name in ("bm25s", "httpx", "assistant.test")]
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory())
    levels = [lg.level for lg in touched]
    root.handlers, root.level = [], logging.WARNING
    try:
        yield
    finally:
        root.handlers, root.level = saved[0], saved[1]
        logging.setLogRecordFactory(saved[2])
        for lg, level in zip(touched, levels, strict=True):
            lg.setLevel(level)


def run_cli_and_log(verbose: bool) -> None:
    with fresh_process_logging():
        assert main([*(["--verbose"] if verbose else []), "hash-password", "--password", "x"]) == 0
        bm25s = logging.getLogger("bm25s")
        bm25s.setLevel(logging.DEBUG)  # as bm25s does when it is imported, after main() began
        bm25s.debug("Building index from tokens")
        logging.getLogger("httpx").info("HTTP Request: GET http://localhost")
        bm25s.warning("bm25s varnar")
        logging.getLogger("assistant.test").info("vår info om %s", PERSONNUMMER)
        logging.getLogger("assistant.test").warning("vår varning om %s", PERSONNUMMER)


@pytest.mark.parametrize("verbose", [False, True])
def test_the_cli_shows_our_warnings_but_no_library_chatter(
    verbose: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli_and_log(verbose)
    err = capsys.readouterr().err
    assert "Building index" not in err and "HTTP Request" not in err
    assert "WARNING bm25s: bm25s varnar" in err
    assert "WARNING assistant.test: vår varning om [personnummer]" in err
    assert ("INFO assistant.test: vår info om [personnummer]" in err) is verbose
    assert PERSONNUMMER not in err


def test_the_cli_masks_a_logger_with_a_handler_of_its_own() -> None:
    stream = io.StringIO()
    own = logging.getLogger("test_logconfig.own_handler")  # as transformers configures its own
    own.handlers, own.propagate = [logging.StreamHandler(stream)], False
    with fresh_process_logging():
        assert main(["hash-password", "--password", "x"]) == 0
        own.warning("okänd klient %s", PERSONNUMMER)
        try:
            raise ValueError(f"okänd klient {PERSONNUMMER}")
        except ValueError:
            own.exception("misslyckades")
    assert PERSONNUMMER not in stream.getvalue()
    assert "okänd klient [personnummer]" in stream.getvalue()
