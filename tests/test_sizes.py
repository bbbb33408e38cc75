"""The CI size report (``.ci/sizes.py``): how it measures nesting and what ``--check`` flags."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "ci_sizes", Path(__file__).resolve().parents[1] / ".ci" / "sizes.py"
)
assert SPEC is not None and SPEC.loader is not None
sizes = importlib.util.module_from_spec(SPEC)
sys.modules["ci_sizes"] = sizes  # its dataclass looks its module up
SPEC.loader.exec_module(sizes)


def _nesting(source: str) -> int:
    return int(sizes.nesting(ast.parse(textwrap.dedent(source)).body[0]))


def test_nesting_counts_compound_statements_not_elif_or_nested_functions() -> None:
    flat = """
        def f(x):
            if x:
                pass
            elif x > 1:
                pass
            elif x > 2:
                for y in x:
                    pass
    """
    assert _nesting(flat) == 2  # an elif is not a level; the for under it is
    deep = """
        def f(x):
            with x:
                try:
                    while x:
                        match x:
                            case 1:
                                if x:
                                    pass
                except Exception:
                    pass
            def inner():
                if x:
                    if x:
                        if x:
                            pass
    """
    assert _nesting(deep) == 5  # with > try > while > match > if; inner() is its own
    assert _nesting("def f():\n    return 1\n") == 0


def test_only_the_checked_packages_are_over_a_limit() -> None:
    assert sizes.Figure(61, "jixiao/x.py:1 f", 60, True).over
    assert not sizes.Figure(60, "jixiao/x.py:1 f", 60, True).over
    assert not sizes.Figure(900, "ui/x.py", 500, False).over
