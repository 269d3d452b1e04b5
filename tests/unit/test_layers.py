"""Layers point one way (README "Layout"), read from the source with ``ast``.

- ``common`` imports none of ``api``, ``worker``, ``exifq``;
- ``worker.media`` is pure: besides itself only ``common``'s leaf modules
  (errors, options, the operation declarations);
- ``api`` does not import the Celery app (``worker.app``) at module level;
- ``exifq`` (the client side) imports ``api`` and ``worker`` only inside the
  commands that launch them, never at module level;
- importing ``api`` reads no settings and builds no Celery app.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

OURS = ("api", "worker", "common", "exifq")
MEDIA_MAY_USE = ("common.errors", "common.options", "common.operations")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports (absolute)
    top_level: bool  # at module level (not inside a function)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path) -> list[Import]:
    module, tree = _module_name(path), ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found = []
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    inside = {id(n) for f in ast.walk(tree) if isinstance(f, functions) for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in OURS:
                found.append(Import(module, target, id(node) not in inside, node.lineno))
    return found


def all_imports(package: str) -> list[Import]:
    return [imp for path in sorted((REPO / package).rglob("*.py")) for imp in imports_of(path)]


def _under(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def test_common_imports_nothing_above_it():
    bad = [imp for imp in all_imports("common") if _under(imp.target, "api", "worker", "exifq")]
    assert bad == []


def test_media_is_pure():
    media = [imp for imp in all_imports("worker") if _under(imp.module, "worker.media")]
    assert media, "the walk found no imports in worker/media"
    bad = [imp for imp in media if not _under(imp.target, "worker.media", *MEDIA_MAY_USE)]
    assert bad == []


def test_media_leaf_modules_of_common_import_only_leaves():
    leaves = [
        imp
        for imp in all_imports("common")
        if _under(imp.module, *MEDIA_MAY_USE) and not _under(imp.target, *MEDIA_MAY_USE)
    ]
    assert leaves == []


def test_api_does_not_import_the_celery_app_at_module_level():
    bad = [imp for imp in all_imports("api") if _under(imp.target, "worker.app") and imp.top_level]
    assert bad == []


def test_the_client_imports_the_server_only_inside_commands():
    bad = [
        imp for imp in all_imports("exifq") if _under(imp.target, "api", "worker") and imp.top_level
    ]
    assert bad == []


@pytest.mark.parametrize(
    "code",
    [
        "import api",
        "import api; api.create_app  # the factory is there, nothing was built",
        "import worker.app, worker.tasks, worker.pipeline",
        "import exifq.cli; exifq.cli.build_parser()",
    ],
)
def test_importing_reads_no_settings(code):
    """Settings that would refuse to load (``TASK_TIME_LIMIT`` over the visibility timeout)
    break nothing at import: only building an app reads them."""
    env = {"TASK_TIME_LIMIT": "1000", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_no_hand_written_module_is_over_500_lines():
    long = {
        str(path.relative_to(REPO)): n
        for package in OURS
        for path in (REPO / package).rglob("*.py")
        if "tables" not in path.parts and (n := len(path.read_text().splitlines())) > 500
    }
    assert long == {}
