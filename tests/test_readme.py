"""The README is documentation tested against code: what it names must exist."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import unspin
from unspin.cli import main

README = (Path(__file__).parents[1] / "README.md").read_text("utf-8")


def test_config_fields_named_in_readme_exist() -> None:
    fields = {f.name for f in dataclasses.fields(unspin.Config)}
    named = set(re.findall(r"Config\.(\w+)", README))
    assert named and named <= fields, named - fields


@pytest.mark.parametrize("command", sorted(set(re.findall(r"`unspin ([a-z]+) ", README))))
def test_commands_named_in_readme_have_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    assert "usage:" in capsys.readouterr().out


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


@pytest.mark.parametrize("name", sorted({name.rstrip(".") for name in
                                         re.findall(r"\bunspin(?:\.\w+)+", README)}))
def test_dotted_names_in_readme_resolve(name: str) -> None:
    """Every `unspin.x.y` the README names is a module, or an attribute of one."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as error:
            if error.name and not name.startswith(error.name):
                raise  # a missing dependency, not a missing module of ours
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return
    pytest.fail(f"{name} names no module")


def test_the_layer_diagram_names_every_module() -> None:
    """The README's module-layer diagram matches the tree: every package folder as
    `name/`, every module by name (a package's `__init__` by its folder)."""
    diagram = README.split("**Module layers.**")[1].split("```")[1]
    words = set(re.findall(r"[\w.]+/?", diagram))
    root = Path(__file__).parents[1] / "src" / "unspin"
    missing = []
    for path in sorted(root.rglob("*.py")):
        folders, stem = path.relative_to(root).parts[:-1], path.stem
        named = ([f"{folder}/" for folder in folders]
                 + ([] if stem == "__init__" else [path.name if not folders else stem]))
        missing += [name for name in named if name not in words
                    and name.removesuffix(".py") not in words]
    assert sorted(set(missing)) == []


COMMAND_ROWS = re.findall(r"^\| `unspin ([a-z]+(?: build| add)?) ([^`]*)` \|", README, re.M)


@pytest.mark.parametrize(("command", "usage"), COMMAND_ROWS, ids=[c for c, _ in COMMAND_ROWS])
def test_the_flags_of_the_commands_table_exist(
        command: str, usage: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every option the README's Commands table shows is one `unspin COMMAND --help` has."""
    assert main([*command.split(), "--help"]) == 0
    shown = capsys.readouterr().out
    flags = set(re.findall(r"--[a-z][a-z-]*", usage))
    assert {flag for flag in flags if flag not in shown} == set()


def test_the_commands_table_has_every_command() -> None:
    assert sorted(command for command, _ in COMMAND_ROWS) == [
        "check", "extract", "index add", "index build", "learn", "repair", "restore", "screen",
        "serve", "trace"]
