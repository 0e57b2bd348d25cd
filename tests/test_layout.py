"""The package's import graph: no circles, and no module imports a layer above its own.

Every `import unspin...` / `from unspin... import` in `src/unspin` counts, at module
level or inside a function (a lazy import is still a dependency), and so do imports
under `TYPE_CHECKING`. A new module must be given a layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"

LAYERS: list[tuple[str, ...]] = [
    # the shared ground every stage imports: records, config, tokens, errors, the 3-gram LM
    ("unspin.core",),
    # the stages, independent of each other: finding tortured phrases, undoing mechanical
    # damage, tracing sources, reading documents and writing result rows
    ("unspin.discovery", "unspin.repair", "unspin.trace", "unspin.io"),
    # the one analyze pipeline over the stages
    ("unspin.pipeline",),
    # the public functions check, restore, repair
    ("unspin.api",),
    # screening a corpus, locally or on Spark, with the one per-document function
    ("unspin.screening",),
    # the package's face: unspin.check, unspin.Index, ...
    ("unspin",),
    # the adapters: thin wiring only
    ("unspin.cli", "unspin.serve", "unspin.spark", "unspin.__main__"),
]
"""Each module's layer is that of the longest entry it is, or lies inside (`unspin` itself
is the package's `__init__` only: a new top-level module needs its own entry)."""
LAYER = {name: depth for depth, names in enumerate(LAYERS) for name in names}
INDEPENDENT = LAYERS[1]
"""Packages of one layer that must not import each other."""


def layer_of(module: str) -> str | None:
    """The entry of `LAYERS` that `module` is or lies inside (the longest), or None."""
    found = [name for name in LAYER if module == name
             or (name != "unspin" and module.startswith(name + "."))]
    return max(found, key=len, default=None)


def module_name(path: Path) -> str:
    """`src/unspin/discovery/tagger.py` -> `unspin.discovery.tagger`."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules `path` imports (for `from a import b`, `a.b` where that is a
    module, else `a`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module not in modules:
                continue
            subs = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(subs & modules or {node.module})
    return found


def graph() -> dict[str, set[str]]:
    """Each package module and the package modules it imports, itself left out."""
    paths = {module_name(p): p for p in (SRC / "unspin").rglob("*.py")}
    modules = set(paths)
    return {name: imports(path, modules) - {name} for name, path in paths.items()}


def test_every_module_has_a_layer() -> None:
    assert sorted(module for module in graph() if layer_of(module) is None) == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = []
    for a, targets in graph().items():
        for b in targets:
            la, lb = layer_of(a), layer_of(b)
            if la and lb and LAYER[lb] > LAYER[la]:
                upward.append(f"{a} ({la}, layer {LAYER[la]}) imports {b} ({lb}, "
                              f"layer {LAYER[lb]})")
    assert upward == []


def test_the_stages_do_not_import_each_other() -> None:
    crossing = [f"{a} imports {b}" for a, targets in graph().items() for b in targets
                if layer_of(a) in INDEPENDENT and layer_of(b) in INDEPENDENT
                and layer_of(a) != layer_of(b)]
    assert crossing == []


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_the_checks_see_a_cycle(tmp_path: Path) -> None:
    """The graph reader finds both kinds of import, lazy ones too."""
    (tmp_path / "a.py").write_text("from unspin import b\n", "utf-8")
    (tmp_path / "b.py").write_text("def f():\n    import unspin.a\n", "utf-8")
    modules = {"unspin.a", "unspin.b", "unspin"}
    assert imports(tmp_path / "a.py", modules) == {"unspin.b"}
    assert imports(tmp_path / "b.py", modules) == {"unspin.a"}


def test_the_public_api_is_on_the_package() -> None:
    """The names the README promises, from `unspin` itself; the heavy ones load lazily."""
    import subprocess
    import sys

    import unspin
    from unspin.screening import screen_corpus
    from unspin.trace.index import Index

    assert set(unspin.__all__) >= {"check", "restore", "repair", "Index", "screen_corpus",
                                   "Config", "Report", "Finding", "InputError"}
    assert unspin.Index is Index and unspin.screen_corpus is screen_corpus
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, unspin; print(sorted(m for m in sys.modules "
         "if m.startswith(('unspin.trace', 'unspin.screening'))))"],
        capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
