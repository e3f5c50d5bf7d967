"""The layer map of docs/architecture.md holds: import-linter's contracts (.importlinter) are
kept, no project module takes part in an import cycle, no module passes 300 lines without
saying why, and no class name means two different things in two apps. `make lint` runs the
same contracts; the suite keeps them too (a second or two)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest
from importlinter.application.use_cases import lint_imports
from importlinter.configuration import configure

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "moderation", "alerts", "comments", "partners", "reports", "outages", "common")


def test_every_layer_contract_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # import-linter finds the project's packages from there
    configure()  # what its command line does first
    assert lint_imports(config_filename=".importlinter", cache_dir=None, no_logo=True)


def test_no_project_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*APPS, cache_dir=None)
    cycles = [group for group in _strongly_connected(graph) if len(group) > 1]
    assert cycles == []


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components of the module import graph (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
            elif child in on_stack:
                low[module] = min(low[module], index[child])
    return found


def test_no_module_passes_300_lines_without_saying_why() -> None:
    """Split a module by domain once it passes ~300 lines, or say why in its docstring."""
    long = []
    for package in (*APPS, "bench", "tests"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            if source.count("\n") > 300:
                docstring = ast.get_docstring(ast.parse(source)) or ""
                if "Over 300 lines:" not in docstring:
                    long.append(str(path.relative_to(ROOT)))
    assert long == []


# Django's own conventions: every management command is a Command, every migration a Migration.
CONVENTIONAL = {"Command", "Migration", "Meta"}


def test_no_class_name_means_two_things_in_two_apps() -> None:
    """One name, one thing: a model and a dataclass never share a name across the project."""
    where: dict[str, set[str]] = {}
    for package in APPS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ClassDef) and node.name not in CONVENTIONAL:
                    where.setdefault(node.name, set()).add(str(path.relative_to(ROOT)))
    assert {name: sorted(paths) for name, paths in where.items() if len(paths) > 1} == {}


def test_the_detection_library_may_import_no_other_module_of_outages() -> None:
    """The purity contract names outages' other modules one by one (import-linter has no
    "all but"): a module added to outages must be added to it."""
    root = Path(__file__).resolve().parent.parent
    text = (root / ".importlinter").read_text()
    contract = text.split("[importlinter:contract:detection-pure]")[1].split("[importlinter:")[0]
    forbidden = {line.strip() for line in contract.splitlines()}
    modules = {
        f"outages.{path.stem}"
        for path in (root / "outages").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
        and not path.name.startswith("__")
        and path.stem != "detection"
    }
    assert modules - forbidden == set()
