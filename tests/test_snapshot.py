"""The byte-for-byte comparison of two extraction snapshots (``.ci/snapshot.py``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "ci_snapshot", Path(__file__).resolve().parents[1] / ".ci" / "snapshot.py"
)
assert SPEC is not None and SPEC.loader is not None
snapshot = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(snapshot)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_identical_snapshots_pass_and_any_difference_fails(tmp_path: Path) -> None:
    old = _tree(tmp_path / "old", {"a/x.json": '{"v": 1}', "a/y.golden.json": "{}"})
    same = _tree(tmp_path / "same", {"a/x.json": '{"v": 1}', "a/y.golden.json": "{}"})
    other = _tree(tmp_path / "other", {"a/x.json": '{"v": 2}', "a/y.golden.json": "{}"})
    missing = _tree(tmp_path / "missing", {"a/x.json": '{"v": 1}'})
    assert snapshot.compare(old, same) == 0
    assert snapshot.compare(old, other) == 1
    assert snapshot.compare(old, missing) == 1


def test_an_empty_or_crashed_snapshot_never_passes(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert snapshot.compare(empty, empty) == 1
    crash = json.dumps({snapshot.CRASH: 1, "stderr": "ModuleNotFoundError"})
    old = _tree(tmp_path / "old", {"a/x.json": crash})
    new = _tree(tmp_path / "new", {"a/x.json": crash})
    assert snapshot.compare(old, new) == 1
