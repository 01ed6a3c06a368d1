"""Every `kunskapsguide` command and option explains itself, and `--help` works."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from ui.cli import build_parser, main


def subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    """(command path, its parser, its help) for every subcommand, nested ones included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from subcommands(sub, (*path, name))


def all_parsers() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    parser = build_parser()
    return [((), parser)] + [(path, sub) for path, sub, _ in subcommands(parser)]


PARSERS = all_parsers()
SUBCOMMANDS = [(path, help_text) for path, _, help_text in subcommands(build_parser())]


def test_the_command_tree_includes_the_nested_eval_commands() -> None:
    paths = {path for path, _ in PARSERS}
    for expected in [
        ("ingest",),
        ("ask",),
        ("search",),
        ("chat",),
        ("ui",),
        ("sources",),
        ("hash-password",),
        ("feedback", "export"),
        ("eval", "run"),
        ("eval", "check"),
        ("eval", "gate"),
        ("eval", "calibrate"),
        ("bench",),
    ]:
        assert expected in paths


@pytest.mark.parametrize(
    ("path", "help_text"), SUBCOMMANDS, ids=[" ".join(path) for path, _ in SUBCOMMANDS]
)
def test_every_subcommand_has_help(path: tuple[str, ...], help_text: str | None) -> None:
    assert help_text and help_text.strip() and help_text != argparse.SUPPRESS, path


@pytest.mark.parametrize(
    ("path", "parser"), PARSERS, ids=[" ".join(path) or "kunskapsguide" for path, _ in PARSERS]
)
def test_every_option_and_argument_has_help(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"{' '.join(path)}: {name} saknar hjälptext"
        assert action.help != argparse.SUPPRESS, f"{' '.join(path)}: {name} är dold"


def test_main_help_exits_zero_and_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: kunskapsguide")
    assert "svar med källor om ekonomiskt bistånd" in out
    for command in ("ingest", "ask", "search", "eval", "feedback"):
        assert command in out


@pytest.mark.parametrize("argv", [["ask", "--help"], ["eval", "--help"], ["eval", "run", "--help"]])
def test_subcommand_help_exits_zero(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: kunskapsguide {' '.join(argv[:-1])}")


@pytest.mark.parametrize("argv", [[], ["okänt-kommando"], ["eval"], ["ask"]])
def test_a_missing_or_unknown_command_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: kunskapsguide" in capsys.readouterr().err
