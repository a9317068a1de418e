"""The layers of docs/architecture.md hold: imports point downward, checked by import-linter.

The contracts live in pyproject.toml. These tests run them on the real sources, and on a copy
with one upward import added (at module level, inside a function, under TYPE_CHECKING) to show
that the check would catch it. A further check finds imports inside functions, which only
optional dependencies may use.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "dj_sqla"
#: Optional extras, imported where they are needed so that dj_sqla runs without them.
OPTIONAL = {"pandas", "graphviz", "matplotlib", "pyarrow", "polars", "botocore"}


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_sources_keep_every_contract() -> None:
    result = lint_imports(SOURCE.parent)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "added"),
    [
        ("errors.py", "from .schemas import Schema\n"),
        ("expression/core.py", "def _late():\n    from ..execution import delete\n"),
        (
            "declare/describe.py",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from ..table import UserTable\n",
        ),
        ("connection.py", "from . import schemas\n"),
    ],
    ids=["module-level", "in-a-function", "type-checking", "connection-knows-schemas"],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, added: str) -> None:
    copy = tmp_path / "dj_sqla"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + "\n" + added)
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_no_import_inside_a_function_but_optional_extras() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [("." * node.level) + (node.module or "")]
                else:
                    continue
                if any(name.split(".")[0] not in OPTIONAL for name in names):
                    found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_every_module_says_what_it_owns() -> None:
    missing = [
        str(path.relative_to(SOURCE))
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name != "__main__.py" and not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []


def test_every_module_is_in_a_layer() -> None:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = contract["contracts"][0]["layers"]
    listed = {name.strip() for layer in layers for name in layer.split("|")}
    modules = {
        f"dj_sqla.{path.stem}"
        for path in SOURCE.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert modules - listed == set()
