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
    # the shared ground every stage imports
    ("unspin.errors", "unspin.tokens", "unspin.records", "unspin.lm", "unspin.config"),
    # the stages: discovery, repair, trace, reading inputs, worker processes
    ("unspin.known", "unspin.lexicon", "unspin.neural", "unspin.discovery",
     "unspin.discovery.sources", "unspin.discovery.shapes", "unspin.discovery.neighbours",
     "unspin.discovery.decoder", "unspin.discovery.rescore", "unspin.discovery.tagger",
     "unspin.repair", "unspin.repair.common", "unspin.repair.vocabulary",
     "unspin.repair.readings", "unspin.repair.judge", "unspin.repair.quotes",
     "unspin.repair.pastes", "unspin.repair.residue", "unspin.repair.mojibake",
     "unspin.fingerprint", "unspin.align", "unspin.inputs",
     "unspin.workers"),
    # the one analyze pipeline, the trace index, the document loaders
    ("unspin.score", "unspin.engine", "unspin.index", "unspin.loaders",
     "unspin.loaders.common", "unspin.loaders.single", "unspin.loaders.many",
     "unspin.loaders.files"),
    # the public API
    ("unspin.api", "unspin"),
    # the result row and its writers
    ("unspin.rows", "unspin.outputs", "unspin.outputs.writers", "unspin.outputs.report"),
    # screening a corpus on one machine
    ("unspin.screening",),
    # the adapters: thin wiring only
    ("unspin.cli", "unspin.serve", "unspin.spark", "unspin.__main__"),
]
LAYER = {module: depth for depth, modules in enumerate(LAYERS) for module in modules}


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
    assert sorted(set(graph()) - set(LAYER)) == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [f"{a} (layer {LAYER[a]}) imports {b} (layer {LAYER[b]})"
              for a, targets in graph().items() for b in targets
              if a in LAYER and b in LAYER and LAYER[b] > LAYER[a]]
    assert upward == []


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
