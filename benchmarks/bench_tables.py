"""Tables without rules: the table-extraction libraries against our grid, on the messy set.

On every digital PDF of the folder (``NAME.pdf`` with ``NAME.golden.json``, not
``*.scan.pdf``), each method (ours: the cells of ``extractor.ingest.pdf.ingest``; PyMuPDF
``find_tables(strategy="text")`` without and with its layout model; pdfplumber's text
strategy; camelot stream; img2table borderless; pymupdf4llm's markdown tables) gives its
tables, and the answer key says how well their cells carry the values (``_table_metrics``):
the share of key values that are one whole cell (overall, per group, per indicator field),
the key's indicator rows kept together in one table row, the values cut at a column edge or
split over two rows, and pages/s (one timed run over all pages after a warm-up on one page,
extraction only). Each method runs in a fresh process of its own. A library that is not
installed (``pip install -e '.[bench]'``) is skipped with a note. Prints figures; never
asserts.

    python benchmarks/bench_tables.py [--golden DIR] [--methods a,b] [--verbose] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, machine, measure, peak_rss_mb, repo_on_path
from _table_methods import BY_NAME, METHODS
from _table_metrics import GROUPS, combine, score_document, share

DEFAULT_MESSY = REPO.parent / "shared" / "golden" / "messy"
ROW_FIELDS = ("name", "target", "actual", "weight", "score", "deviation_reason")


def keyed_pdfs(folder: Path) -> list[Path]:
    """Digital PDFs with an answer key beside them, sorted."""
    return sorted(
        p
        for p in folder.glob("*.pdf")
        if not p.name.endswith(".scan.pdf") and p.with_suffix(".golden.json").exists()
    )


# ---------------------------------------------------------------------------------------------
# Child side: one method in a fresh process; its tables and seconds as one JSON line.


def _first_page(pdf: Path, folder: Path) -> Path:
    import pymupdf

    out = folder / "warmup.pdf"
    with pymupdf.open(pdf) as doc:
        doc.select([0])
        doc.save(out)
    return out


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    repo_on_path()
    import pymupdf

    method = BY_NAME[spec["mode"]]
    pdfs = [Path(p) for p in spec["pdfs"]]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        method.run(_first_page(pdfs[0], Path(tmp)))  # imports, models, caches
        warmup = time.perf_counter() - t0
    tables: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    pages: dict[str, int] = {}
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            pages[pdf.name] = doc.page_count
        t0, c0 = time.perf_counter(), time.process_time()
        tables[pdf.name] = method.run(pdf)
        seconds[pdf.name] = time.perf_counter() - t0
        cpu[pdf.name] = time.process_time() - c0
    return {
        "warmup_seconds": warmup,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "pages": pages,
        "tables": tables,
        "rss_peak_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------------------------------------
# Parent side: runs each method, scores its tables against the keys, prints.


def _run_method(name: str, pdfs: list[Path]) -> dict[str, Any] | None:
    spec = {"mode": name, "pdfs": [str(p) for p in pdfs]}
    try:
        return measure(__file__, spec, {})
    except SystemExit as e:  # a library that fails must not hide the others' figures
        tail = str(e).strip().splitlines()[-3:]
        print(f"  note: {name} FAILED, no figures: " + " | ".join(tail))
        return None


def _score(run: dict[str, Any], pdfs: list[Path]) -> dict[str, Any]:
    per_file = {}
    for pdf in pdfs:
        records = json.loads(pdf.with_suffix(".golden.json").read_text("utf-8"))["records"]
        s = score_document(records, run["tables"][pdf.name])
        s["seconds"] = run["seconds"][pdf.name]
        s["cpu_seconds"] = run["cpu_seconds"][pdf.name]
        s["pages"] = run["pages"][pdf.name]
        per_file[pdf.name] = s
    total = combine(per_file.values())
    total["pages_per_s"] = total["pages"] / total["seconds"] if total["seconds"] else None
    cpu = total["cpu_seconds"]
    total["pages_per_cpu_s"] = total["pages"] / cpu if cpu else None
    total["warmup_seconds"] = run["warmup_seconds"]
    total["rss_peak_mb"] = run["rss_peak_mb"]
    return {"total": total, "per_file": per_file}


def _pct(n: float, hits: float) -> str:
    s = share(n, hits)
    return "   -" if s is None else f"{100 * s:5.1f}"


def _print_table(scored: dict[str, dict[str, Any]]) -> None:
    head = [
        "method",
        "whole",
        "distinct",
        *GROUPS,
        "rows",
        "cut",
        "split",
        "pages/s",
        "p/CPU s",
        "tables",
        "MB",
    ]
    print("  " + " | ".join(head))
    for name, sc in scored.items():
        t = sc["total"]
        cols = [
            f"{BY_NAME[name].label:42s}",
            _pct(t["values"], t["whole"]),
            _pct(t["distinct"], t["distinct_whole"]),
            *(_pct(*t["groups"][g]) for g in GROUPS),
            f"{_pct(t['rows'], t['together'])} ({t['together']}/{t['rows']})",
            f"{t['cut']:4d}",
            f"{t['split']:4d}",
            f"{t['pages_per_s']:7.2f}",
            f"{t['pages_per_cpu_s']:7.2f}",
            f"{t['tables']:4d}",
            f"{t['rss_peak_mb']:4.0f}",
        ]
        print("  " + " | ".join(cols))


def _print_fields(scored: dict[str, dict[str, Any]]) -> None:
    print("\n  indicator fields: whole cell anywhere / in the row that holds the name (%)")
    print("  " + " | ".join(["method".ljust(42), *(f"{f:>13s}" for f in ROW_FIELDS)]))
    for name, sc in scored.items():
        t = sc["total"]
        cols = [f"{BY_NAME[name].label:42s}"]
        for f in ROW_FIELDS:
            anywhere = _pct(*t["fields"].get(f, [0, 0]))
            in_row = _pct(*t["row_fields"].get(f, [0, 0]))
            cols.append(f"{anywhere} / {in_row}")
        print("  " + " | ".join(cols))


def _print_files(scored: dict[str, dict[str, Any]], pdfs: list[Path]) -> None:
    for pdf in pdfs:
        print(f"\n  {pdf.name}")
        for name, sc in scored.items():
            s = sc["per_file"][pdf.name]
            print(
                f"    {BY_NAME[name].label:42s} whole {_pct(s['values'], s['whole'])} % "
                f"of {s['values']}, rows {s['together']}/{s['rows']}, cut {s['cut']}, "
                f"split {s['split']}, {s['tables']} tables, {s['cells']} cells, "
                f"{s['pages'] / s['seconds']:.2f} pages/s"
            )


def _legend(n_values: int, n_rows: int, pages: int) -> None:
    print(
        f"\n  whole: share of the {n_values} key values that are one whole cell (NFKC, no"
        " whitespace); distinct: share of the distinct values of each document\n"
        "  that some cell holds whole (however often the key needs it); header … indicators:"
        " the whole-cell share per group;\n"
        f"  rows: key indicator rows ({n_rows}) with name and target whole in one table row;\n"
        "  cut: values read across a column edge (a | b), split: across two rows;\n"
        f"  pages/s: {pages} pages, one timed run after a one-page warm-up (wall time);"
        " p/CPU s: pages per CPU second\n  of the method's process (all its threads), less"
        " moved by other load; MB: peak RSS of the method's process"
    )


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--golden", type=Path, default=DEFAULT_MESSY, help="folder of keyed PDFs")
    ap.add_argument(
        "--methods", default=",".join(m.name for m in METHODS), help="comma-separated names"
    )
    ap.add_argument("--verbose", "-v", action="store_true", help="per-file figures")
    ap.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the figures")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    unknown = set(args.methods.split(",")) - set(BY_NAME)
    if unknown:
        ap.error(f"unknown methods {sorted(unknown)}; known: {', '.join(BY_NAME)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.child is not None:
        out = _child(json.loads(args.child))
        sys.stdout.write("\n" + json.dumps(out, ensure_ascii=False) + "\n")
        return
    pdfs = keyed_pdfs(args.golden.resolve())
    if not pdfs:
        raise SystemExit(f"no digital PDFs with a NAME.golden.json key in {args.golden}")
    facts = machine()
    print(f"keyed digital PDFs: {len(pdfs)} in {args.golden.resolve()}")
    print(f"machine: {facts['platform']}, {facts['cpu_count']} CPUs, Python {facts['python']}")
    scored: dict[str, dict[str, Any]] = {}
    for name in args.methods.split(","):
        method = BY_NAME[name]
        if method.missing():
            print(
                f"  note: {name} skipped: {method.module} is not importable (pip install "
                f"{method.package}, or pip install -e '.[bench]')"
            )
            continue
        print(f"  measuring {name} …", flush=True)
        run = _run_method(name, pdfs)
        if run is not None:
            scored[name] = _score(run, pdfs)
    if not scored:
        raise SystemExit("no method could be measured")
    print()
    _print_table(scored)
    _print_fields(scored)
    first = next(iter(scored.values()))["total"]
    _legend(first["values"], first["rows"], first["pages"])
    if args.verbose:
        _print_files(scored, pdfs)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {"machine": facts, "command": sys.argv, "pdfs": [p.name for p in pdfs]}
        data["methods"] = scored
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
