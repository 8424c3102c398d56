"""The shape the tools enforce beside import-linter's contracts (pyproject.toml): no import circles
between the platform's modules, and no function-level import without a comment saying why."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

SOURCE = Path(__file__).resolve().parents[1] / "src" / "zhili"


def _product_modules(graph: grimp.ImportGraph) -> set[str]:
    return {name for name in graph.modules if ".tests" not in name and ".migrations" not in name}


def _strongly_connected(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (the graph has a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph.find_modules_directly_imported_by(root) & modules))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            if successors:
                successor = successors.pop()
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, sorted(graph.find_modules_directly_imported_by(successor) & modules)))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles_between_modules() -> None:
    graph = grimp.build_graph("zhili", exclude_type_checking_imports=True)
    modules = _product_modules(graph)
    assert len(modules) > 150
    assert _strongly_connected(graph, modules) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for name in ("zhili.a", "zhili.b", "zhili.c"):
        graph.add_module(name)
    graph.add_import(importer="zhili.a", imported="zhili.b")
    graph.add_import(importer="zhili.b", imported="zhili.a")
    graph.add_import(importer="zhili.b", imported="zhili.c")
    assert _strongly_connected(graph, {"zhili.a", "zhili.b", "zhili.c"}) == [["zhili.a", "zhili.b"]]


def _unexplained_function_level_imports(path: Path) -> list[str]:
    lines = path.read_text("utf-8").split("\n")
    found: list[str] = []

    def explained(node: ast.stmt) -> bool:
        if any("#" in lines[number] for number in range(node.lineno - 1, node.end_lineno or node.lineno)):
            return True
        above = node.lineno - 2  # the block of imports and comments directly above
        while above >= 0 and lines[above].strip().startswith(("from ", "import ", "#", ")")):
            if "#" in lines[above]:
                return True
            above -= 1
        return False

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function and not explained(child):
                found.append(f"{path.relative_to(SOURCE.parent)}:{child.lineno}: {lines[child.lineno - 1].strip()}")
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(ast.parse("\n".join(lines)), False)
    return found


def test_function_level_imports_say_why() -> None:
    files = [path for path in SOURCE.rglob("*.py") if "migrations" not in path.parts and "tests" not in path.parts]
    unexplained = [entry for path in sorted(files) for entry in _unexplained_function_level_imports(path)]
    assert unexplained == []


def test_the_function_level_import_check_finds_one(tmp_path: Path) -> None:
    module = tmp_path / "zhili" / "example.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from os import path\n    return path\n\n\ndef g():\n"
                      "    # deferred: the reason\n    from os import sep\n    return sep\n", "utf-8")
    global SOURCE
    saved, SOURCE = SOURCE, tmp_path / "zhili"
    try:
        assert _unexplained_function_level_imports(module) == ["zhili/example.py:2: from os import path"]
    finally:
        SOURCE = saved
