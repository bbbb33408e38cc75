"""Seconds per scanned page and peak memory of ``extract_document`` on the golden scans.

Measures, each in a fresh subprocess (so each peak RSS belongs to one measurement,
interpreter, imports and the OCR models included):

- ``extract``: the whole extraction of every ``NAME.scan.pdf`` with the default settings
  (RapidOCR with all cores), split into stages from the same run: rendering + deskew,
  OCR (text detection + recognition, re-reads), grid rebuilding and the rest
  (segmentation, mapping, checks); plus the time to load the models and the imports;
- ``threads=1``: the same with ``JIXIAO_OCR_THREADS=1`` (one ONNX Runtime thread);
- ``pool``: documents spread over a pool of ``--workers`` processes, one ONNX Runtime
  thread each: does a process pool beat the engine's own threads on this machine?

Benchmarks print figures; they never assert timings. Targets printed beside them come
from the issue (2-8 s per scanned page expected on 2 cores).

    python benchmarks/bench_ocr.py [--golden DIR] [--runs N] [--limit N] [--workers N]
                                   [--no-threads] [--no-pool] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from _common import DEFAULT_GOLDEN, machine, measure, peak_rss_mb, repo_on_path, seconds_stats

EXPECTED_S_PER_PAGE = (2.0, 8.0)


# ---------------------------------------------------------------------------------------
# Child side


def _child_extract(pdfs: list[Path]) -> dict[str, Any]:
    repo_on_path()
    t0 = time.perf_counter()
    import extractor.ingest.scan_grid as sg
    from extractor.ingest import ocr as ocr_mod
    from extractor.pipeline import extract_document
    from jixiao.settings import Settings

    import_seconds = time.perf_counter() - t0
    settings = Settings()
    base = peak_rss_mb()
    t0 = time.perf_counter()
    engine = ocr_mod.default_engine(settings.ocr_options())
    load_seconds = time.perf_counter() - t0

    # Stages: render + deskew; the page OCR (detection + recognition); the extra
    # recognitions (overlap merges, weak-line re-reads, ink the detector left out); the
    # grid rebuild without the extra recognitions made inside it.
    stages = {"render_deskew": 0.0, "ocr_page": 0.0, "ocr_rereads": 0.0, "grid": 0.0}
    inside_grid = [0.0]

    def timed(name: str, fn: Any) -> Any:
        def wrap(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            before = stages["ocr_rereads"]
            try:
                return fn(*a, **k)
            finally:
                stages[name] += time.perf_counter() - t
                if name == "grid":
                    inside_grid[0] += stages["ocr_rereads"] - before

        return wrap

    class Timed:
        def __call__(self, image: Any) -> Any:
            return timed("ocr_page", engine)(image)

        def recognize(self, image: Any) -> Any:
            return timed("ocr_rereads", engine.recognize)(image)

    sg.prepare_page = timed("render_deskew", sg.prepare_page)  # type: ignore[assignment]
    sg.grid_from_ocr = timed("grid", sg.grid_from_ocr)  # type: ignore[assignment]
    pages = records = 0
    statuses: dict[str, str] = {}
    per_doc: dict[str, float] = {}
    t0 = time.perf_counter()
    for pdf in pdfs:
        r = extract_document(pdf, settings.extract_options(), ocr=Timed())
        pages += r.page_count
        records += len(r.records)
        statuses[pdf.name] = r.status.value
        per_doc[pdf.name] = round(r.seconds, 3)
    seconds = time.perf_counter() - t0
    stages["grid"] -= inside_grid[0]
    return {
        "seconds": seconds,
        "pages": pages,
        "records": records,
        "statuses": statuses,
        "seconds_per_document": per_doc,
        "stages": stages,
        "import_seconds": import_seconds,
        "model_load_seconds": load_seconds,
        "rss_baseline_mb": base,
        "rss_peak_mb": peak_rss_mb(),
    }


def _pool_one(pdf: str) -> tuple[int, int, str]:
    repo_on_path()
    from extractor.pipeline import extract_document

    r = extract_document(pdf)
    return r.page_count, len(r.records), r.status.value


def _child_pool(pdfs: list[Path], workers: int) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    # Largest documents first, so the pool does not end with one long document alone.
    order = sorted(pdfs, key=lambda p: -p.stat().st_size)
    with ProcessPoolExecutor(max_workers=workers) as ex:
        out = list(ex.map(_pool_one, [str(p) for p in order]))
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "pages": sum(o[0] for o in out),
        "records": sum(o[1] for o in out),
        "statuses": {p.name: o[2] for p, o in zip(order, out, strict=True)},
        "rss_peak_mb": peak_rss_mb(),
        "rss_peak_worker_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
        "workers": workers,
    }


def _child_main(spec: dict[str, Any]) -> None:
    pdfs = [Path(p) for p in spec["pdfs"]]
    pool = spec["mode"] == "pool"
    out = _child_pool(pdfs, spec["workers"]) if pool else _child_extract(pdfs)
    sys.stdout.write(json.dumps(out) + "\n")


# ---------------------------------------------------------------------------------------
# Parent side


def _measure(spec: dict[str, Any], env_extra: dict[str, str]) -> dict[str, Any]:
    return measure(__file__, spec, env_extra)


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    stats = seconds_stats(runs)
    med = stats["seconds_median"]
    pages = runs[0]["pages"]
    return {
        "runs": len(runs),
        "pages": pages,
        "records": runs[0]["records"],
        **stats,
        "seconds_per_page": med / pages if pages else None,
        "pages_per_minute": 60 * pages / med if med else None,
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
        "statuses": runs[0]["statuses"],
    }


def _machine() -> dict[str, Any]:
    try:
        import onnxruntime

        ort = onnxruntime.__version__
    except ImportError:  # pragma: no cover
        ort = None
    return {
        **machine(),
        "onnxruntime": ort,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _print_run(label: str, s: dict[str, Any]) -> None:
    lo, hi = EXPECTED_S_PER_PAGE
    spp = s["seconds_per_page"]
    print(
        f"{label}: {spp:.2f} s/page ({s['pages_per_minute']:.1f} pages/min), "
        f"{s['pages']} pages, {s['records']} records in {s['seconds_median']:.1f} s "
        f"(median of {s['runs']}; min {s['seconds_min']:.1f}, max {s['seconds_max']:.1f}); "
        f"peak RSS {s['rss_peak_mb']:.0f} MB; expected {lo:.0f}-{hi:.0f} s/page"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN)
    ap.add_argument("--runs", "-n", type=int, default=1, help="runs per measurement (default 1)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N scans (0 = all)")
    ap.add_argument("--workers", type=int, default=2, help="process pool size (default 2)")
    ap.add_argument("--no-threads", action="store_true", help="skip the one-thread run")
    ap.add_argument("--no-pool", action="store_true", help="skip the process-pool run")
    ap.add_argument("--json", type=Path, default=None, metavar="OUT")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        _child_main(json.loads(args.child))
        return
    pdfs = sorted(args.golden.resolve().glob("*.scan.pdf"))
    if args.limit:
        pdfs = pdfs[: args.limit]
    if not pdfs:
        raise SystemExit(f"no scanned PDFs (*.scan.pdf) in {args.golden}")
    files = [str(p) for p in pdfs]
    machine = _machine()
    print(f"golden scans: {len(pdfs)}: {', '.join(p.name for p in pdfs)}")
    print(
        f"machine: {machine['platform']}, {machine['cpu_count']} CPUs "
        f"({machine['affinity_cpus']} usable), Python {machine['python']}, "
        f"PyMuPDF {machine['pymupdf']}, ONNX Runtime {machine['onnxruntime']}, "
        f"load average {machine['load_average_at_start']}"
    )
    results: dict[str, Any] = {"machine": machine, "pdfs": [p.name for p in pdfs]}

    print(f"\n== extract_document, default settings, {args.runs} run(s), fresh process each")
    runs = [_measure({"mode": "extract", "pdfs": files}, {}) for _ in range(args.runs)]
    s = _summary(runs)
    _print_run("default (all cores)", s)
    first = runs[0]
    st = first["stages"]
    total = first["seconds"]
    rest = total - sum(st.values())
    print(
        "  stages per page: "
        + ", ".join(f"{k} {v / first['pages']:.2f} s" for k, v in st.items())
        + f", rest (segment, map, check) {rest / first['pages']:.2f} s"
    )
    print(
        f"  imports {first['import_seconds']:.2f} s, model load {first['model_load_seconds']:.2f} s, "
        f"RSS after imports {first['rss_baseline_mb']:.0f} MB; statuses {s['statuses']}"
    )
    results["extract"] = {**s, "stages_first_run": st, "raw": runs}

    if not args.no_threads:
        print("\n== the same with JIXIAO_OCR_THREADS=1")
        one = [_measure({"mode": "extract", "pdfs": files}, {"JIXIAO_OCR_THREADS": "1"})]
        s1 = _summary(one)
        _print_run("one thread", s1)
        print(
            f"  default is {s1['seconds_median'] / s['seconds_median']:.2f}x faster than one thread"
        )
        results["one_thread"] = {**s1, "raw": one}

    if not args.no_pool:
        print(f"\n== process pool: {args.workers} workers, one ONNX Runtime thread each")
        spec = {"mode": "pool", "pdfs": files, "workers": args.workers}
        pool = _measure(spec, {"JIXIAO_OCR_THREADS": "1"})
        spp = pool["seconds"] / pool["pages"]
        print(
            f"pool: {spp:.2f} s/page wall ({pool['pages']} pages in {pool['seconds']:.1f} s), "
            f"peak RSS per worker {pool['rss_peak_worker_mb']:.0f} MB; "
            f"{s['seconds_median'] / pool['seconds']:.2f}x the default's throughput"
        )
        results["pool"] = pool

    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
