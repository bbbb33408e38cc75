"""No test module imports another: shared helpers live in ``tests/*_helpers.py`` (and the
other non-test modules of ``tests/``), so running one test file never runs, or depends on,
another's private code."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_test_modules(source: str) -> list[str]:
    """The test modules (``tests.test_*``) a module's source imports, in order."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("tests.test_")]
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            if base.startswith("tests.test_") or base.lstrip(".").startswith("test_"):
                found.append(base)
            elif base in ("tests", "."):
                found += [f"{base}.{a.name}" for a in node.names if a.name.startswith("test_")]
    return found


def test_the_guard_sees_every_form_of_import() -> None:
    source = (
        "import tests.test_a\nfrom tests.test_b import x\nfrom tests import test_c, pdfgen\n"
        "from .test_d import y\nfrom tests.synthetic_helpers import diff\nimport pytest\n"
    )
    assert imported_test_modules(source) == [
        "tests.test_a",
        "tests.test_b",
        "tests.test_c",
        ".test_d",
    ]


def test_no_test_module_imports_another() -> None:
    offenders = {
        path.name: found
        for path in sorted(TESTS.glob("test_*.py"))
        if (found := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
