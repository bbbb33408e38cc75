"""Sizes of the code: the largest modules, the longest functions, the deepest nesting.

Prints the 10 largest of each over the packages. The limits (issue 13) hold in
``extractor/``, ``schemas/`` and ``jixiao/``: a module of at most 500 lines, a function of at
most 60 lines (``end_lineno - lineno + 1``), compound statements (if/for/while/with/try/
match) nested at most 4 deep in a function (an ``elif`` is not a level; a nested function is
measured on its own). ``evals/`` and ``ui/`` are shown for information. ``--check`` exits 1
when a limit is exceeded; ``!`` marks each figure over its limit.

    python .ci/sizes.py [--check] [--top N]
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("extractor", "schemas", "jixiao")
SHOWN = ("evals", "ui")
MAX_MODULE, MAX_FUNCTION, MAX_NESTING = 500, 60, 4

COMPOUND = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(frozen=True)
class Figure:
    value: int
    where: str  # module path, or path:line name
    limit: int
    checked: bool

    @property
    def over(self) -> bool:
        return self.checked and self.value > self.limit


def nesting(node: ast.AST, depth: int = 0) -> int:
    """The deepest nesting of compound statements under ``node`` (not into nested scopes)."""
    deepest = depth
    for child in ast.iter_child_nodes(node):
        if isinstance(child, SCOPES):
            continue
        level = depth
        if isinstance(child, COMPOUND) and not _is_elif(node, child):
            level = depth + 1
        deepest = max(deepest, nesting(child, level))
    return deepest


def _is_elif(parent: ast.AST, child: ast.AST) -> bool:
    return (
        isinstance(parent, ast.If)
        and isinstance(child, ast.If)
        and parent.orelse == [child]
        and child.col_offset == parent.col_offset
    )


def measure(packages: tuple[str, ...]) -> tuple[list[Figure], list[Figure], list[Figure]]:
    modules: list[Figure] = []
    functions: list[Figure] = []
    nestings: list[Figure] = []
    for package in packages:
        checked = package in CHECKED
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            modules.append(Figure(len(text.splitlines()), rel, MAX_MODULE, checked))
            for node in ast.walk(ast.parse(text, rel)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    where = f"{rel}:{node.lineno} {node.name}"
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    functions.append(Figure(length, where, MAX_FUNCTION, checked))
                    nestings.append(Figure(nesting(node), where, MAX_NESTING, checked))
    return modules, functions, nestings


def report(title: str, figures: list[Figure], top: int) -> int:
    """Print the ``top`` largest figures; return how many are over their limit."""
    print(f"== {title}")
    for f in sorted(figures, key=lambda f: (-f.value, f.where))[:top]:
        print(f"  {f.value:5d}{'!' if f.over else ' '} {f.where}")
    return sum(f.over for f in figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a limit is exceeded")
    parser.add_argument("--top", type=int, default=10, help="how many of each to print")
    args = parser.parse_args(argv)
    modules, functions, nestings = measure(CHECKED + SHOWN)
    scope = f"limits in {', '.join(p + '/' for p in CHECKED)}; {', '.join(SHOWN)} shown only"
    over = {
        f"modules over {MAX_MODULE} lines": report(
            f"largest modules (lines; {scope})", modules, args.top
        ),
        f"functions over {MAX_FUNCTION} lines": report(
            f"longest functions (lines; limit {MAX_FUNCTION})", functions, args.top
        ),
        f"functions nested over {MAX_NESTING}": report(
            f"deepest nesting of compound statements (limit {MAX_NESTING})", nestings, args.top
        ),
    }
    print("over the limits: " + ", ".join(f"{n} {what}" for what, n in over.items()))
    return 1 if args.check and any(over.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
