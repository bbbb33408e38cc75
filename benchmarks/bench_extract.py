"""Throughput and memory of ``extract_document`` on the golden digital PDFs.

Prints pages/s, seconds per page, records/s and peak memory (peak RSS from
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` and the ``tracemalloc`` peak of Python
allocations) beside the targets (≥ 10 pages/s on digital PDFs, < 300 MB peak), then compares
``Page.find_tables`` with ``use_layout=False`` (ruling lines, the default) and
``use_layout=True`` (PyMuPDF's layout model, ``JIXIAO_TABLE_LAYOUT_MODEL=1``) on the same
pages, and the whole extraction in both modes.

Every measurement runs in a fresh subprocess, so each peak RSS belongs to one measurement
(interpreter and imports included; the RSS after imports is printed as the baseline). Timed
runs do not trace allocations: ``tracemalloc`` slows Python down, so its peak comes from one
extra run of its own. Benchmarks print figures; they never assert timings.

    python benchmarks/bench_extract.py [--golden DIR] [--runs N] [--layout-runs N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from _common import (
    DEFAULT_GOLDEN,
    digital_pdfs,
    machine,
    measure,
    peak_rss_mb,
    repo_on_path,
    seconds_stats,
)

TARGET_PAGES_PER_S = 10.0
TARGET_PEAK_MB = 300.0


# ---------------------------------------------------------------------------------------------
# Child side: one measurement per process, result as one JSON line on stdout.


def _child_extract(pdfs: list[Path], layout: bool, trace: bool) -> dict[str, Any]:
    repo_on_path()
    t_import = time.perf_counter()
    from extractor.pipeline import extract_document
    from jixiao.settings import Settings

    import_seconds = time.perf_counter() - t_import

    settings = Settings(table_layout_model=layout)
    base = peak_rss_mb()
    if trace:
        tracemalloc.start()
    pages = records = 0
    statuses: dict[str, str] = {}
    per_doc: dict[str, float] = {}
    t0 = time.perf_counter()
    for pdf in pdfs:
        r = extract_document(pdf, settings.extract_options())
        pages += r.page_count
        records += len(r.records)
        statuses[pdf.name] = r.status.value
        per_doc[pdf.name] = round(r.seconds, 4)
    seconds = time.perf_counter() - t0
    py_peak = None
    if trace:
        py_peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return {
        "seconds": seconds,
        "pages": pages,
        "records": records,
        "statuses": statuses,
        "seconds_per_document": per_doc,
        "import_seconds": import_seconds,
        "rss_baseline_mb": base,
        "rss_peak_mb": peak_rss_mb(),
        "tracemalloc_peak_mb": py_peak,
    }


def _child_tables(pdfs: list[Path], layout: bool) -> dict[str, Any]:
    """``find_tables`` alone, called as ingestion calls it (same virtual closing borders)."""
    repo_on_path()
    import pymupdf

    from extractor.ingest.pdf import _closing_lines
    from extractor.ingest.pdf_tables import page_rulings

    base = peak_rss_mb()
    first = pymupdf.open(pdfs[0])
    t0 = time.perf_counter()  # the first call loads the layout model: timed on its own
    first[0].find_tables(use_layout=layout)
    warmup = time.perf_counter() - t0
    first.close()
    pages = tables = cells = 0
    seconds = 0.0
    for pdf in pdfs:
        doc = pymupdf.open(pdf)
        for i in range(doc.page_count):
            page = doc[i]
            extra = _closing_lines(*page_rulings(page)) or None
            t0 = time.perf_counter()
            found = page.find_tables(use_layout=layout, add_lines=extra)
            seconds += time.perf_counter() - t0
            pages += 1
            tables += len(found.tables)
            cells += sum(sum(1 for c in t.cells if c is not None) for t in found.tables)
        doc.close()
    return {
        "seconds": seconds,
        "warmup_seconds": warmup,
        "pages": pages,
        "tables": tables,
        "cells": cells,
        "rss_baseline_mb": base,
        "rss_peak_mb": peak_rss_mb(),
    }


def _child_main(spec: dict[str, Any]) -> None:
    pdfs = [Path(p) for p in spec["pdfs"]]
    if spec["mode"] == "extract":
        out = _child_extract(pdfs, spec["layout"], spec["trace"])
    else:
        out = _child_tables(pdfs, spec["layout"])
    sys.stdout.write(json.dumps(out) + "\n")


# ---------------------------------------------------------------------------------------------
# Parent side: runs the children, summarises, prints.


def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    return measure(__file__, spec, {"JIXIAO_TABLE_LAYOUT_MODEL": "1" if spec["layout"] else "0"})


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    stats = seconds_stats(runs)
    med = stats["seconds_median"]
    pages = runs[0]["pages"]
    out: dict[str, Any] = {
        "runs": len(runs),
        "pages": pages,
        **stats,
        "pages_per_s": pages / med if med else None,
        "seconds_per_page": med / pages if pages else None,
        "rss_baseline_mb": max(r["rss_baseline_mb"] for r in runs),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
    }
    if "records" in runs[0]:
        out["import_seconds_median"] = statistics.median(r["import_seconds"] for r in runs)
        out["records"] = runs[0]["records"]
        out["records_per_s"] = runs[0]["records"] / med if med else None
    if "tables" in runs[0]:
        out["tables"] = runs[0]["tables"]
        out["cells"] = runs[0]["cells"]
        out["warmup_seconds_median"] = statistics.median(r["warmup_seconds"] for r in runs)
    return out


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _golden_pdfs(golden: Path) -> list[Path]:
    pdfs = digital_pdfs(golden)
    if not pdfs:
        raise SystemExit(f"no digital PDFs (*.pdf, not *.scan.pdf) in {golden}")
    return pdfs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="folder of golden PDFs")
    ap.add_argument("--runs", "-n", type=int, default=3, help="runs per measurement (default 3)")
    ap.add_argument(
        "--layout-runs",
        type=int,
        default=1,
        help="runs of the whole extraction with the layout model (slow; default 1, 0 skips)",
    )
    ap.add_argument("--no-layout", action="store_true", help="skip every layout-model figure")
    ap.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the figures")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        _child_main(json.loads(args.child))
        return
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    pdfs = _golden_pdfs(args.golden.resolve())
    names = [p.name for p in pdfs]
    files = [str(p) for p in pdfs]
    print(f"golden digital PDFs: {len(pdfs)} in {args.golden.resolve()}: {', '.join(names)}")
    facts = machine()
    print(
        f"machine: {facts['platform']}, {facts['cpu_count']} CPUs "
        f"({facts['affinity_cpus']} usable), Python {facts['python']}, "
        f"PyMuPDF {facts['pymupdf']}"
    )

    def spec(mode: str, layout: bool, trace: bool = False) -> dict[str, Any]:
        return {"mode": mode, "layout": layout, "trace": trace, "pdfs": files}

    results: dict[str, Any] = {"machine": facts, "pdfs": names, "command": sys.argv}

    print(f"\n== extract_document, ruling lines (default), {args.runs} runs, fresh process each")
    runs = [_measure(spec("extract", False)) for _ in range(args.runs)]
    traced = _measure(spec("extract", False, trace=True))
    s = _summary(runs)
    s["tracemalloc_peak_mb"] = traced["tracemalloc_peak_mb"]
    s["rss_peak_mb_traced_run"] = traced["rss_peak_mb"]
    s["statuses"] = runs[0]["statuses"]
    results["extract"] = {"summary": s, "runs": runs, "traced_run": traced}
    peak = max(s["rss_peak_mb"], traced["rss_peak_mb"])
    print(
        f"  {s['pages']} pages, {s['records']} records; "
        f"median {s['seconds_median']:.2f} s (min {s['seconds_min']:.2f}, max {s['seconds_max']:.2f})"
    )
    print(
        f"  pages/s        {s['pages_per_s']:8.1f}   target ≥ {TARGET_PAGES_PER_S:.0f}: "
        f"{_verdict(s['pages_per_s'] >= TARGET_PAGES_PER_S)}"
    )
    print(f"  seconds/page   {s['seconds_per_page']:8.3f}")
    print(f"  records/s      {s['records_per_s']:8.1f}")
    print(
        f"  peak RSS       {s['rss_peak_mb']:8.1f} MB (after imports {s['rss_baseline_mb']:.1f} MB)"
        f"   target < {TARGET_PEAK_MB:.0f} MB: {_verdict(peak < TARGET_PEAK_MB)}"
    )
    print(f"  tracemalloc    {s['tracemalloc_peak_mb']:8.1f} MB peak of Python allocations")
    print(
        f"  imports        {s['import_seconds_median']:8.2f} s once per process "
        "(not in the figures above)"
    )
    print("  statuses: " + ", ".join(f"{k} {v}" for k, v in s["statuses"].items()))

    modes = [False] if args.no_layout else [False, True]
    print(f"\n== find_tables alone, same pages, {args.runs} runs per mode, fresh process each")
    tables: dict[str, Any] = {}
    for layout in modes:
        key = "use_layout=True" if layout else "use_layout=False"
        truns = [_measure(spec("tables", layout)) for _ in range(args.runs)]
        ts = _summary(truns)
        tables[key] = {"summary": ts, "runs": truns}
        print(
            f"  {key:17s} {ts['seconds_per_page'] * 1000:8.1f} ms/page  {ts['pages_per_s']:7.1f} pages/s"
            f"  {ts['tables']} tables, {ts['cells']} cells"
            f"  first call {ts['warmup_seconds_median']:.2f} s  peak RSS {ts['rss_peak_mb']:.0f} MB"
        )
    results["find_tables"] = tables
    if len(tables) == 2:
        a = tables["use_layout=False"]["summary"]["seconds_per_page"]
        b = tables["use_layout=True"]["summary"]["seconds_per_page"]
        print(f"  layout model is {b / a:.1f}x slower per page")

    if not args.no_layout and args.layout_runs > 0:
        print(
            f"\n== extract_document with the layout model (JIXIAO_TABLE_LAYOUT_MODEL=1), "
            f"{args.layout_runs} run(s)"
        )
        lruns = [_measure(spec("extract", True)) for _ in range(args.layout_runs)]
        ls = _summary(lruns)
        ls["statuses"] = lruns[0]["statuses"]
        results["extract_layout_model"] = {"summary": ls, "runs": lruns}
        print(
            f"  {ls['pages']} pages, {ls['records']} records; median {ls['seconds_median']:.2f} s; "
            f"{ls['pages_per_s']:.2f} pages/s, {ls['seconds_per_page']:.3f} s/page, "
            f"{ls['records_per_s']:.2f} records/s, peak RSS {ls['rss_peak_mb']:.0f} MB"
        )
        print(
            f"  targets: ≥ {TARGET_PAGES_PER_S:.0f} pages/s "
            f"{_verdict(ls['pages_per_s'] >= TARGET_PAGES_PER_S)}, "
            f"< {TARGET_PEAK_MB:.0f} MB {_verdict(ls['rss_peak_mb'] < TARGET_PEAK_MB)}"
        )
        print("  statuses: " + ", ".join(f"{k} {v}" for k, v in ls["statuses"].items()))

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
