"""Renamed-label eval: does hybrid read forms whose labels the catalogue does not know?

The golden dev forms (``../shared/golden``) are redrawn by the test PDF generator with every
label replaced by a synonym the catalogue does not contain (``evals/renamed.py``: the list
lives there, never in the catalogue). Layout then loses most fields; hybrid, with the model
endpoint of the settings (the embedded one by default), must recover them. The script runs
``jixiao eval --compare --modes layout,hybrid`` on that set with a cold answer cache, then
again with the warm one, and prints per field group: layout, hybrid, the share of the cells
layout lost that hybrid recovered, model calls, tokens, seconds per record, and the calls of
the rerun. ``--sets DIR ...`` runs the same comparison on real golden folders (hybrid must
never be below layout there).

    python benchmarks/bench_renamed_labels.py [--check] [--sets ../shared/golden ...]

``--check`` exits 1 unless: recovery >= 80 %, no ungrounded value, no record worse than
layout, every question answered, and the rerun made no model call (on every set).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import DEFAULT_GOLDEN, REPO, repo_on_path

RECOVERY_BAR = 0.80


def _regenerate(golden: Path, out: Path) -> None:
    repo_on_path()
    from evals.renamed import known_synonyms, regenerate
    from tests.pdfrename import draw_renamed

    if known_synonyms():
        sys.exit(f"the catalogue knows synonyms of the renamed set: {known_synonyms()}")
    regenerate(sorted(golden.glob("*.golden.json")), out, draw_renamed)


def _compare(folder: Path, out: Path, env: dict[str, str]) -> dict[str, Any]:
    cmd = ["jixiao", "eval", str(folder), "--compare", "--modes", "layout,hybrid", "-q",
           "--json", str(out)]  # fmt: skip
    subprocess.run(cmd, env=env, cwd=REPO, check=False, stdout=subprocess.DEVNULL)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _cells(report: dict[str, Any]) -> tuple[int, int]:
    groups = report["groups"].values()
    return sum(g["correct"] for g in groups), sum(g["total"] for g in groups)


def summarise(name: str, cold: dict[str, Any], warm: dict[str, Any]) -> dict[str, Any]:
    lay, hyb = cold["modes"]["layout"], cold["modes"]["hybrid"]
    (lc, total), (hc, _) = _cells(lay["report"]), _cells(hyb["report"])
    records = hyb["report"]["expected_records"] or 1
    return {
        "set": name,
        "layout": lc / total if total else None,
        "hybrid": hc / total if total else None,
        "recovered": (hc - lc) / (total - lc) if total > lc else None,
        "groups": {
            g: (lay["report"]["groups"][g]["accuracy"], v["accuracy"])
            for g, v in hyb["report"]["groups"].items()
        },
        "model_calls": hyb["model_calls"],
        "questions": hyb["questions"],
        "failed_questions": hyb["failed_questions"],
        "tokens": (hyb["prompt_tokens"], hyb["completion_tokens"]),
        "model_seconds_per_record": hyb["model_seconds"] / records,
        "calls_per_record": hyb["model_calls"] / records,
        "rerun_calls": warm["modes"]["hybrid"]["model_calls"],
        "failures": cold["failures"],
    }


def _print(s: dict[str, Any]) -> None:
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.1%}"

    print(f"== {s['set']}")
    for g, (a, b) in s["groups"].items():
        print(f"  {g:<12} layout {pct(a):>7}  hybrid {pct(b):>7}")
    print(f"  all cells    layout {pct(s['layout']):>7}  hybrid {pct(s['hybrid']):>7}  "
          f"recovered {pct(s['recovered'])} of what layout lost")  # fmt: skip
    print(f"  model: {s['model_calls']} calls ({s['calls_per_record']:.2f}/record), "
          f"{s['questions'] - s['failed_questions']}/{s['questions']} questions answered, "
          f"tokens in/out {s['tokens'][0]}/{s['tokens'][1]}, "
          f"{s['model_seconds_per_record']:.2f} model s/record; rerun: {s['rerun_calls']} calls")  # fmt: skip
    for f in s["failures"]:
        print(f"  FAIL {f}")


def _problems(s: dict[str, Any], renamed: bool) -> list[str]:
    out = [f"{s['set']}: {f}" for f in s["failures"]]
    if s["rerun_calls"]:
        out.append(f"{s['set']}: the rerun made {s['rerun_calls']} model calls")
    if renamed and (s["recovered"] or 0) < RECOVERY_BAR:
        out.append(f"{s['set']}: hybrid recovered {s['recovered']:.1%} < {RECOVERY_BAR:.0%}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN)
    ap.add_argument("--sets", type=Path, nargs="*", default=[])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jixiao-renamed-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "JIXIAO_CACHE_DIR": str(root / "cache")}
        _regenerate(args.golden, root / "renamed")
        for k, folder in enumerate([root / "renamed", *args.sets]):
            cold = _compare(folder, root / f"cold{k}.json", env)
            warm = _compare(folder, root / f"warm{k}.json", env)
            name = "renamed labels" if k == 0 else str(folder)
            s = summarise(name, cold, warm)
            _print(s)
            problems += _problems(s, renamed=k == 0)
    if problems:
        print("below the bars:\n  - " + "\n  - ".join(problems))
        if args.check:
            sys.exit(1)
    else:
        print("all bars met")


if __name__ == "__main__":
    main()
