"""Write what `jixiao extract` prints for every PDF of the given folders, for a byte-for-byte
comparison of two revisions (issue 13: "every golden figure identical before and after").

    python .ci/snapshot.py OUT ../shared/golden ../shared/golden/messy ../shared/golden/wild
    python .ci/snapshot.py --compare OLD NEW

Each PDF gives OUT/<folder>/<name>.golden.json (the FORMAT.md shape) and <name>.json (the full
result, less its timing). Both are re-serialised with sorted keys, so only the layout of the
JSON may differ between revisions, never a value.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

VOLATILE = ("seconds",)


CRASH = "jixiao_extract_crashed"


def _extract(pdf: Path, fmt: str) -> str:
    done = subprocess.run(
        ["jixiao", "extract", str(pdf), "--format", fmt, "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.strip():
        return json.dumps({CRASH: done.returncode, "stderr": done.stderr[-400:]})
    data = json.loads(done.stdout)
    if isinstance(data, dict):
        for key in VOLATILE:
            data.pop(key, None)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)


def snapshot(out: Path, folders: list[Path]) -> int:
    count, crashed = 0, []
    for folder in folders:
        target = out / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for pdf in sorted(folder.glob("*.pdf")):
            for fmt, suffix in (("golden", ".golden.json"), ("json", ".json")):
                text = _extract(pdf, fmt)
                (target / (pdf.stem + suffix)).write_text(text, encoding="utf-8")
                if CRASH in text:
                    crashed.append(f"{folder.name}/{pdf.name} ({fmt})")
            count += 1
            print(f"{folder.name}/{pdf.name}", flush=True)
    print(f"{count} PDFs written under {out}")
    for name in crashed:
        print(f"jixiao extract printed nothing for {name}: not a snapshot of it")
    return 1 if crashed else 0


def compare(old: Path, new: Path) -> int:
    names = sorted({p.relative_to(old) for p in old.rglob("*.json")})
    changed = [
        n
        for n in names
        if not (new / n).exists() or (new / n).read_bytes() != (old / n).read_bytes()
    ]
    crashed = [n for n in names if CRASH.encode() in (old / n).read_bytes()]
    for name in crashed:
        print(f"not a snapshot (extract crashed): {old / name}")
    for name in changed:
        print(f"differs: {name}")
    print(f"{len(names) - len(changed)} of {len(names)} outputs identical")
    return 1 if changed or crashed or not names else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    if len(args.paths) < 2:
        parser.error("give OUT and at least one folder of PDFs")
    return snapshot(args.paths[0], args.paths[1:])


if __name__ == "__main__":
    sys.exit(main())
