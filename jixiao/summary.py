"""The summary of an export: counts gathered while the records stream past, written as
Markdown (``summary.md``) and as four bar charts (``summary.png``, matplotlib Agg)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemas.version import EXPORT_SCHEMA_VERSION


@dataclass
class Summary:
    """Counts gathered while exporting (what ``summary.md`` and ``summary.png`` show)."""

    batch: str | None = None
    documents: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    jobs: dict[str, int] = field(default_factory=dict)
    records: int = 0
    grades: Counter[str] = field(default_factory=Counter)
    review: Counter[str] = field(default_factory=Counter)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    code_records: Counter[str] = field(default_factory=Counter)
    dept_records: Counter[str] = field(default_factory=Counter)
    dept_flagged: Counter[str] = field(default_factory=Counter)
    dept_errors: Counter[str] = field(default_factory=Counter)
    dept_warnings: Counter[str] = field(default_factory=Counter)
    excel_dropped: dict[str, int] = field(default_factory=dict)

    def add(self, row: Any) -> None:
        d = row.data
        self.records += 1
        self.grades[d.get("grade") or "(none)"] += 1
        self.review[row.review_status] += 1
        for code in row.finding_codes or []:
            self.code_records[code] += 1
        for f in d.get("findings") or []:
            self.codes[(f.get("code", "?"), f.get("severity", "?"))] += 1
        dept = d.get("department") or "(none)"
        self.dept_records[dept] += 1
        if row.n_errors or row.n_warnings:
            self.dept_flagged[dept] += 1
        self.dept_errors[dept] += row.n_errors
        self.dept_warnings[dept] += row.n_warnings

    def top_departments(self, n: int = 10) -> list[str]:
        anomalies = {k: self.dept_errors[k] + self.dept_warnings[k] for k in self.dept_records}
        ranked = sorted(anomalies, key=lambda k: (-anomalies[k], -self.dept_flagged[k], k))
        return [k for k in ranked if anomalies[k]][:n]


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return out or ["(none)"]


def summary_markdown(s: Summary) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# jixiao summary",
        "",
        f"schema_version: {EXPORT_SCHEMA_VERSION} · generated {when}"
        + (f" · batch `{_md(s.batch)}`" if s.batch else " · whole store"),
        "",
        f"{sum(s.documents.values())} documents, {sum(s.pages.values())} pages, "
        f"{s.records} records.",
        "",
        "## Documents by status",
        "",
        *_table(
            ["status", "documents", "pages"],
            [[k, s.documents[k], s.pages[k]] for k in sorted(s.documents)],
        ),
    ]
    if s.jobs:
        lines += [
            "",
            "## Jobs by state (the batch ledger)",
            "",
            *_table(["state", "jobs"], [[k, v] for k, v in s.jobs.items() if v]),
        ]
    lines += _record_sections(s)
    if s.excel_dropped:
        lines += [
            "",
            "**results.xlsx is incomplete** (a sheet holds at most 1,048,575 rows): "
            + ", ".join(f"{k}: {v} rows left out" for k, v in s.excel_dropped.items())
            + "; the CSV and Parquet files have every row.",
        ]
    return "\n".join(lines) + "\n"


def _record_sections(s: Summary) -> list[str]:
    """The sections about records: by grade, by review status, findings by code, the
    departments with the most anomalies."""
    return [
        "",
        "## Records by grade",
        "",
        *_table(["grade", "records"], [[k, v] for k, v in sorted(s.grades.items())]),
        "",
        "## Records by review status",
        "",
        *_table(["review status", "records"], [[k, v] for k, v in sorted(s.review.items())]),
        "",
        "## Findings by code",
        "",
        *_table(
            ["code", "severity", "findings", "records"],
            [
                [code, sev, n, s.code_records[code]]
                for (code, sev), n in sorted(s.codes.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        ),
        "",
        "## Top departments by anomalies",
        "",
        "Anomalies are error and warning findings.",
        "",
        *_table(
            ["department", "records", "records with anomalies", "errors", "warnings"],
            [
                [d, s.dept_records[d], s.dept_flagged[d], s.dept_errors[d], s.dept_warnings[d]]
                for d in s.top_departments()
            ],
        ),
    ]


def _cjk_font() -> str | None:
    """A font with Chinese glyphs for the chart: PyMuPDF's bundled Droid Sans Fallback,
    written once to the cache folder. None if it cannot be had (labels then lack glyphs)."""
    try:
        from matplotlib import font_manager

        from jixiao.settings import load_settings

        path = load_settings().cache_dir / "fonts" / "DroidSansFallback.ttf"
        if not path.is_file():
            import pymupdf

            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(pymupdf.Font("china-s").buffer)
            tmp.replace(path)
        font_manager.fontManager.addfont(str(path))
        return str(font_manager.FontProperties(fname=str(path)).get_name())
    except Exception:
        return None


def summary_chart(s: Summary, path: Path) -> None:
    """Four bar charts: documents by status, records by grade, findings by code, top
    departments by anomalies."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    cjk = _cjk_font()
    family = ["DejaVu Sans", *([cjk] if cjk else [])]
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig = Figure(figsize=(13, 9), dpi=100)
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, 2)

        def bars(ax: Any, data: list[tuple[str, int]], title: str, horizontal: bool) -> None:
            ax.set_title(title)
            if not data:
                ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
                return
            labels = [k for k, _ in data]
            values = [v for _, v in data]
            axis = ax.xaxis if horizontal else ax.yaxis
            axis.set_major_locator(MaxNLocator(integer=True))
            if horizontal:
                ax.barh(labels[::-1], values[::-1], color="#c0504d")
            else:
                ax.bar(labels, values, color="#4f81bd")
                for i, v in enumerate(values):
                    ax.text(i, v, str(v), ha="center", va="bottom")

        bars(axes[0][0], sorted(s.documents.items()), "Documents by status", False)
        bars(axes[0][1], sorted(s.grades.items()), "Records by grade", False)
        codes: Counter[str] = Counter()
        for (code, _sev), n in s.codes.items():
            codes[code] += n
        bars(axes[1][0], codes.most_common(12), "Findings by code", True)
        depts = [
            (d[:18] + ("…" if len(d) > 18 else ""), s.dept_errors[d] + s.dept_warnings[d])
            for d in s.top_departments()
        ]
        bars(axes[1][1], depts, "Top departments by anomalies (errors + warnings)", True)
        fig.suptitle(f"jixiao summary (schema_version {EXPORT_SCHEMA_VERSION})")
        fig.tight_layout()
        fig.savefig(
            str(path),
            format="png",
            metadata={"Description": f"schema_version={EXPORT_SCHEMA_VERSION}"},
        )
