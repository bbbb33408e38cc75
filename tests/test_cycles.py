"""The CI import-cycle check (``.ci/cycles.py``): it finds a cycle between packages or
sub-packages, prints it, and fails; a graph without one passes."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "ci_cycles", Path(__file__).resolve().parents[1] / ".ci" / "cycles.py"
)
assert SPEC is not None and SPEC.loader is not None
cycles = importlib.util.module_from_spec(SPEC)
sys.modules["ci_cycles"] = cycles
SPEC.loader.exec_module(cycles)


def test_a_cycle_between_two_packages_is_printed_and_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    imports = [("a.x", "b.y"), ("b.y", "a.z"), ("a.z", "c")]
    assert cycles.check(imports, split=()) == 1
    out = capsys.readouterr().out
    assert "cycle: a -> b -> a" in out
    assert "a -> b: a.x -> b.y" in out and "b -> a: b.y -> a.z" in out
    assert "c ->" not in out  # c is on no cycle


def test_a_graph_without_a_cycle_passes(capsys: pytest.CaptureFixture[str]) -> None:
    imports = [("a.x", "b.y"), ("b.y", "c"), ("a.z", "c"), ("a.x", "a.z"), ("a.z", "a.x")]
    assert cycles.check(imports, split=()) == 0  # a.x <-> a.z is inside one package
    assert "cycle:" not in capsys.readouterr().out


def test_a_cycle_between_sub_packages_of_a_split_package_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    imports = [("p.one.m", "p.two"), ("p.two", "p.three.k"), ("p.three.k", "p.one"), ("q", "p")]
    assert cycles.check(imports, split=("p",)) == 1
    out = capsys.readouterr().out
    assert "== packages: 2 nodes, 1 edges, no cycle" in out
    assert "cycle: p.one -> p.two -> p.three -> p.one" in out


def test_cycles_are_reported_once_each_from_their_smallest_node() -> None:
    graph = {"b": {"c"}, "c": {"a", "d"}, "a": {"b"}, "d": {"d2"}, "d2": {"d"}, "e": {"a"}}
    assert cycles.components(graph) == [["a", "b", "c"], ["d", "d2"]]
    assert cycles.cycles(graph) == [["a", "b", "c", "a"], ["d", "d2", "d"]]


def test_the_project_graph_is_read_with_grimp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "cyca/__init__.py": "",
        "cyca/low.py": "X = 1\n",
        "cyca/high.py": "import cycb.mid\n",
        "cycb/__init__.py": "",
        "cycb/mid.py": "def f():\n    from cyca import low  # an import inside a function counts\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    imports = cycles.project_imports(("cyca", "cycb"))
    assert ("cyca.high", "cycb.mid") in imports and ("cycb.mid", "cyca.low") in imports
    assert cycles.check(imports, split=()) == 1
    assert "cycle: cyca -> cycb -> cyca" in capsys.readouterr().out
    # split, the sub-packages have no cycle (high -> mid -> low); the packages still do
    assert cycles.check(imports, split=("cyca", "cycb")) == 1
    out = capsys.readouterr().out.split("== sub-packages")[1]
    assert "no cycle" in out
