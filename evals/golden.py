"""Golden-set evaluation: compare extractor output with hand-made answer keys.

Pure functions, no PDF code: the extractor comes in as a callable that returns the
golden-shape records (``shared/golden/FORMAT.md``) for one PDF. The report models live in
``evals.scores``, the pass/fail bars in ``evals.bars``, rendering in ``evals.report``.

Pairing. ``NAME.golden.json`` answers both ``NAME.pdf`` (variant ``digital``) and
``NAME.scan.pdf`` (variant ``scan``); pairing is by file stem, never by the ``pdf`` key
inside the JSON.

Record detection. Per PDF, predicted records are aligned to expected records in order
(a monotone alignment that allows gaps on either side). Two records may pair when the
normalised ``project_name`` similarity or the similarity of their indicator-name
sequences reaches ``RECORD_MATCH_THRESHOLD``; among admissible alignments the one with the
highest summed similarity wins. Expected records left unpaired are *missed*, predicted
ones *invented*.

Field accuracy. Each group counts field cells; ``accuracy = correct / total``:

- ``header``, ``goals``, ``funds``, ``totals``: one cell per field the expected record's
  form type defines (the field lists of ``schemas.fields``), for every expected record. Fields
  of a missed record count as wrong. Invented records add nothing here (they are counted in
  ``invented`` and fail the bar on invented records).
- ``indicators``: within a matched record, rows are aligned in order (names compared after
  normalisation with ``difflib``; other fields break ties), so one missing row does not
  shift later rows. Denominator = (expected rows + invented rows of matched records +
  expected rows of missed records) × the fields of the form type (8 for self-evaluation,
  4 for target declaration). Unmatched expected rows and invented rows count every field
  wrong. ``indicator_fields`` splits the same counts by field name.

Comparison (``values_equal``). Null equals null and an empty string is null; when both sides
parse as plain numbers (``schemas.numbers.parse_decimal``: thousands separators and a
trailing % allowed) they compare numerically (``"25.00" == "25"``); otherwise text is
compared after ``normalise_text`` (NFKC, all whitespace removed).

Anomalies. Recall = share of expected records with non-empty ``source_anomalies`` whose
matched prediction carries at least one ``error`` or ``warning`` finding (a missed record
counts as not detected). A false alarm is a matched record whose golden lists no anomaly
but whose prediction carries an ``error`` finding. Warnings on such clean records are
counted for information only.

Mismatches. Every wrong cell of a matched row or record is listed with its path
(``funds.total.executed``, ``indicators[3].name``). A missed or invented record is listed
once (field ``<record>``), a missed indicator row once (``indicators[i]``) and an invented
one once (``indicators[pred:j]``, ``j`` = predicted index).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from evals.bars import BAR_INDICATOR_FIELDS, Bars, bars_for, check_bars
from evals.scores import (
    GROUPS,
    AnomalyReport,
    DocumentReport,
    EvalReport,
    ExtractOutcome,
    FieldScore,
    Golden,
    GoldenCase,
    Mismatch,
    MismatchKind,
    RecordPair,
    RecordRef,
    Throughput,
    Variant,
    VariantChoice,
)
from schemas.fields import (
    FUND_COLUMNS,
    FUND_ROWS,
    HEADER_FIELDS,
    SELF_EVALUATION,
    SELF_GOAL_FIELDS,
    SELF_INDICATOR_FIELDS,
    TARGET_DECLARATION,
    TARGET_FUND_KEYS,
    TARGET_GOAL_FIELDS,
    TARGET_HEADER_EXTRA,
    TARGET_INDICATOR_FIELDS,
    TOTALS_FIELDS,
)
from schemas.numbers import normalise_text, parse_decimal
from schemas.paths import get_value

__all__ = [
    "BAR_INDICATOR_FIELDS",
    "GROUPS",
    "AnomalyReport",
    "Bars",
    "DocumentReport",
    "EvalReport",
    "ExtractOutcome",
    "FieldScore",
    "GoldenCase",
    "Mismatch",
    "RecordPair",
    "RecordRef",
    "Throughput",
    "align",
    "align_indicators",
    "align_records",
    "bars_for",
    "check_bars",
    "evaluate",
    "evaluate_predictions",
    "indicator_fields_for",
    "load_golden",
    "scalar_fields",
    "values_equal",
]

RECORD_MATCH_THRESHOLD = 0.6
INDICATOR_MATCH_THRESHOLD = 0.4


# --------------------------------------------------------------------------- loading


def _stem(golden_path: Path) -> str:
    return golden_path.name[: -len(".golden.json")]


def load_golden(golden_dir: Path, variant: VariantChoice = "digital") -> list[GoldenCase]:
    """Every answer key in ``golden_dir`` paired with its PDF(s), sorted by name.

    ``digital`` pairs ``NAME.pdf``, ``scan`` pairs ``NAME.scan.pdf``, ``all`` both. A key
    without the requested PDF is left out.
    """
    variants: tuple[Variant, ...]
    if variant == "all":
        variants = ("digital", "scan")
    elif variant == "scan":
        variants = ("scan",)
    else:
        variants = ("digital",)
    cases: list[GoldenCase] = []
    for gp in sorted(Path(golden_dir).glob("*.golden.json")):
        name = _stem(gp)
        data = json.loads(gp.read_text(encoding="utf-8"))
        records = list(data.get("records") or [])
        for v in variants:
            pdf = gp.parent / (f"{name}.pdf" if v == "digital" else f"{name}.scan.pdf")
            if pdf.is_file():
                cases.append(
                    GoldenCase(name=name, pdf=pdf, variant=v, golden_path=gp, records=records)
                )
    return cases


# --------------------------------------------------------------------------- comparison


def _as_text(x: Any) -> str | None:
    if x is None:
        return None
    if isinstance(x, str):
        s = x
    elif isinstance(x, dict | list):
        s = json.dumps(x, ensure_ascii=False)
    else:
        s = str(x)
    return s if s.strip() else None


def values_equal(expected: Any, got: Any) -> bool:
    """Null == null (empty string is null); numbers numerically; text after normalisation."""
    e, g = _as_text(expected), _as_text(got)
    if e is None or g is None:
        return e is None and g is None
    de, dg = parse_decimal(e), parse_decimal(g)
    if de is not None and dg is not None:
        return de == dg
    return normalise_text(e) == normalise_text(g)


def _norm(x: Any) -> str:
    t = _as_text(x)
    return normalise_text(t) if t is not None else ""


def _ratio(a: str, b: str) -> float:
    if not a or not b:
        return 1.0 if a == b == "" else 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


# --------------------------------------------------------------------------- field lists


def _form_type(rec: Golden) -> str:
    ft = rec.get("form_type")
    if ft in (SELF_EVALUATION, TARGET_DECLARATION):
        return str(ft)
    return TARGET_DECLARATION if "goal_overall" in rec else SELF_EVALUATION


def scalar_fields(form_type: str) -> list[tuple[str, str]]:
    """``(group, path)`` for every non-indicator cell a record of this form type has."""
    out: list[tuple[str, str]] = [("header", f) for f in HEADER_FIELDS]
    if form_type == TARGET_DECLARATION:
        out += [("header", f) for f in TARGET_HEADER_EXTRA]
        out += [("goals", f) for f in TARGET_GOAL_FIELDS]
        out += [("funds", f"funds.{k}") for k in TARGET_FUND_KEYS]
    else:
        out += [("goals", f) for f in SELF_GOAL_FIELDS]
        out += [("funds", f"funds.{r}.{c}") for r in FUND_ROWS for c in FUND_COLUMNS]
        out += [("totals", f) for f in TOTALS_FIELDS]
    return out


def indicator_fields_for(form_type: str) -> tuple[str, ...]:
    return TARGET_INDICATOR_FIELDS if form_type == TARGET_DECLARATION else SELF_INDICATOR_FIELDS


def _indicators(rec: Any) -> list[Golden]:
    rows = rec.get("indicators") if isinstance(rec, dict) else None
    return [r if isinstance(r, dict) else {} for r in rows] if isinstance(rows, list) else []


# --------------------------------------------------------------------------- alignment


Aligned = list[tuple[int | None, int | None, float | None]]


def _dp_align(
    ei: Sequence[int], pj: Sequence[int], sim: Callable[[int, int], float], threshold: float
) -> Aligned:
    """Best monotone alignment of the items ``ei`` and ``pj`` (see ``align``)."""
    n, m = len(ei), len(pj)
    s = [[sim(ei[a], pj[b]) for b in range(m)] for a in range(n)]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for a in range(n - 1, -1, -1):
        for b in range(m - 1, -1, -1):
            cand = max(best[a + 1][b], best[a][b + 1])
            if s[a][b] >= threshold:
                cand = max(cand, s[a][b] + best[a + 1][b + 1])
            best[a][b] = cand
    out: Aligned = []
    a = b = 0
    eps = 1e-12
    while a < n and b < m:
        if s[a][b] >= threshold and abs(best[a][b] - (s[a][b] + best[a + 1][b + 1])) < eps:
            out.append((ei[a], pj[b], s[a][b]))
            a, b = a + 1, b + 1
        elif abs(best[a][b] - best[a + 1][b]) < eps:
            out.append((ei[a], None, None))
            a += 1
        else:
            out.append((None, pj[b], None))
            b += 1
    out += [(ei[k], None, None) for k in range(a, n)]
    out += [(None, pj[k], None) for k in range(b, m)]
    return out


def align(
    expected_keys: Sequence[str],
    predicted_keys: Sequence[str],
    sim: Callable[[int, int], float],
    threshold: float,
) -> Aligned:
    """Monotone alignment of expected and predicted items.

    Items whose (normalised, non-empty) keys are equal are anchored first with
    ``difflib.SequenceMatcher``; between anchors, pairs ``(i, j)`` are admissible when
    ``sim(i, j) >= threshold`` and the alignment with the largest summed similarity wins
    (gaps cost nothing). Returns every item once, in order: ``(i, j, s)`` for pairs,
    ``(i, None, None)`` for unmatched expected and ``(None, j, None)`` for unmatched
    predicted items.
    """
    # empty keys never anchor: give each its own sentinel
    ek = [k or f"\x00e{i}" for i, k in enumerate(expected_keys)]
    pk = [k or f"\x00p{j}" for j, k in enumerate(predicted_keys)]
    out: Aligned = []
    matcher = SequenceMatcher(None, ek, pk, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [(i1 + k, j1 + k, sim(i1 + k, j1 + k)) for k in range(i2 - i1)]
        else:
            out += _dp_align(range(i1, i2), range(j1, j2), sim, threshold)
    return out


def _record_similarity(e: Golden, p: Golden) -> float:
    """Average of name similarity and indicator-name-sequence similarity; 0 if neither fits."""
    name_r = _ratio(_norm(e.get("project_name")), _norm(p.get("project_name")))
    en = [_norm(r.get("name")) for r in _indicators(e)]
    pn = [_norm(r.get("name")) for r in _indicators(p)]
    if not en and not pn:
        return name_r if name_r >= RECORD_MATCH_THRESHOLD else 0.0
    ind_r = SequenceMatcher(None, en, pn, autojunk=False).ratio()
    if max(name_r, ind_r) < RECORD_MATCH_THRESHOLD:
        return 0.0
    return max(RECORD_MATCH_THRESHOLD, (name_r + ind_r) / 2)


def _row_similarity(e: Golden, p: Golden, fields: Sequence[str]) -> float:
    name_r = _ratio(_norm(e.get("name")), _norm(p.get("name")))
    others = [f for f in fields if f != "name"]
    agree = sum(values_equal(e.get(f), p.get(f)) for f in others) / max(1, len(others))
    return 0.6 * name_r + 0.4 * agree


def align_records(expected: Sequence[Golden], predicted: Sequence[Golden]) -> Aligned:
    return align(
        [_norm(r.get("project_name")) for r in expected],
        [_norm(r.get("project_name")) for r in predicted],
        lambda i, j: _record_similarity(expected[i], predicted[j]),
        RECORD_MATCH_THRESHOLD,
    )


def align_indicators(
    expected: Sequence[Golden], predicted: Sequence[Golden], fields: Sequence[str]
) -> Aligned:
    return align(
        [_norm(r.get("name")) for r in expected],
        [_norm(r.get("name")) for r in predicted],
        lambda i, j: _row_similarity(expected[i], predicted[j], fields),
        INDICATOR_MATCH_THRESHOLD,
    )


# --------------------------------------------------------------------------- scoring


class _Doc:
    """Accumulates one document's counts and mismatches."""

    def __init__(self, case: GoldenCase) -> None:
        self.case = case
        self.groups = {g: FieldScore() for g in GROUPS}
        self.ind_fields: dict[str, FieldScore] = {}
        self.fields: dict[str, FieldScore] = {}
        self.mismatches: list[Mismatch] = []

    def mark(self, group: str, key: str, ok: bool) -> None:
        self.groups[group].add(ok)
        self.fields.setdefault(key, FieldScore()).add(ok)
        if group == "indicators":
            self.ind_fields.setdefault(key.split(".", 1)[1], FieldScore()).add(ok)

    def miss(
        self, ei: int | None, pj: int | None, field: str, e: Any, g: Any, kind: MismatchKind
    ) -> None:
        self.mismatches.append(
            Mismatch(
                pdf=self.case.pdf.name,
                variant=self.case.variant,
                record=ei,
                predicted_record=pj,
                field=field,
                expected=_as_text(e),
                got=_as_text(g),
                kind=kind,
            )
        )

    def score_record(self, ei: int, e: Golden, pj: int | None, p: Golden | None) -> None:
        form = _form_type(e)
        for group, path in scalar_fields(form):
            ev = get_value(e, path)
            gv = get_value(p, path) if p is not None else None
            ok = p is not None and values_equal(ev, gv)
            self.mark(group, path, ok)
            if p is not None and not ok:
                self.miss(ei, pj, path, ev, gv, "wrong")
        fields = indicator_fields_for(form)
        erows = _indicators(e)
        prows = _indicators(p) if p is not None else []
        for ri, rj, _ in align_indicators(erows, prows, fields):
            er = erows[ri] if ri is not None else None
            pr = prows[rj] if rj is not None else None
            for f in fields:
                ok = er is not None and pr is not None and values_equal(er.get(f), pr.get(f))
                self.mark("indicators", f"indicators.{f}", ok)
                if er is not None and pr is not None and not ok:
                    self.miss(ei, pj, f"indicators[{ri}].{f}", er.get(f), pr.get(f), "wrong")
            if p is None:
                continue
            if pr is None and er is not None:
                self.miss(ei, pj, f"indicators[{ri}]", er.get("name"), None, "missed_indicator")
            elif er is None and pr is not None:
                self.miss(
                    ei, pj, f"indicators[pred:{rj}]", None, pr.get("name"), "invented_indicator"
                )


def _severities(p: Golden) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for f in p.get("findings") or []:
        if isinstance(f, dict):
            out.append((str(f.get("severity", "")).lower(), str(f.get("code", ""))))
    return out


def _score_document(
    case: GoldenCase, outcome: ExtractOutcome, anomalies: AnomalyReport
) -> tuple[DocumentReport, dict[str, FieldScore], list[Mismatch]]:
    expected = case.records
    predicted = [] if outcome.error is not None else list(outcome.records)
    doc = _Doc(case)
    alignment = align_records(expected, predicted)
    found = missed = invented = 0
    for ei, pj, _ in alignment:
        e = expected[ei] if ei is not None else None
        p = predicted[pj] if pj is not None else None
        if e is not None and ei is not None:
            doc.score_record(ei, e, pj, p)
            if p is None:
                missed += 1
                doc.miss(ei, None, "<record>", e.get("project_name"), None, "missed_record")
            else:
                found += 1
            ref = RecordRef(
                pdf=case.pdf.name,
                variant=case.variant,
                record=ei,
                predicted_record=pj,
                project_name=_as_text(e.get("project_name")),
            )
            sev = _severities(p) if p is not None else []
            if e.get("source_anomalies"):
                anomalies.anomalous_records += 1
                if any(s in ("error", "warning") for s, _ in sev):
                    anomalies.detected += 1
                else:
                    ref.detail = [str(a) for a in e["source_anomalies"]]
                    anomalies.undetected.append(ref)
            elif p is not None:
                anomalies.clean_records += 1
                errs = [c for s, c in sev if s == "error"]
                warns = sum(1 for s, _ in sev if s == "warning")
                anomalies.warnings_on_clean += warns
                anomalies.clean_records_with_warnings += 1 if warns else 0
                if errs:
                    ref.detail = errs
                    anomalies.false_alarms.append(ref)
        elif p is not None:
            invented += 1
            doc.miss(None, pj, "<record>", None, p.get("project_name"), "invented_record")
    report = DocumentReport(
        name=case.name,
        pdf=case.pdf.name,
        variant=case.variant,
        expected_records=len(expected),
        predicted_records=len(predicted),
        found=found,
        missed=missed,
        invented=invented,
        seconds=outcome.seconds or 0.0,
        pages=outcome.pages,
        error=outcome.error,
        alignment=[RecordPair(expected=i, predicted=j, similarity=s) for i, j, s in alignment],
        groups=doc.groups,
        indicator_fields=dict(sorted(doc.ind_fields.items(), key=_field_order)),
    )
    return report, doc.fields, doc.mismatches


def _field_order(item: tuple[str, Any]) -> int:
    name = item[0]
    return SELF_INDICATOR_FIELDS.index(name) if name in SELF_INDICATOR_FIELDS else 99


def evaluate_predictions(
    cases_with_predictions: Iterable[tuple[GoldenCase, ExtractOutcome | Sequence[Golden]]],
) -> EvalReport:
    """Score predictions already in hand. A bare list of records means no error, 0 seconds."""
    docs: list[DocumentReport] = []
    fields: dict[str, FieldScore] = {}
    mismatches: list[Mismatch] = []
    anomalies = AnomalyReport()
    variants: set[str] = set()
    for case, pred in cases_with_predictions:
        outcome = pred if isinstance(pred, ExtractOutcome) else ExtractOutcome(records=list(pred))
        doc, doc_fields, doc_mm = _score_document(case, outcome, anomalies)
        docs.append(doc)
        mismatches += doc_mm
        variants.add(case.variant)
        for k, v in doc_fields.items():
            fields.setdefault(k, FieldScore()).merge(v)
    groups = {g: FieldScore() for g in GROUPS}
    ind: dict[str, FieldScore] = {}
    for d in docs:
        for g, sc in d.groups.items():
            groups[g].merge(sc)
        for f, sc in d.indicator_fields.items():
            ind.setdefault(f, FieldScore()).merge(sc)
    expected_n = sum(d.expected_records for d in docs)
    seconds = sum(d.seconds for d in docs)
    pages = (
        sum(d.pages or 0 for d in docs) if docs and all(d.pages is not None for d in docs) else None
    )
    return EvalReport(
        variant=variants.pop() if len(variants) == 1 else ("all" if variants else "none"),
        documents=docs,
        expected_records=expected_n,
        predicted_records=sum(d.predicted_records for d in docs),
        found=sum(d.found for d in docs),
        missed=sum(d.missed for d in docs),
        invented=sum(d.invented for d in docs),
        groups=groups,
        indicator_fields=dict(sorted(ind.items(), key=_field_order)),
        fields=fields,
        anomalies=anomalies,
        throughput=Throughput(
            documents=len(docs),
            total_seconds=seconds,
            pages=pages,
            records=expected_n,
            predicted_records=sum(d.predicted_records for d in docs),
            seconds_per_record=seconds / expected_n if expected_n else None,
            seconds_per_page=seconds / pages if pages else None,
        ),
        errors=[f"{d.name} ({d.variant}): {d.error}" for d in docs if d.error is not None],
        mismatches=mismatches,
    )


def evaluate(cases: Iterable[GoldenCase], extract: Callable[[Path], ExtractOutcome]) -> EvalReport:
    """Run ``extract`` on every case's PDF and score it. An exception becomes an error."""
    pairs: list[tuple[GoldenCase, ExtractOutcome | Sequence[Golden]]] = []
    for case in cases:
        t0 = time.perf_counter()
        try:
            outcome = extract(case.pdf)
        except Exception as exc:  # one bad PDF never stops the eval
            outcome = ExtractOutcome(error=f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - t0
        if outcome.seconds is None:
            outcome = outcome.model_copy(update={"seconds": elapsed})
        pairs.append((case, outcome))
    return evaluate_predictions(pairs)
