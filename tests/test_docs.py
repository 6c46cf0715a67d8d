"""The README stays true: its commands, settings and the CI command match the code."""

import re
from dataclasses import fields
from pathlib import Path

from ftm_graph.cli import build_parser
from ftm_graph.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices)


def test_every_command_is_in_the_readme():
    for name in subcommands():
        assert f"`ftm-graph {name}" in README, name


def test_every_setting_is_in_the_readme():
    for f in fields(Settings):
        assert f"FTM_GRAPH_{f.name.upper()}" in README, f.name


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_second():
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", setup, flags=re.S)
    commands = [line for block in blocks for line in block.splitlines() if line and not line.startswith("#")]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "ftm-graph demo" in demo and "pip install -q ." in demo
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci.splitlines()


def test_every_option_has_help():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    for name, sub in action.choices.items():
        for option in sub._actions:
            if option.dest != "help":
                assert option.help, f"{name} {option.dest}"
