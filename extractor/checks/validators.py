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
  INDICATOR_NUMBER_GAP.
- info: R11 first-level weights; R4 when blank sub-rows make the sum undecidable; UNCHECKED.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from extractor.checks.messages import (
    AMOUNT_COLS,
    COL_ZH,
    LEVEL1_KEYS,
    MONEY_UNITS,
    ROW_ZH,
    TD_ZH,
)
from extractor.checks.messages import (
    BUDGET_WORDS as _BUDGET_WORDS,
)
from extractor.checks.messages import (
    DATE as _DATE,
)
from extractor.checks.messages import (
    EN as _EN,
)
from extractor.checks.messages import (
    NUMBERED as _NUMBERED,
)
from extractor.checks.messages import (
    ROUNDING as _ROUNDING,
)
from extractor.checks.messages import (
    SEVERITY as _SEVERITY,
)
from extractor.checks.messages import (
    ZH as _ZH,
)
from extractor.checks.rules import DEFAULT_RULE_SET, RoundingMode, RuleSet
from schemas.fields import FUND_ROWS
from schemas.findings import Finding, Severity
from schemas.numbers import (
    Quantity,
    decimals_printed,
    normalise_text,
    parse_quantity,
    unit_of_header,
)
from schemas.records import (
    FundRow,
    SelfEvalIndicator,
    SelfEvaluation,
    TargetDeclaration,
    TargetIndicator,
)
from schemas.values import Value


@dataclass(frozen=True)
class Num:
    """A printed number: its value, how many decimals it shows, and the printed text."""

    value: Decimal
    decimals: int
    text: str


def _quantity(v: Value) -> Quantity | None:
    return parse_quantity(v.text) if v.present else None


def _num(
    v: Value, *, units: Iterable[str | None] = (None, "分"), percent: bool = True
) -> Num | None:
    """The value as a plain number (rate, score, weight); None if blank, '-' or not a number."""
    q = _quantity(v)
    if q is None or q.number is None or q.dash or q.qualitative or q.operator is not None:
        return None
    if (q.percent and not percent) or (q.unit not in units and q.unit != "%"):
        return None
    return Num(q.number, decimals_printed(v.text) or 0, v.text or "")


def _amount(v: Value) -> Num | None:
    """A money amount (thousands separators allowed; no %, no foreign unit)."""
    return _num(v, units=(None, *MONEY_UNITS), percent=False)


def _blank(v: Value) -> bool:
    q = _quantity(v)
    return q is None or q.dash


def _fmt(d: Decimal) -> str:
    """A recomputed value for a message: at most 4 decimals, trailing zeros past 2 dropped."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -4:
        d = d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    s = f"{d:f}"
    if "." not in s:
        return s
    whole, frac = s.split(".")
    frac = frac.rstrip("0").ljust(min(2, len(frac)), "0")
    return f"{whole}.{frac}" if frac else whole


def _quantize(d: Decimal, places: int, mode: RoundingMode) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=_ROUNDING[mode])


class _Out:
    """Collects the findings for one record under one rule set."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.findings: list[Finding] = []

    def add(
        self,
        key: str,
        field: str | None,
        values: Sequence[Value] = (),
        printed: str | None = None,
        expected: str | None = None,
        **kw: object,
    ) -> None:
        """One finding; severity by key (``_SEVERITY``), else by code, else warning."""
        code = key.split(":")[0]
        cells: list[str] = []
        for v in values:
            for c in v.prov.cell_ids if v.prov is not None else []:
                if c not in cells:
                    cells.append(c)
        args = {"hint": "", "hint_zh": "", **kw, "printed": printed, "expected": expected}
        self.findings.append(
            Finding(
                code=code,
                severity=_SEVERITY.get(key, _SEVERITY.get(code, Severity.WARNING)),
                message=_EN[key].format(field=field, **args),
                message_zh=_ZH[key].format(field=field, **args),
                field=field,
                cells=cells,
                printed=printed,
                expected=expected,
                rule_set=self.rules.id,
            )
        )

    def accepts(self, printed: Num, computed: Decimal) -> bool:
        """R3: equal after an accepted rounding to the printed decimals, or within tolerance."""
        d = printed.decimals
        if any(_quantize(computed, d, m) == printed.value for m in self.rules.rounding):
            return True
        return abs(printed.value - computed) <= self.rules.tolerance_for(d)

    def as_printed(self, computed: Decimal, decimals: int) -> str:
        """The recomputed value as the form would print it (first accepted rounding mode)."""
        return f"{_quantize(computed, decimals, self.rules.rounding[0]):f}"


def validate_record(
    record: SelfEvaluation | TargetDeclaration, rules: RuleSet | None = None
) -> list[Finding]:
    """All findings for one record under ``rules`` (default: national set). Never mutates it."""
    out = _Out(rules or DEFAULT_RULE_SET)
    try:
        if isinstance(record, SelfEvaluation):
            _self_evaluation(record, out)
        else:
            _target_declaration(record, out)
    except DecimalException as e:  # absurd magnitudes: reported, never a crash
        out.add("UNCHECKED", None, err=repr(e))
    return out.findings


# ---------------------------------------------------------------- shared checks


def _money_unit(rec: SelfEvaluation | TargetDeclaration, out: _Out) -> str | None:
    """The header unit (万元/元); MISSING_UNIT when absent or unreadable."""
    v = rec.money_unit
    text = normalise_text(v.text or "")
    unit = unit_of_header(text) or ("元" if text.strip("()（）单位:：") == "元" else None)
    if unit is None:
        out.add("MISSING_UNIT", "money_unit", [v], v.text, "万元|元")
    return unit


def _amount_cell(v: Value, field: str, label: str, unit: str | None, out: _Out) -> None:
    """R9 on one amount cell: a percentage, or an explicit money unit other than the header's."""
    q = _quantity(v)
    if q is None or q.number is None:
        return
    want, want_zh = unit or "the header unit", unit or "表头单位"
    own = MONEY_UNITS.get(q.unit or "")
    if q.percent:
        kw = {"label": label, "unit": want, "unit_zh": want_zh}
        out.add("R9:percent", field, [v], v.text, f"amount in {want}", **kw)
    elif unit is not None and own is not None and own != unit:
        out.add("R9:unit", field, [v], v.text, f"amount in {unit}", label=label, unit=unit, own=own)


def _sum_identity(field: str, label: str, total: Value, parts: list[Value], out: _Out) -> None:
    """R4: total = Σ parts. Blank parts count as 0 only when that makes the sum agree."""
    t = _amount(total)
    if t is None:
        return
    nums, blanks = [], 0
    for v in parts:
        n = _amount(v)
        if n is not None:
            nums.append(n.value)
        elif _blank(v):
            blanks += 1
        else:
            return  # a non-amount part (R9 reports it): not computable
    s = sum(nums, Decimal(0))
    if blanks == len(parts) or out.accepts(t, s):
        return
    kw = {"label": label, "terms": " + ".join(v.text or "0" for v in parts), "computed": _fmt(s)}
    if blanks:  # a blank might be a missing figure rather than 0: cannot tell
        out.add("R4:blank", field, [total, *parts], t.text, _fmt(s), **kw)
    else:
        out.add("R4", field, [total, *parts], t.text, out.as_printed(s, t.decimals), **kw)


def _level1(label: str | None) -> str:
    s = normalise_text(label or "")
    return next((canon for key, canon in LEVEL1_KEYS if key in s), s)


def _structure(indicators: Sequence[SelfEvalIndicator | TargetIndicator], out: _Out) -> None:
    """Taxonomy and numbering: level2 under the wrong level1; 指标N repeated or with a gap."""
    groups: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for i, ind in enumerate(indicators):
        l1, l2 = _level1(ind.level1.text), normalise_text(ind.level2.text or "")
        parent = out.rules.level2_parent.get(l2)
        if parent and l1 and parent != l1:
            vals, kw = [ind.level1, ind.level2], {"i": i, "name": ind.name.text, "l2": l2}
            out.add("LEVEL_MISMATCH", f"indicators.{i}.level1", vals, l1, parent, **kw)
        m = _NUMBERED.match(normalise_text(ind.name.text or ""))
        if m:
            groups[(l1, l2)].append((int(m.group(1)), i))
    for (l1, l2), items in groups.items():
        numbers = [n for n, _ in items]
        for n in sorted({n for n in numbers if numbers.count(n) > 1}):
            idx = [i for k, i in items if k == n]
            kw = {"group": f"{l1}/{l2}", "n": n, "idx": ", ".join(map(str, idx))}
            names, fld = [indicators[i].name for i in idx], f"indicators.{idx[1]}.name"
            out.add("DUPLICATE_INDICATOR_NUMBER", fld, names, f"指标{n}", "distinct", **kw)
        full = list(range(1, max(numbers) + 1))
        missing = sorted(set(full) - set(numbers))
        if missing:
            names, fld = [indicators[i].name for _, i in items], f"indicators.{items[0][1]}.name"
            kw = {"group": f"{l1}/{l2}", "n": missing[0]}
            out.add("INDICATOR_NUMBER_GAP", fld, names, str(sorted(set(numbers))), str(full), **kw)


def _number_or_warn(v: Value, field: str, label: str, out: _Out) -> Num | None:
    """The number in a score/weight/rate cell; MISSING_VALUE or NON_NUMERIC when there is none."""
    n = _num(v)
    if n is None:
        out.add("MISSING_VALUE" if _blank(v) else "NON_NUMERIC", field, [v], v.text, label=label)
    return n


# ---------------------------------------------------------------- self-evaluation


def _self_evaluation(rec: SelfEvaluation, out: _Out) -> None:
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
        if _blank(v):
            out.add("MISSING_VALUE", f"funds.total.{c}", [v], v.text, label=label)
    w = _number_or_warn(total.weight, "funds.total.weight", "预算执行率分值", out)
    r = _number_or_warn(total.execution_rate, "funds.total.execution_rate", "执行率", out)
    s = _number_or_warn(total.score, "funds.total.score", "预算执行率得分", out)
    rate = r.value if r is not None else rates["total"]
    weight = w.value if w is not None else rules.budget_weight
    if w is not None and w.value != rules.budget_weight:
        fld, want = "funds.total.weight", _fmt(rules.budget_weight)
        out.add("BUDGET_WEIGHT", fld, [total.weight], w.text, want, rule_set=rules.id)
    budget_expected = _budget_score(total, weight, w is not None, rate, s, out)

    weights: list[Num | None] = []
    scores: list[Num | None] = []
    for i, ind in enumerate(rec.indicators):
        iw = _number_or_warn(ind.weight, f"indicators.{i}.weight", f"第{i}项指标分值", out)
        isc = _number_or_warn(ind.score, f"indicators.{i}.score", f"第{i}项指标得分", out)
        weights.append(iw)
        scores.append(isc)
        if iw is not None and isc is not None:
            if isc.value > iw.value:
                kw = {"i": i, "name": ind.name.text, "weight": iw.text}
                vals, fld = [ind.score, ind.weight], f"indicators.{i}.score"
                out.add("R8", fld, vals, isc.text, f"≤ {iw.text}", **kw)
            _r10(i, ind, iw, isc, out)
    ind_w = [x.value for x in weights if x is not None]
    ind_s = [x.value for x in scores if x is not None]
    if rec.indicators and len(ind_w) == len(weights):
        _weights_sum(rec, sum(ind_w, Decimal(0)), weight, w is not None, out)
        _r11(rec, ind_w, out)
    computed = None
    if rec.indicators and len(ind_s) == len(scores) and s is not None:
        computed = sum(ind_s, Decimal(0)) + s.value
    graded = _total_score(rec, computed, s, budget_expected, out)
    _grade(rec, graded, out)
    _r12(rec, rate, out)
    _structure(rec.indicators, out)


def _magnitude(name: str, row: FundRow, unit: str | None, out: _Out) -> bool:
    """R9: 全年执行数 ÷ 全年预算数 in [10³, 10⁵) means an amount in 元 under a 万元 header."""
    full, ex = _amount(row.full_year_budget), _amount(row.executed)
    if full is None or ex is None or full.value <= 0:
        return False
    ratio = ex.value / full.value
    if not out.rules.unit_ratio_min <= ratio < out.rules.unit_ratio_max:
        return False
    # Under a 元 header the smaller figure (the budget) is the odd one out.
    col, odd, odd_unit = ("executed", "全年执行数", "元")
    if unit == "元":
        col, odd, odd_unit = ("full_year_budget", "全年预算数", "万元")
    scaled = out.as_printed(ex.value / 10_000, ex.decimals)
    kw = {"row": ROW_ZH[name], "ex": ex.text, "full": full.text, "ratio": _fmt(ratio)}
    kw["scaled"] = scaled
    kw["suspect"] = f"{odd} looks like {odd_unit} under a {unit or 'unknown'} header"
    kw["suspect_zh"] = f"{odd}疑为{odd_unit}（表头单位为{unit or '未知'}）"
    vals = [row.executed, row.full_year_budget]
    out.add("R9:ratio", f"funds.{name}.{col}", vals, ex.text, scaled, **kw)
    return True


def _rate(name: str, row: FundRow, r9: bool, out: _Out) -> Decimal | None:
    """R1 on one funds row (never against 年初预算数); returns the recomputed rate in %."""
    full, ex, init = (
        _amount(row.full_year_budget),
        _amount(row.executed),
        _amount(row.initial_budget),
    )
    printed = _num(row.execution_rate)
    if full is None or full.value < 0:
        return None
    vals = [row.execution_rate, row.executed, row.full_year_budget]
    field = f"funds.{name}.execution_rate"
    kw = {"row": ROW_ZH[name], "ex": row.executed.text, "full": full.text}
    if ex is None:  # 全年执行数 printed as a share of the budget ("100%"): R9 reports the cell
        share, q = _num(row.executed), _quantity(row.executed)
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
        out.add("R1:share", field, vals, printed.text, share.text, **kw)
        return share.value
    if full.value == 0:
        if ex.value != 0:
            undefined = "undefined (executed > 0 on a zero budget)"
            out.add("R1:zero", field, vals, row.execution_rate.text, undefined, **kw)
        return None
    computed = ex.value / full.value * 100
    if printed is not None and not out.accepts(printed, computed):
        if _matches_initial(printed, ex.value, init, full.value, out):
            kw["hint"] = " (it matches 年初预算数 instead)"
            kw["hint_zh"] = "（与按年初预算数计算的结果一致）"
        expected = out.as_printed(computed, printed.decimals)
        out.add("R1", field, vals, printed.text, expected, computed=_fmt(computed), **kw)
    if ex.value > full.value and not r9:
        kw["rate"] = _fmt(computed)
        fld = f"funds.{name}.executed"
        out.add("EXECUTED_OVER_BUDGET", fld, vals[1:], ex.text, f"≤ {full.text}", **kw)
    return computed


def _matches_initial(printed: Num, ex: Decimal, init: Num | None, full: Decimal, out: _Out) -> bool:
    """Whether a wrong rate was computed against 年初预算数 (a hint for the R1 message)."""
    if init is None or init.value in (0, full):
        return False
    return out.accepts(printed, ex / init.value * 100)


def _budget_score(
    total: FundRow, weight: Decimal, printed_w: bool, rate: Decimal | None, s: Num | None, out: _Out
) -> Decimal | None:
    """R2: score = 分值 × min(rate, 100%), from the printed rate. Returns the expected score."""
    if rate is None or rate < 0:
        return None
    rules = out.rules
    expected = weight * min(rate, rules.budget_rate_cap) / 100
    if s is None:
        return expected
    ok = out.accepts(s, expected)
    if not ok and rules.score_decimals is not None:  # the form rounds the score itself
        rounded = _quantize(expected, rules.score_decimals, rules.rounding[0])
        ok = abs(s.value - rounded) <= rules.tolerance_for(s.decimals)
    if ok:
        return expected
    hint = "" if printed_w else f"; 分值 {weight} from rule set {rules.id}"
    hint_zh = "" if printed_w else f"；分值 {weight} 取自规则集 {rules.id}"
    if s.value > weight:
        hint += f"; it also exceeds its 分值 {_fmt(weight)}"
        hint_zh += f"；且超过其分值 {_fmt(weight)}"
    kw = {"weight": _fmt(weight), "rate": _fmt(rate), "cap": _fmt(rules.budget_rate_cap)}
    kw |= {"computed": _fmt(expected), "hint": hint, "hint_zh": hint_zh}
    vals = [total.score, total.weight, total.execution_rate]
    out.add("R2", "funds.total.score", vals, s.text, out.as_printed(expected, s.decimals), **kw)
    return expected


def _weights_sum(
    rec: SelfEvaluation, ind_sum: Decimal, weight: Decimal, printed_w: bool, out: _Out
) -> None:
    """R5: Σ indicator 分值 + budget 分值 = 100; and the printed 总分 分值 equals that sum."""
    want = out.rules.total_weight
    total = ind_sum + weight
    vals = [*(ind.weight for ind in rec.indicators), rec.funds.total.weight, rec.total_weight]
    kw = {"ind": _fmt(ind_sum), "weight": _fmt(weight), "computed": _fmt(total)}
    fired = total != want
    if fired:
        src = "" if printed_w else f" from rule set {out.rules.id}"
        out.add("R5", "total_weight", vals, _fmt(total), _fmt(want), want=_fmt(want), src=src, **kw)
    tw = _num(rec.total_weight)
    if tw is not None and not out.accepts(tw, total) and not (fired and tw.value == want):
        out.add("R5:printed", "total_weight", vals, tw.text, _fmt(total), **kw)


def _total_score(
    rec: SelfEvaluation,
    computed: Decimal | None,
    s: Num | None,
    budget_expected: Decimal | None,
    out: _Out,
) -> Decimal | None:
    """R6 and MISSING_TOTAL; returns the total to grade (printed, else recomputed)."""
    ts = _num(rec.total_score)
    if ts is None:
        if rec.indicators and _blank(rec.total_score):
            shown = _fmt(computed) if computed is not None else None
            v = rec.total_score
            out.add("MISSING_TOTAL", "total_score", [v], None, shown, computed=shown or "n/a")
        elif rec.indicators:
            _number_or_warn(rec.total_score, "total_score", "总分", out)
        return computed
    if computed is not None and s is not None and not out.accepts(ts, computed):
        ind = computed - s.value
        kw = {"ind": _fmt(ind), "budget": s.text, "computed": _fmt(computed)}
        if budget_expected is not None and out.accepts(ts, ind + budget_expected):
            b = _fmt(budget_expected)
            kw["hint"] = f" ({ts.text} = {_fmt(ind)} + the recomputed budget score {b})"
            kw["hint_zh"] = f"（{ts.text} = {_fmt(ind)} + 重算的预算执行率得分 {b}）"
        vals = [rec.total_score, rec.funds.total.score, *(i.score for i in rec.indicators)]
        out.add("R6", "total_score", vals, ts.text, out.as_printed(computed, ts.decimals), **kw)
    return ts.value


def _grade(rec: SelfEvaluation, total: Decimal | None, out: _Out) -> None:
    """R7 (grade band vs total score), MISSING_GRADE, UNKNOWN_GRADE."""
    rules = out.rules
    expected = rules.grade_for(total) if total is not None else None
    shown = _fmt(total) if total is not None else "n/a"
    vals = [rec.grade, rec.total_score]
    if _blank(rec.grade):
        if rec.indicators or total is not None:
            out.add("MISSING_GRADE", "grade", vals, None, expected, total=shown)
        return
    canon = rules.canonical_grade(normalise_text(rec.grade.text or ""))
    if canon is None:
        bands = [b.grade for b in rules.grade_bands]
        out.add("UNKNOWN_GRADE", "grade", vals, rec.grade.text, expected, bands=bands)
    elif expected is not None and canon != expected:
        out.add("R7", "grade", vals, rec.grade.text, expected, total=shown)


def _achievement(text: str) -> str | None:
    s = normalise_text(text)
    if any(k in s for k in ("未达成", "未完成", "未达到", "没有完成", "未实现")):
        return "not"
    if "部分" in s:
        return "partial"
    if any(k in s for k in ("达成", "完成", "达到", "实现")):
        return "achieved"
    return None


def _target_number(q: Quantity | None, text: str) -> tuple[Decimal, str | None, str | None] | None:
    """(number, operator, unit) of a quantitative target or actual; None if not comparable."""
    if q is None or q.number is None or q.qualitative or q.dash:
        return None
    if _DATE.match(normalise_text(text).lstrip("=≥≤<>》《")):
        return None
    op, unit = q.operator, q.unit
    if unit and "年" in unit and q.number == q.number.to_integral() and 1900 <= q.number <= 2100:
        return None  # a year ("2023全年"), not a quantity
    if unit and "百分" in unit:  # "100%百分百": the words repeat the percentage
        unit = None
    for word, o in (("以上", "≥"), ("以下", "≤"), ("以内", "≤"), ("内", "≤")):
        if unit and unit.endswith(word):
            op, unit = op or o, unit[: -len(word)] or None
    return q.number, op, ("%" if q.percent else unit)


def _r10(i: int, ind: SelfEvalIndicator, w: Num, s: Num, out: _Out) -> None:
    """R10 (warning): a score should follow how far its target was met."""
    rules = out.rules
    if w.value <= 0 or not ind.actual.present:
        return
    t_text, a_text = ind.target.text or "", ind.actual.text or ""
    t = _target_number(_quantity(ind.target), t_text)
    a = _target_number(_quantity(ind.actual), a_text)
    vals = [ind.score, ind.weight, ind.target, ind.actual]
    field = f"indicators.{i}.score"
    head = f"indicator {i} ({ind.name.text}): target {t_text!r}, actual {a_text!r}"
    head_zh = f"第{i}项指标（{ind.name.text}）：指标值“{t_text}”，实际完成值“{a_text}”"
    kw = {
        "head": f"{head}, score {s.text}/{w.text}",
        "head_zh": f"{head_zh}，得分 {s.text}/{w.text}",
    }
    if t is not None and a is not None and a[1] is None and (t[2] == a[2] or None in (t[2], a[2])):
        target, op, _ = t
        actual = a[0]
        if op in ("≤", "<"):
            met = actual < target if op == "<" else actual <= target
            ratio = target / actual if actual else Decimal(1)
        else:
            met = actual > target if op == ">" else actual >= target
            ratio = actual / target if target else Decimal(1)
        met = met or normalise_text(t_text) == normalise_text(a_text)
        expected = w.value * min(ratio, Decimal(1))
        if met and s.value < w.value:
            out.add("R10:met", field, vals, s.text, w.text, **kw)
        elif not met and s.value >= w.value:
            out.add("R10:full", field, vals, s.text, _fmt(expected), **kw)
        elif not met and abs(s.value - expected) > rules.proportional_slack * w.value:
            out.add("R10:ratio", field, vals, s.text, _fmt(expected), **kw)
        return
    level = _achievement(a_text) if a is None else None
    if level is None:
        return
    bands = {"achieved": rules.achieved_band, "partial": rules.partial_band}
    band = bands.get(level, rules.not_achieved_band)
    share = s.value / w.value
    if not (band.low <= share < band.high or share == band.high == 1):
        span = f"{_fmt(band.low * w.value)}–{_fmt(band.high * w.value)}"
        low, high = _fmt(band.low * 100), _fmt(band.high * 100)
        out.add("R10:band", field, vals, s.text, span, level=level, low=low, high=high, **kw)


def _r11(rec: SelfEvaluation, weights: list[Decimal], out: _Out) -> None:
    """R11 (info): first-level weights in principle 产出 50 / 效益 30 / 满意度 10."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for ind, w in zip(rec.indicators, weights, strict=True):
        sums[_level1(ind.level1.text)] += w
    want = out.rules.level1_weights
    if all(sums.get(k, Decimal(0)) == v for k, v in want.items()):
        return
    got = " / ".join(f"{k} {_fmt(sums.get(k, Decimal(0)))}" for k in want)
    out.add("R11", "indicators", [], got, " / ".join(f"{k} {_fmt(v)}" for k, v in want.items()))


def _r12(rec: SelfEvaluation, rate: Decimal | None, out: _Out) -> None:
    """R12 (warning): an execution rate below 90% should carry a 偏差原因.

    The form has no 偏差原因 cell for the funds rows, so an indicator's 偏差原因 that speaks of
    the budget (预算, 执行, 资金 …) counts as the explanation.
    """
    threshold = out.rules.deviation_rate_threshold
    if rate is None or rate >= threshold:
        return
    reasons = [normalise_text(i.deviation_reason.text or "") for i in rec.indicators]
    if any(k in r for r in reasons for k in _BUDGET_WORDS):
        return
    v, want = rec.funds.total.execution_rate, f"≥ {threshold}% or a 偏差原因"
    kw = {"rate": _fmt(rate), "threshold": threshold}
    out.add("R12", "funds.total.execution_rate", [v], v.text or _fmt(rate), want, **kw)


# ---------------------------------------------------------------- target declaration


def _target_declaration(rec: TargetDeclaration, out: _Out) -> None:
    unit = _money_unit(rec, out)
    f = rec.funds
    for name, label in TD_ZH.items():
        _amount_cell(getattr(f, name), f"funds.{name}", label, unit, out)
    for name in ("total", "annual_request"):
        v = getattr(f, name)
        if _blank(v):
            out.add("MISSING_VALUE", f"funds.{name}", [v], v.text, label=TD_ZH[name])
    # The form's right-hand column: 年度资金申请总额 = 当年财政拨款 + 上年结转资金 + 其他资金.
    parts = [f.current_year, f.carryover, f.other]
    _sum_identity("funds.annual_request", TD_ZH["annual_request"], f.annual_request, parts, out)
    total, fiscal, annual = _amount(f.total), _amount(f.fiscal), _amount(f.annual_request)
    if total is not None:
        kw = {"total": total.text}
        if fiscal is not None and fiscal.value > total.value:  # 其中 is a part of the total
            vals, fld = [f.fiscal, f.total], "funds.fiscal"
            out.add("FUNDS_PART_EXCEEDS_TOTAL", fld, vals, fiscal.text, f"≤ {total.text}", **kw)
        if annual is not None and annual.value > total.value:  # usual, but not an identity
            vals, fld = [f.annual_request, f.total], "funds.annual_request"
            out.add("ANNUAL_EXCEEDS_TOTAL", fld, vals, annual.text, f"≤ {total.text}", **kw)
    _structure(rec.indicators, out)
