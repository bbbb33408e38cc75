"""Peak memory per process of ``jixiao batch`` over a zip of large members.

Builds one zip (stored, so every member is inside ``JIXIAO_ZIP_MAX_RATIO``) of ``--members``
PDFs of ``--member-mb`` MB each (default 6 × 190 MB, under the 200 MB member limit): the
bundled sample form with an incompressible embedded file, each copy made distinct by a
trailing comment. Runs ``jixiao batch --workers N`` on it as a fresh subprocess and samples
every process of its tree every 0.05 s (psutil RSS), then prints the peak of each process
by role (the batch process, the forkserver, each pool worker), the largest sum, and the
wall time. Members go to workers as spooled temporary files (``jixiao/batch/spool.py``):
the batch process never holds a member, so its peak should not grow with member size.
Benchmarks print figures; they never assert.

    python benchmarks/bench_zip_members.py [--members 6] [--member-mb 190] [--workers 2]
                                           [--work DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import psutil
from _common import REPO, machine


def big_pdf(dst: Path, mb: float) -> None:
    """The sample form with ``mb`` MB of random bytes as an embedded file (valid PDF)."""
    import pymupdf

    doc = pymupdf.open(REPO / "samples" / "sample-self-eval.pdf")
    doc.embfile_add("padding.bin", os.urandom(int(mb * 1024 * 1024)))
    doc.save(dst)
    doc.close()


def build(work: Path, members: int, mb: float) -> Path:
    archive = work / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    one = work / "big.pdf"
    big_pdf(one, mb - 0.2)
    with zipfile.ZipFile(archive / "large-members.zip", "w", zipfile.ZIP_STORED) as z:
        for i in range(members):
            with one.open("rb") as src, z.open(f"scans/form-{i}.pdf", "w", force_zip64=True) as f:
                shutil.copyfileobj(src, f, 4 * 1024 * 1024)
                f.write(f"\n%copy {i}\n".encode())
    one.unlink()
    return archive


class PerProcess:
    """Peak RSS of every process in a tree, by pid, sampled in a thread."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        self.root, self.interval = root, interval
        self.peak: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.peak_total = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _role(self, p: psutil.Process) -> str:
        if p.pid == self.root:
            return "batch process"
        cmd = " ".join(p.cmdline())
        if "resource_tracker" in cmd:
            return "resource tracker"
        if p.ppid() == self.root:  # the forkserver; pool workers are forked from it
            return "forkserver" if "forkserver" in cmd else "child"
        return "pool worker"

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                root = psutil.Process(self.root)
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                procs = []
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    self.names.setdefault(p.pid, self._role(p))
                except psutil.Error:
                    continue
                total += rss
                self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PerProcess:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def run(archive: Path, work: Path, workers: int) -> dict[str, Any]:
    db = work / "bench.db"
    cmd = [sys.executable, "-m", "jixiao.cli", "batch", str(archive), "--out", str(work / "out")]
    cmd += ["--db", f"sqlite:///{db}", "--workers", str(workers), "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")}
    env["PYTHONPATH"] = str(REPO)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    with PerProcess(proc.pid) as mem:
        _out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"jixiao batch failed ({proc.returncode}):\n{err}")
    per = sorted(
        ({"pid": pid, "role": mem.names.get(pid, "?"), "peak_rss_mb": rss / 1e6}
         for pid, rss in mem.peak.items()),
        key=lambda r: (r["role"], -r["peak_rss_mb"]),
    )  # fmt: skip
    return {
        "workers": workers,
        "wall_seconds": wall,
        "processes": per,
        "peak_rss_total_mb": mem.peak_total / 1e6,
        "cli_summary": err.strip().splitlines()[-2:],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--members", type=int, default=6)
    ap.add_argument("--member-mb", type=float, default=190.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="jixiao-bench-zip-"))
    try:
        archive = build(work, args.members, args.member_mb)
        size = sum(p.stat().st_size for p in archive.rglob("*.zip")) / 1e6
        print(f"archive: one zip of {args.members} members × {args.member_mb:g} MB ({size:.0f} MB)")
        res = run(archive, work, args.workers)
        print(f"jixiao batch --workers {args.workers}: {res['wall_seconds']:.1f} s")
        for p in res["processes"]:
            print(f"  {p['role']:>13} (pid {p['pid']}): peak RSS {p['peak_rss_mb']:.0f} MB")
        print(f"  largest sum over the tree: {res['peak_rss_total_mb']:.0f} MB")
        print("  " + " / ".join(res["cli_summary"]))
        if args.json:
            payload = {"machine": machine(), "members": args.members, "member_mb": args.member_mb}
            args.json.write_text(json.dumps({**payload, **res}, indent=2) + "\n")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
