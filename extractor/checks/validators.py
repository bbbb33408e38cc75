"""Deterministic validators: recompute what the printed numbers must satisfy (RULES.md R1–R12).

``validate_record`` judges one record against a ``RuleSet`` and returns findings; it never
changes the record. Every finding shows the printed value, the recomputed one and the cells
involved. A value that is blank, ``-`` or not a number makes the checks that need it skip:
a check that cannot be computed is never reported as an error.

Codes and severities:
- error: R1 execution rate, R2 budget score, R4 funds sum, R5 weights sum, R6 total score,
  R7 grade band, R8 score ≤ weight, R9 amount vs header unit, FUNDS_PART_EXCEEDS_TOTAL.
  R3 (rounding) is the tolerance every comparison applies, never a finding of its own.
- warning: R10 score vs achievement, R12 low rate without 偏差原因, MISSING_GRADE,
  MISSING_TOTAL, MISSING_VALUE, MISSING_UNIT, NON_NUMERIC, UNKNOWN_GRADE, BUDGET_WEIGHT,
  EXECUTED_OVER_BUDGET, ANNUAL_EXCEEDS_TOTAL, LEVEL_MISMATCH, DUPLICATE_INDICATOR_NUMBER,
  INDICATOR_NUMBER_GAP, DOUBLED_UNIT and OFF_TAXONOMY (``extractor.checks.wording``),
  TRUNCATED (a rate or score truncated where rounding differs, under a rule set for an
  unknown region: right for Shanghai municipal forms, a slip elsewhere).
- info: R11 first-level weights; R4 when blank sub-rows make the sum undecidable; UNCHECKED.

This module holds the funds rules (R1, R2, R4, R9 and the target declaration's sums) and
runs every check; the indicator, total and grade rules are in ``extractor.checks.scoring``,
reading printed numbers and building findings (with R3) in ``extractor.checks.printed``.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException

from extractor.checks.amounts import non_numeric_amounts
from extractor.checks.messages import AMOUNT_COLS, COL_ZH, MONEY_UNITS, ROW_ZH, TD_ZH
from extractor.checks.printed import (
    Collector,
    Num,
    amount,
    blank,
    fmt,
    num,
    number_or_warn,
    quantize,
)
from extractor.checks.rules import DEFAULT_RULE_SET, RoundingMode, RuleSet
from extractor.checks.scoring import (
    indicator_structure,
    r5_weights_sum,
    r6_total_score,
    r7_grade,
    r10_achievement,
    r11_level1_weights,
    r12_deviation_reason,
)
from schemas.fields import FUND_ROWS
from schemas.findings import Finding, FindingCode
from schemas.numbers import normalise_text, unit_of_header
from schemas.records import FundRow, SelfEvaluation, TargetDeclaration, quantity
from schemas.values import Value

__all__ = ["validate_record"]

_RATE_ZH = COL_ZH["execution_rate"]


def validate_record(
    record: SelfEvaluation | TargetDeclaration, rules: RuleSet | None = None
) -> list[Finding]:
    """All findings for one record under ``rules`` (default: national set). Never mutates it."""
    out = Collector(rules or DEFAULT_RULE_SET)
    try:
        non_numeric_amounts(record, out)
        if isinstance(record, SelfEvaluation):
            _self_evaluation(record, out)
        else:
            _target_declaration(record, out)
    except DecimalException as e:  # absurd magnitudes: reported, never a crash
        out.add(FindingCode.UNCHECKED, None, err=repr(e))
    return out.findings


# ---------------------------------------------------------------- funds checks (both forms)


def _money_unit(rec: SelfEvaluation | TargetDeclaration, out: Collector) -> str | None:
    """The header unit (万元/元); MISSING_UNIT when absent or unreadable."""
    v = rec.money_unit
    text = normalise_text(v.text or "")
    unit = unit_of_header(text) or ("元" if text.strip("()（）单位:：") == "元" else None)
    if unit is None:
        out.add(FindingCode.MISSING_UNIT, "money_unit", [v], v.text, "万元|元")
    return unit


def _amount_cell(v: Value, field: str, label: str, unit: str | None, out: Collector) -> None:
    """R9 on one amount cell: a percentage, or an explicit money unit other than the header's."""
    q = quantity(v)
    if q is None or q.number is None:
        return
    want, want_zh = unit or "the header unit", unit or "表头单位"
    own = MONEY_UNITS.get(q.unit or "")
    if q.percent:
        kw = {"label": label, "unit": want, "unit_zh": want_zh}
        out.add((FindingCode.R9, "percent"), field, [v], v.text, f"amount in {want}", **kw)
    elif unit is not None and own is not None and own != unit:
        out.add(
            (FindingCode.R9, "unit"),
            field,
            [v],
            v.text,
            f"amount in {unit}",
            label=label,
            unit=unit,
            own=own,
        )


def _sum_identity(field: str, label: str, total: Value, parts: list[Value], out: Collector) -> None:
    """R4: total = Σ parts. Blank parts count as 0 only when that makes the sum agree."""
    t = amount(total)
    if t is None:
        return
    nums, blanks = [], 0
    for v in parts:
        n = amount(v)
        if n is not None:
            nums.append(n.value)
        elif blank(v):
            blanks += 1
        else:
            return  # a non-amount part (R9 reports it): not computable
    s = sum(nums, Decimal(0))
    if blanks == len(parts) or out.accepts(t, s):
        return
    kw = {"label": label, "terms": " + ".join(v.text or "0" for v in parts), "computed": fmt(s)}
    if blanks:  # a blank might be a missing figure rather than 0: cannot tell
        out.add((FindingCode.R4, "blank"), field, [total, *parts], t.text, fmt(s), **kw)
    else:
        out.add(FindingCode.R4, field, [total, *parts], t.text, out.as_printed(s, t.decimals), **kw)


# ---------------------------------------------------------------- self-evaluation


def _self_evaluation(rec: SelfEvaluation, out: Collector) -> None:
    rules = out.rules
    unit = _money_unit(rec, out)
    rows: dict[str, FundRow] = {name: getattr(rec.funds, name) for name in FUND_ROWS}
    for name, row in rows.items():
        for c in AMOUNT_COLS:
            _amount_cell(getattr(row, c), f"funds.{name}.{c}", ROW_ZH[name] + COL_ZH[c], unit, out)
    r9_rows = {name for name, row in rows.items() if _magnitude(name, row, unit, out)}
    rates = {name: _rate(name, row, name in r9_rows, out) for name, row in rows.items()}
    total = rows["total"]
    for c in AMOUNT_COLS:
        v, label = getattr(total, c), ROW_ZH["total"] + COL_ZH[c]
        parts = [getattr(rows[n], c) for n in FUND_ROWS[1:]]
        _sum_identity(f"funds.total.{c}", label, v, parts, out)
        if blank(v):
            out.add(FindingCode.MISSING_VALUE, f"funds.total.{c}", [v], v.text, label=label)
    w = number_or_warn(total.weight, "funds.total.weight", "预算执行率分值", out)
    if w is None:  # printed only inside a label: 预算执行情况(20分)
        w = num(rec.budget_points)
    r = number_or_warn(total.execution_rate, "funds.total.execution_rate", _RATE_ZH, out)
    s = number_or_warn(total.score, "funds.total.score", "预算执行率得分", out)
    rate = r.value if r is not None else rates["total"]
    scored = _budget_scored(rec)
    weight = w.value if w is not None else rules.budget_weight if scored else Decimal(0)
    if w is not None and w.value != rules.budget_weight:
        fld, want = "funds.total.weight", fmt(rules.budget_weight)
        vals = [total.weight, rec.budget_points]
        out.add(FindingCode.BUDGET_WEIGHT, fld, vals, w.text, want, rule_set=rules.id)
    budget_expected = _budget_score(total, weight, w is not None, rate, s, out)

    weights: list[Num | None] = []
    scores: list[Num | None] = []
    for i, ind in enumerate(rec.indicators):
        iw = number_or_warn(ind.weight, f"indicators.{i}.weight", f"第{i + 1}项指标分值", out)
        isc = number_or_warn(ind.score, f"indicators.{i}.score", f"第{i + 1}项指标得分", out)
        weights.append(iw)
        scores.append(isc)
        if iw is not None and isc is not None:
            if isc.value > iw.value:
                kw = {"i": i, "name": ind.name.text, "weight": iw.text}
                vals, fld = [ind.score, ind.weight], f"indicators.{i}.score"
                out.add(FindingCode.R8, fld, vals, isc.text, f"≤ {iw.text}", **kw)
            r10_achievement(i, ind, iw, isc, out)
    ind_w = [x.value for x in weights if x is not None]
    ind_s = [x.value for x in scores if x is not None]
    if rec.indicators and len(ind_w) == len(weights):
        r5_weights_sum(rec, sum(ind_w, Decimal(0)), weight, w is not None, out)
        r11_level1_weights(rec, ind_w, out)
    else:
        _skipped(FindingCode.R5, "分值", weights, out)
    computed = None
    budget_s = s.value if s is not None else None if scored else Decimal(0)
    if rec.indicators and len(ind_s) == len(scores) and budget_s is not None:
        computed = sum(ind_s, Decimal(0)) + budget_s
    else:
        _skipped(FindingCode.R6, "得分", scores, out)
    graded = r6_total_score(rec, computed, s, budget_expected, out)
    r7_grade(rec, graded, out)
    r12_deviation_reason(rec, rate, out)
    indicator_structure(rec.indicators, out)


def _budget_scored(rec: SelfEvaluation) -> bool:
    """Whether the form scores budget execution at all: it prints a budget 分值, 执行率 or
    得分 (in a cell or inside a label). A form with no such block (a transfer-payment
    self-evaluation whose indicators carry all 100 points) has a budget weight of 0."""
    t = rec.funds.total
    return any(v.present for v in (t.weight, t.execution_rate, t.score, rec.budget_points))


def _skipped(rule: FindingCode, what: str, nums: list[Num | None], out: Collector) -> None:
    """Say which rows a sum rule could not use (some rows print the figure, some do not)."""
    missing = [str(i) for i, x in enumerate(nums) if x is None]
    if missing and len(missing) < len(nums):
        err = f"{rule} skipped: indicators {', '.join(missing)} print no {what}"
        out.add(FindingCode.UNCHECKED, None, err=err)


def _magnitude(name: str, row: FundRow, unit: str | None, out: Collector) -> bool:
    """R9: 全年执行数 ÷ 全年预算数 in [10³, 10⁵) means an amount in 元 under a 万元 header."""
    full, ex = amount(row.full_year_budget), amount(row.executed)
    if full is None or ex is None or full.value <= 0:
        return False
    ratio = ex.value / full.value
    if not out.rules.unit_ratio_min <= ratio < out.rules.unit_ratio_max:
        return False
    # Under a 元 header the smaller figure (the budget) is the odd one out.
    col, odd_unit = "executed", "元"
    if unit == "元":
        col, odd_unit = "full_year_budget", "万元"
    odd = COL_ZH[col]
    scaled = out.as_printed(ex.value / 10_000, ex.decimals)
    kw = {"row": ROW_ZH[name], "ex": ex.text, "full": full.text, "ratio": fmt(ratio)}
    kw["scaled"] = scaled
    kw["suspect"] = f"{odd} looks like {odd_unit} under a {unit or 'unknown'} header"
    kw["suspect_zh"] = f"{odd}疑为{odd_unit}（表头单位为{unit or '未知'}）"
    vals = [row.executed, row.full_year_budget]
    out.add((FindingCode.R9, "ratio"), f"funds.{name}.{col}", vals, ex.text, scaled, **kw)
    return True


def _rate(name: str, row: FundRow, r9: bool, out: Collector) -> Decimal | None:
    """R1 on one funds row (never against 年初预算数); returns the recomputed rate in %."""
    full, ex, init = (
        amount(row.full_year_budget),
        amount(row.executed),
        amount(row.initial_budget),
    )
    printed = num(row.execution_rate)
    if full is None or full.value < 0:
        return None
    vals = [row.execution_rate, row.executed, row.full_year_budget]
    field = f"funds.{name}.execution_rate"
    kw = {"row": ROW_ZH[name], "ex": row.executed.text, "full": full.text}
    if ex is None:  # 全年执行数 printed as a share of the budget ("100%"): R9 reports the cell
        share, q = num(row.executed), quantity(row.executed)
        if (
            share is None
            or q is None
            or not q.percent
            or printed is None
            or full.value == 0
            or out.accepts(printed, share.value)
        ):
            return None
        if _matches_initial(printed, full.value * share.value / 100, init, full.value, out):
            kw["hint"] = " (it matches 年初预算数 instead)"
            kw["hint_zh"] = "（与按年初预算数计算的结果一致）"
        out.add((FindingCode.R1, "share"), field, vals, printed.text, share.text, **kw)
        return share.value
    if full.value == 0:
        if ex.value != 0:
            undefined = "undefined (executed > 0 on a zero budget)"
            out.add(
                (FindingCode.R1, "zero"),
                field,
                vals,
                row.execution_rate.text,
                undefined,
                **kw,
            )
        return None
    computed = ex.value / full.value * 100
    if printed is not None and out.truncated_only(printed, computed):
        rounded = f"{quantize(computed, printed.decimals, RoundingMode.HALF_UP):f}"
        out.add(
            FindingCode.TRUNCATED, field, vals, printed.text, rounded, computed=fmt(computed), **kw
        )
    if printed is not None and not out.accepts(printed, computed):
        if _matches_initial(printed, ex.value, init, full.value, out):
            kw["hint"] = " (it matches 年初预算数 instead)"
            kw["hint_zh"] = "（与按年初预算数计算的结果一致）"
        expected = out.as_printed(computed, printed.decimals)
        out.add(FindingCode.R1, field, vals, printed.text, expected, computed=fmt(computed), **kw)
    if ex.value > full.value and not r9:
        kw["rate"] = fmt(computed)
        fld = f"funds.{name}.executed"
        out.add(FindingCode.EXECUTED_OVER_BUDGET, fld, vals[1:], ex.text, f"≤ {full.text}", **kw)
    return computed


def _matches_initial(
    printed: Num, ex: Decimal, init: Num | None, full: Decimal, out: Collector
) -> bool:
    """Whether a wrong rate was computed against 年初预算数 (a hint for the R1 message)."""
    if init is None or init.value in (0, full):
        return False
    return out.accepts(printed, ex / init.value * 100)


def _budget_score(
    total: FundRow,
    weight: Decimal,
    printed_w: bool,
    rate: Decimal | None,
    s: Num | None,
    out: Collector,
) -> Decimal | None:
    """R2: score = 分值 × min(rate, 100%), from the printed rate. Returns the expected score."""
    if rate is None or rate < 0:
        return None
    rules = out.rules
    expected = weight * min(rate, rules.budget_rate_cap) / 100
    if s is None:
        return expected
    ok = out.accepts(s, expected)
    if ok and out.truncated_only(s, expected):
        half_up = f"{quantize(expected, s.decimals, RoundingMode.HALF_UP):f}"
        vals = [total.score, total.weight, total.execution_rate]
        out.add(
            FindingCode.TRUNCATED,
            "funds.total.score",
            vals,
            s.text,
            half_up,
            computed=fmt(expected),
            row=ROW_ZH["total"],
            ex="",
            full="",
        )
    if not ok and rules.score_decimals is not None:  # the form rounds the score itself
        rounded = quantize(expected, rules.score_decimals, rules.rounding[0])
        ok = abs(s.value - rounded) <= rules.tolerance_for(s.decimals)
    if ok:
        return expected
    hint = "" if printed_w else f"; 分值 {weight} from rule set {rules.id}"
    hint_zh = "" if printed_w else f"；分值 {weight} 取自规则集 {rules.id}"
    if s.value > weight:
        hint += f"; it also exceeds its 分值 {fmt(weight)}"
        hint_zh += f"；且超过其分值 {fmt(weight)}"
    kw = {"weight": fmt(weight), "rate": fmt(rate), "cap": fmt(rules.budget_rate_cap)}
    kw |= {"computed": fmt(expected), "hint": hint, "hint_zh": hint_zh}
    vals = [total.score, total.weight, total.execution_rate]
    out.add(
        FindingCode.R2,
        "funds.total.score",
        vals,
        s.text,
        out.as_printed(expected, s.decimals),
        **kw,
    )
    return expected


# ---------------------------------------------------------------- target declaration


def _target_declaration(rec: TargetDeclaration, out: Collector) -> None:
    unit = _money_unit(rec, out)
    f = rec.funds
    for name, label in TD_ZH.items():
        _amount_cell(getattr(f, name), f"funds.{name}", label, unit, out)
    for name in ("total", "annual_request"):
        v = getattr(f, name)
        if blank(v):
            out.add(FindingCode.MISSING_VALUE, f"funds.{name}", [v], v.text, label=TD_ZH[name])
    # The form's right-hand column: 年度资金申请总额 = 当年财政拨款 + 上年结转资金 + 其他资金.
    parts = [f.current_year, f.carryover, f.other]
    _sum_identity("funds.annual_request", TD_ZH["annual_request"], f.annual_request, parts, out)
    total, fiscal, annual = amount(f.total), amount(f.fiscal), amount(f.annual_request)
    if total is not None:
        kw = {"total": total.text}
        if fiscal is not None and fiscal.value > total.value:  # 其中 is a part of the total
            vals, fld = [f.fiscal, f.total], "funds.fiscal"
            out.add(
                FindingCode.FUNDS_PART_EXCEEDS_TOTAL,
                fld,
                vals,
                fiscal.text,
                f"≤ {total.text}",
                **kw,
            )
        if annual is not None and annual.value > total.value:  # usual, but not an identity
            vals, fld = [f.annual_request, f.total], "funds.annual_request"
            out.add(
                FindingCode.ANNUAL_EXCEEDS_TOTAL, fld, vals, annual.text, f"≤ {total.text}", **kw
            )
    indicator_structure(rec.indicators, out)
