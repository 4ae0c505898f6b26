"""The package's type hints hold: mypy (settings in pyproject.toml) finds no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")
ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "src", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_core_is_strictly_typed(tmp_path: Path) -> None:
    """``mypy --strict`` on the core (siting, routing, network): every function typed,
    no bare generics, no Any leaking out of a typed function."""
    core = ["src/recyclenet/siting", "src/recyclenet/routing", "src/recyclenet/network"]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *core, "--cache-dir", str(tmp_path / "c")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_core_reads_no_configuration() -> None:
    """The core (siting, routing, network, demand) takes plain data and parameter
    objects: none of its modules imports the scenario config, the input readers or the
    translations."""
    import ast

    package = ROOT / "src" / "recyclenet"
    core = [p for d in ("siting", "routing", "network") for p in (package / d).rglob("*.py")]
    core.append(package / "demand.py")
    banned = ("recyclenet.config", "recyclenet.inputs", "recyclenet.outputs.i18n")
    for path in core:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(banned), f"{path.name} imports {node.module}"


def test_no_import_cycle() -> None:
    """No module of the package imports one that imports it back, at load time or
    inside a function (imports only for type checking aside)."""
    import ast

    package = ROOT / "src"
    modules = {
        ".".join(p.relative_to(package).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (package / "recyclenet").rglob("*.py")
    }

    def imports(path: Path) -> set[str]:
        out: set[str] = set()

        def visit(node: ast.AST) -> None:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                return
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("recyclenet"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    out.add(full if full in modules else str(node.module))
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(ast.parse(path.read_text(encoding="utf-8")))
        return out & set(modules)

    graph = {m: imports(p) for m, p in modules.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return False

    cycles = [
        (a, b)
        for a in graph
        for b in graph[a]
        if a != b and not a.startswith(b + ".") and not b.startswith(a + ".") and reaches(b, a)
    ]
    assert cycles == []


def test_modules_and_functions_stay_readable() -> None:
    """No module of the package over 700 lines, no function over 120."""
    import ast

    long = []
    for path in (ROOT / "src" / "recyclenet").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 700:
            long.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 120:
                    long.append(f"{path.name}:{node.name}: {length} lines")
    assert long == []
