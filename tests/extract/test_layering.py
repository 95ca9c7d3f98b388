"""`extract` never imports `tradeflow`: the arrows run tradeflow -> extract, never back."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.helpers import PROJECT_DIR

EXTRACT = PROJECT_DIR / "extract"


def imported_modules(path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names (absolute, or relative resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join([*base, node.module] if node.module else base))
            else:
                names.add(node.module)
    return names


def test_no_module_under_extract_imports_tradeflow():
    modules = sorted(EXTRACT.rglob("*.py"))
    assert len(modules) > 20  # every source, reader and the runner, not an empty glob
    offenders = {
        str(path.relative_to(PROJECT_DIR)): sorted(n for n in imported_modules(path) if n.split(".")[0] == "tradeflow")
        for path in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_ast_walk_sees_imports_of_every_form():
    probe = EXTRACT / "sources" / "base.py"
    assert {"extract.errors", "extract.http", "pydantic", "polars"} <= imported_modules(probe)


def test_importing_extract_and_every_source_loads_no_tradeflow_module():
    code = (
        "import sys, importlib\n"
        "import extract, extract.config, extract.pipeline, extract.runner\n"
        "from extract.sources import REGISTRY, source_class\n"
        "for name in REGISTRY: source_class(name)\n"
        "print(sorted(m for m in sys.modules if m == 'tradeflow' or m.startswith('tradeflow.')))\n"
        "print(len([m for m in sys.modules if m.startswith('extract.')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=True
    )
    loaded, extract_modules = out.stdout.splitlines()
    assert loaded == "[]"
    assert int(extract_modules) > 20
