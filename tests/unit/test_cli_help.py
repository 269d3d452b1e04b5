"""``exifq --help`` and every ``exifq COMMAND --help`` are written for people: each command
has a summary, a description and an example; every flag and argument says what it does;
no reStructuredText or Markdown markup; the exit statuses are listed."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from exifq.cli import build_parser, main
from exifq.cli.report import EXIT_CODES


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def summaries() -> dict[str, str]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {choice.dest: choice.help for choice in action._choices_actions}


def help_text(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return out.getvalue()


COMMANDS = sorted(commands())


def test_the_commands_are_all_listed_with_a_summary():
    assert {"dev", "api", "worker", "beat", "extract", "strip", "hash", "dedupe"} <= set(COMMANDS)
    for name, summary in summaries().items():
        assert summary and len(summary) > 15, name
    top = help_text()
    for name in COMMANDS:
        assert f"    {name} " in top


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_a_description_and_an_example(name):
    parser = commands()[name]
    assert parser.description and len(parser.description.split()) >= 12, name
    assert parser.epilog and "examples:\n  exifq" in parser.epilog
    text = help_text(name)
    assert parser.description.split("\n")[0] in text
    assert "examples:" in text


@pytest.mark.parametrize("name", COMMANDS)
def test_every_flag_and_argument_says_what_it_does(name):
    for action in commands()[name]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)


@pytest.mark.parametrize("argv", [(), *((name,) for name in COMMANDS)])
def test_no_markup_in_help(argv):
    text = help_text(*argv)
    assert "``" not in text and "`" not in text and ":mod:" not in text and "**" not in text


def test_the_exit_statuses_are_documented():
    for argv in [(), ("extract",), ("strip",), ("hash",), ("dedupe",)]:
        text = help_text(*argv)
        assert "exit status:" in text
        for code, meaning in EXIT_CODES.items():
            assert f"  {code:<4} {meaning}" in text


def test_a_flag_that_turns_an_option_off_says_so():
    text = help_text("extract")
    assert "--no-pixels           do not compute pHash" in text
