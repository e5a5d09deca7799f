"""The `twin` parser: a command of twin/cli.py's own is parsed without the other packages'
commands being registered, and every command is still listed and reachable."""
import pytest

from twin.cli import OWN_COMMANDS, _command_of, build_parser, main

OTHER_COMMANDS = {"sweep", "ring", "plan", "lab"}


def _commands(parser):
    sub = next(a for a in parser._actions if a.dest == "command")  # argparse's subparsers action
    return set(sub.choices)


def test_the_full_parser_lists_every_command_and_an_own_command_needs_only_its_own():
    assert _commands(build_parser()) == OWN_COMMANDS | OTHER_COMMANDS
    for command in OWN_COMMANDS:
        assert _commands(build_parser(command)) == OWN_COMMANDS
    for command in OTHER_COMMANDS:
        assert _commands(build_parser(command)) == OWN_COMMANDS | OTHER_COMMANDS


@pytest.mark.parametrize("argv,command", [
    (["run", "s.yaml", "--seed", "3"], "run"), (["--version"], None), ([], None), (["-h"], None),
    (["lab", "up"], "lab"), (["plan", "capacity", "x.yaml"], "plan"),
])
def test_the_command_is_the_first_word_that_is_not_an_option(argv, command):
    assert _command_of(argv) == command


def test_an_own_command_parses_as_the_full_parser_parses_it():
    argv = ["run", "scenarios/helion-max.yaml", "--seed", "7", "--quiet", "--out", "/tmp/x"]
    assert vars(build_parser("run").parse_args(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [["--help"], ["lab", "--help"], ["plan", "--help"]])
def test_help_of_the_whole_and_of_another_packages_command_still_works(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "usage: twin" in out
    if argv == ["--help"]:
        assert all(c in out for c in OWN_COMMANDS | OTHER_COMMANDS)
