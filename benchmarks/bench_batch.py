"""Throughput and memory of ``jixiao batch`` on a synthetic archive of copies of the golden
digital PDFs and the bundled samples.

Builds an archive of ``--docs`` PDFs (default 200) in nested folders, a fifth of them inside
zip files. Each copy gets a different trailing PDF comment (``%jixiao copy N`` after the
last ``%%EOF``: an incremental-save tail readers ignore), so every copy has its own sha256
and counts as a distinct document (content dedupe would otherwise collapse them). Then runs
``jixiao batch`` as a fresh subprocess, each on a new SQLite store, for:

- ``--workers 1`` (extraction in the batch process),
- ``--workers 2`` (a local process pool),
- ``--scheduler tcp://…`` on a Dask ``LocalCluster`` of 2 worker processes × 1 thread,
  started by this script before the timed command,

and prints documents/s and pages/s (end to end: process start, scan and hash, extraction,
writes, exports; and the extraction phase alone: first to last document written, from the
store's timestamps), the CPU seconds used (the batch process and its workers, Dask workers
included: a figure other load on the machine does not inflate much), plus peak memory: the largest sum of RSS over the batch process, its
children and the Dask worker processes (sampled every 0.1 s with psutil; pages shared
after a fork are counted in each process), and the largest single process. Benchmarks
print figures; they never assert timings.

    python benchmarks/bench_batch.py [--golden DIR] [--docs N] [--configs 1,2,dask]
                                     [--work DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from _common import DEFAULT_GOLDEN, REPO, digital_pdfs


def sources(golden: Path) -> list[Path]:
    return digital_pdfs(golden) + sorted((REPO / "samples").glob("*.pdf"))


def build_archive(root: Path, pdfs: list[Path], n: int) -> dict[str, int]:
    """``n`` distinct PDFs: round-robin over ``pdfs``, in year/department folders, every
    fifth one inside a zip of its folder."""
    import pymupdf

    pages = {p: pymupdf.open(p).page_count for p in pdfs}
    data = {p: p.read_bytes() for p in pdfs}
    total_pages = 0
    zips: dict[Path, zipfile.ZipFile] = {}
    for i in range(n):
        src = pdfs[i % len(pdfs)]
        body = data[src] + f"\n%jixiao copy {i}\n".encode()
        folder = root / f"{2021 + i % 3}" / f"dept-{i % 7:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{src.stem}-{i:04d}.pdf"
        if i % 5 == 4:
            zp = folder / "bundle.zip"
            if zp not in zips:
                zips[zp] = zipfile.ZipFile(zp, "w", compression=zipfile.ZIP_DEFLATED)
            zips[zp].writestr(f"scans/{name}", body)
        else:
            (folder / name).write_bytes(body)
        total_pages += pages[src]
    for z in zips.values():
        z.close()
    return {"documents": n, "pages": total_pages, "zipped": sum(1 for i in range(n) if i % 5 == 4)}


class MemorySampler:
    """Peak RSS and CPU seconds over a set of process trees, sampled in a thread. CPU is
    each process's own user + system time, last value seen (minus its value at the start
    for processes that were already running, e.g. Dask workers)."""

    def __init__(self, roots: list[int], interval: float = 0.1) -> None:
        self.roots = roots
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self._cpu_start: dict[int, float] = {}
        self._cpu_last: dict[int, float] = {}
        for p in self._procs():
            try:
                t = p.cpu_times()
                self._cpu_start[p.pid] = t.user + t.system
            except psutil.Error:
                continue
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(v - self._cpu_start.get(pid, 0.0) for pid, v in self._cpu_last.items())

    def _procs(self) -> list[psutil.Process]:
        seen: dict[int, psutil.Process] = {}
        for pid in self.roots:
            try:
                p = psutil.Process(pid)
                for q in [p, *p.children(recursive=True)]:
                    seen[q.pid] = q
            except psutil.NoSuchProcess:
                continue
        return list(seen.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in self._procs():
                try:
                    rss = p.memory_info().rss
                    t = p.cpu_times()
                    self._cpu_last[p.pid] = t.user + t.system
                except psutil.Error:
                    continue
                total += rss
                self.peak_single = max(self.peak_single, rss)
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def _phase(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(db)
    try:
        n, pages, first, last, extract_s = con.execute(
            "select count(*), sum(page_count), min(created_at), max(created_at), sum(seconds) "
            "from documents"
        ).fetchone()
        states = dict(con.execute("select state, count(*) from jobs group by state").fetchall())
    finally:
        con.close()
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return {
        "documents": n,
        "pages": pages,
        "phase_seconds": span,
        "extract_seconds_sum": extract_s,
        "states": states,
    }


def run_config(
    name: str, archive: Path, work: Path, scheduler: str | None, cluster_pids: list[int]
) -> dict[str, Any]:
    out = work / f"out-{name}"
    db = work / f"{name}.db"
    cmd = [
        sys.executable,
        "-m",
        "jixiao.cli",
        "batch",
        str(archive),
        "--out",
        str(out),
        "--db",
        f"sqlite:///{db}",
        "--quiet",
    ]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    else:
        cmd += ["--workers", name]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with MemorySampler([proc.pid, *cluster_pids]) as mem:
        _stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    cpu = mem.cpu_seconds
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{name}: jixiao batch failed ({proc.returncode}):\n{stderr}")
    ph = _phase(db)
    return {
        "config": name,
        "wall_seconds": wall,
        "docs_per_s": ph["documents"] / wall,
        "pages_per_s": ph["pages"] / wall,
        "phase_docs_per_s": ph["documents"] / ph["phase_seconds"] if ph["phase_seconds"] else None,
        "phase_pages_per_s": ph["pages"] / ph["phase_seconds"] if ph["phase_seconds"] else None,
        "cpu_seconds": cpu,
        "pages_per_cpu_s": ph["pages"] / cpu if cpu else None,
        "peak_rss_total_mb": mem.peak_total / 1e6,
        "peak_rss_single_mb": mem.peak_single / 1e6,
        "load_avg_at_start": load,
        "cli_summary": stderr.strip().splitlines()[-2:] if stderr else [],
        **ph,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN)
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--configs", default="1,2,dask")
    ap.add_argument("--work", type=Path, default=None, help="keep the archive and stores here")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    pdfs = (
        sources(args.golden) if args.golden.is_dir() else sorted((REPO / "samples").glob("*.pdf"))
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="jixiao-bench-batch-"))
    archive = work / "archive"
    if archive.exists():
        shutil.rmtree(archive)
    for old in work.glob("*.db*"):
        old.unlink()
    built = build_archive(archive, pdfs, args.docs)
    print(
        f"archive: {built['documents']} PDFs ({built['zipped']} in zips), {built['pages']} pages,"
        f" from {len(pdfs)} sources; work dir {work}"
    )
    print(
        f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}"
    )

    results = []
    for name in [c.strip() for c in args.configs.split(",") if c.strip()]:
        if name == "dask":
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster:
                pids = [p.pid for p in psutil.Process().children(recursive=True)]
                res = run_config("dask", archive, work, cluster.scheduler_address, pids)
        else:
            res = run_config(name, archive, work, None, [])
        results.append(res)
        print(
            f"{res['config']:>5}: {res['documents']} docs, {res['pages']} pages in "
            f"{res['wall_seconds']:.1f} s -> {res['docs_per_s']:.2f} docs/s, "
            f"{res['pages_per_s']:.1f} pages/s end to end; extraction phase "
            f"{res['phase_docs_per_s'] or 0:.2f} docs/s, {res['phase_pages_per_s'] or 0:.1f} pages/s;"
            f" {res['cpu_seconds']:.0f} CPU s ({res['pages_per_cpu_s'] or 0:.1f} pages per CPU s);"
            f" peak RSS {res['peak_rss_total_mb']:.0f} MB total, "
            f"{res['peak_rss_single_mb']:.0f} MB largest process; load {res['load_avg_at_start']:.1f};"
            f" jobs {res['states']}"
        )
    if args.json:
        args.json.write_text(json.dumps({"archive": built, "results": results}, indent=2) + "\n")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
