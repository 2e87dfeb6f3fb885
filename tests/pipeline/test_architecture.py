"""The folders read as the pipeline: imports point only to the same or an earlier stage, never in a circle.

Walked from the source (every import, including those inside functions and under TYPE_CHECKING), so
a shortcut taken for speed or typing shows here as well. Sizes are bounded so that no module or class
grows back into the one that held four concerns.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from paths import ROOT_DIR

ENGINE = ROOT_DIR / "engine"
DOCS = ROOT_DIR / "docs" / "architecture.md"

#: The pipeline, earliest first. Root modules any stage may use sit at 0; lint runs read..findings.
STAGES = ("read", "model", "knowledge", "evaluation", "findings", "outputs", "commands")
ROOT_RANK = {"errors": 0, "resources": 0, "files": 0, "places": 0, "__init__": 0, "lint": 5.5, "__main__": 8}
MAX_MODULE_LINES = 800
MAX_CLASS_LINES = 250


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(["interlock", *parts])


def rank(module: str) -> float:
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    if parts[1] in STAGES:
        return 1 + STAGES.index(parts[1])
    return ROOT_RANK[parts[1]]


MODULES = {module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    """The Interlock modules ``path`` imports (a name imported from a package counts as its module if it is one)."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "interlock")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
            if base.split(".")[0] != "interlock":
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != "interlock"}


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_every_module_belongs_to_a_stage_or_is_a_known_root_module() -> None:
    for name in MODULES:
        parts = name.split(".")
        assert len(parts) == 1 or parts[1] in STAGES or parts[1] in ROOT_RANK, f"{name}: not in a stage folder"


def test_imports_point_to_the_same_or_an_earlier_stage() -> None:
    upward = [f"{a} -> {b}" for a, targets in GRAPH.items() for b in sorted(targets) if rank(b) > rank(a)]
    assert upward == []


def test_no_import_circle() -> None:
    """Depth-first search for a back edge; the circle found is printed whole."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if target == module or target.startswith(module + "."):
                continue  # a package importing its own modules is not a circle
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (circle := visit(target)):
                return circle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state:
            circle = visit(module)
            assert circle is None, " -> ".join(circle or ())


def test_no_module_or_class_is_too_long() -> None:
    too_long = []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_long.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert too_long == []


#: Folders `make setup` writes into engine/ (git ignores them): named on the page whether or not they exist yet.
GENERATED = {"prebuilt/"}


def test_the_architecture_page_names_every_stage_and_module() -> None:
    """docs/architecture.md names every folder and module of engine/ (in backticks), and nothing that is gone."""
    page = DOCS.read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w]+\.py|[\w]+/)`", page))
    modules = {p.name for p in ENGINE.rglob("*.py") if p.name != "__init__.py"} | {"__init__.py"}
    folders = {f"{p.name}/" for p in ENGINE.rglob("*") if p.is_dir() and p.name != "__pycache__"} | GENERATED
    assert sorted((modules | folders) - named - {"__init__.py"}) == [], "not named on the architecture page"
    assert sorted(n for n in named if n not in modules | folders and not n.startswith(("rules", "reports", "tests"))) == []
