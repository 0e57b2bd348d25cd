"""The README and docs/ are documentation tested against code: what they name must
exist."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import unspin
from unspin.cli import main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text("utf-8")
PAGES = {path.name: path.read_text("utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
DOCS = "\n".join([README, *PAGES.values()])
"""The README and every docs page, which the checks below read as one text."""


def test_config_fields_named_in_docs_exist() -> None:
    fields = {f.name for f in dataclasses.fields(unspin.Config)}
    named = set(re.findall(r"Config\.(\w+)", DOCS))
    assert named and named <= fields, named - fields


@pytest.mark.parametrize("command", sorted(set(re.findall(r"`unspin ([a-z]+) ", DOCS))))
def test_commands_named_in_docs_have_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    assert "usage:" in capsys.readouterr().out


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


@pytest.mark.parametrize("name", sorted({name.rstrip(".") for name in
                                         re.findall(r"\bunspin(?:\.\w+)+", DOCS)}))
def test_dotted_names_in_docs_resolve(name: str) -> None:
    """Every `unspin.x.y` the README or docs/ name is a module, or an attribute of one."""
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
    """The module-layer diagram (docs/how-it-works.md) matches the tree: every package
    folder as `name/`, every module by name (a package's `__init__` by its folder)."""
    diagram = PAGES["how-it-works.md"].split("## Module layers")[1].split("```")[1]
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


TABLES = {"README.md": README, "commands.md": PAGES["commands.md"]}
"""The two commands tables: the README's, a line each, and the reference's."""
COMMAND_ROWS = {name: re.findall(r"^\| `unspin ([a-z]+(?: build| add)?) ([^`]*)` \|", text, re.M)
                for name, text in TABLES.items()}
ALL_ROWS = [(name, *row) for name, rows in COMMAND_ROWS.items() for row in rows]


@pytest.mark.parametrize(("page", "command", "usage"), ALL_ROWS,
                         ids=[f"{page}:{c}" for page, c, _ in ALL_ROWS])
def test_the_flags_of_the_commands_tables_exist(
        page: str, command: str, usage: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every option a commands table shows is one `unspin COMMAND --help` has."""
    assert main([*command.split(), "--help"]) == 0
    shown = capsys.readouterr().out
    flags = set(re.findall(r"--[a-z][a-z-]*", usage))
    assert {flag for flag in flags if flag not in shown} == set()


@pytest.mark.parametrize("page", sorted(TABLES))
def test_the_commands_tables_have_every_command(page: str) -> None:
    assert sorted(command for command, _ in COMMAND_ROWS[page]) == [
        "check", "extract", "index add", "index build", "learn", "repair", "restore", "screen",
        "serve", "trace"]
