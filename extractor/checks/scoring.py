"""The validators' rules on the indicator table and the 总分 row of a self-evaluation:
R5 weights sum, R6 total score, R7 grade band, R10 score vs achievement, R11 first-level
weights, R12 low rate without 偏差原因; and the taxonomy and numbering of indicators (both
forms). ``extractor.checks.validators`` calls them; see its docstring for codes and
severities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from extractor.checks.messages import BUDGET_WORDS, DATE, NUMBERED
from extractor.checks.printed import Collector, Num, blank, fmt, num, number_or_warn
from extractor.checks.wording import wording
from schemas.findings import FindingCode
from schemas.numbers import Quantity, normalise_text
from schemas.records import (
    SelfEvalIndicator,
    SelfEvaluation,
    TargetIndicator,
    quantity,
)
from schemas.taxonomy import LEVEL1_KEYS


def level1(label: str | None) -> str:
    s = normalise_text(label or "")
    return next((canon for key, canon in LEVEL1_KEYS if key in s), s)


def indicator_structure(
    indicators: Sequence[SelfEvalIndicator | TargetIndicator], out: Collector
) -> None:
    """Taxonomy and numbering: level2 under the wrong level1; 指标N repeated or with a gap."""
    groups: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for i, ind in enumerate(indicators):
        l1, l2 = level1(ind.level1.text), normalise_text(ind.level2.text or "")
        parent = out.rules.level2_parent.get(l2)
        if parent and l1 and parent != l1:
            vals, kw = [ind.level1, ind.level2], {"i": i, "name": ind.name.text, "l2": l2}
            out.add(FindingCode.LEVEL_MISMATCH, f"indicators.{i}.level1", vals, l1, parent, **kw)
        m = NUMBERED.match(normalise_text(ind.name.text or ""))
        if m:
            groups[(l1, l2)].append((int(m.group(1)), i))
    for (l1, l2), items in groups.items():
        numbers = [n for n, _ in items]
        for n in sorted({n for n in numbers if numbers.count(n) > 1}):
            idx = [i for k, i in items if k == n]
            kw = {"group": f"{l1}/{l2}", "n": n, "idx": ", ".join(map(str, idx))}
            names, fld = [indicators[i].name for i in idx], f"indicators.{idx[1]}.name"
            out.add(
                FindingCode.DUPLICATE_INDICATOR_NUMBER, fld, names, f"指标{n}", "distinct", **kw
            )
        full = list(range(1, max(numbers) + 1))
        missing = sorted(set(full) - set(numbers))
        if missing:
            names, fld = [indicators[i].name for _, i in items], f"indicators.{items[0][1]}.name"
            kw = {"group": f"{l1}/{l2}", "n": missing[0]}
            out.add(
                FindingCode.INDICATOR_NUMBER_GAP,
                fld,
                names,
                str(sorted(set(numbers))),
                str(full),
                **kw,
            )
    wording(indicators, out)


def r5_weights_sum(
    rec: SelfEvaluation, ind_sum: Decimal, weight: Decimal, printed_w: bool, out: Collector
) -> None:
    """R5: Σ indicator 分值 + budget 分值 = 100; and the printed 总分 分值 equals that sum."""
    want = out.rules.total_weight
    total = ind_sum + weight
    vals = [*(ind.weight for ind in rec.indicators), rec.funds.total.weight, rec.total_weight]
    kw = {"ind": fmt(ind_sum), "weight": fmt(weight), "computed": fmt(total)}
    fired = total != want
    if fired:
        src = "" if printed_w else f" from rule set {out.rules.id}"
        out.add(
            FindingCode.R5,
            "total_weight",
            vals,
            fmt(total),
            fmt(want),
            want=fmt(want),
            src=src,
            **kw,
        )
    tw = num(rec.total_weight)
    if tw is not None and not out.accepts(tw, total) and not (fired and tw.value == want):
        out.add((FindingCode.R5, "printed"), "total_weight", vals, tw.text, fmt(total), **kw)


def r6_total_score(
    rec: SelfEvaluation,
    computed: Decimal | None,
    s: Num | None,
    budget_expected: Decimal | None,
    out: Collector,
) -> Decimal | None:
    """R6 and MISSING_TOTAL; returns the total to grade (printed, else recomputed)."""
    ts = num(rec.total_score)
    if ts is None:
        if rec.indicators and blank(rec.total_score):
            shown = fmt(computed) if computed is not None else None
            v = rec.total_score
            out.add(
                FindingCode.MISSING_TOTAL, "total_score", [v], None, shown, computed=shown or "n/a"
            )
        elif rec.indicators:
            number_or_warn(rec.total_score, "total_score", "总分", out)
        return computed
    if computed is not None and s is not None and not out.accepts(ts, computed):
        ind = computed - s.value
        kw = {"ind": fmt(ind), "budget": s.text, "computed": fmt(computed)}
        if budget_expected is not None and out.accepts(ts, ind + budget_expected):
            b = fmt(budget_expected)
            kw["hint"] = f" ({ts.text} = {fmt(ind)} + the recomputed budget score {b})"
            kw["hint_zh"] = f"（{ts.text} = {fmt(ind)} + 重算的预算执行率得分 {b}）"
        vals = [rec.total_score, rec.funds.total.score, *(i.score for i in rec.indicators)]
        out.add(
            FindingCode.R6,
            "total_score",
            vals,
            ts.text,
            out.as_printed(computed, ts.decimals),
            **kw,
        )
    return ts.value


def r7_grade(rec: SelfEvaluation, total: Decimal | None, out: Collector) -> None:
    """R7 (grade band vs total score), MISSING_GRADE, UNKNOWN_GRADE."""
    rules = out.rules
    expected = rules.grade_for(total) if total is not None else None
    shown = fmt(total) if total is not None else "n/a"
    vals = [rec.grade, rec.total_score]
    if blank(rec.grade):
        if rec.indicators or total is not None:
            out.add(FindingCode.MISSING_GRADE, "grade", vals, None, expected, total=shown)
        return
    canon = rules.canonical_grade(normalise_text(rec.grade.text or ""))
    if canon is None:
        bands = [b.grade for b in rules.grade_bands]
        out.add(FindingCode.UNKNOWN_GRADE, "grade", vals, rec.grade.text, expected, bands=bands)
    elif expected is not None and canon != expected:
        out.add(FindingCode.R7, "grade", vals, rec.grade.text, expected, total=shown)


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
    if DATE.match(normalise_text(text).lstrip("=≥≤<>》《")):
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


def r10_achievement(i: int, ind: SelfEvalIndicator, w: Num, s: Num, out: Collector) -> None:
    """R10 (warning): a score should follow how far its target was met."""
    rules = out.rules
    if w.value <= 0 or not ind.actual.present:
        return
    t_text, a_text = ind.target.text or "", ind.actual.text or ""
    t = _target_number(quantity(ind.target), t_text)
    a = _target_number(quantity(ind.actual), a_text)
    vals = [ind.score, ind.weight, ind.target, ind.actual]
    field = f"indicators.{i}.score"
    head = f"indicator {i + 1} ({ind.name.text}): target {t_text!r}, actual {a_text!r}"
    head_zh = f"第{i + 1}项指标（{ind.name.text}）：指标值“{t_text}”，实际完成值“{a_text}”"
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
            out.add((FindingCode.R10, "met"), field, vals, s.text, w.text, **kw)
        elif not met and s.value >= w.value:
            out.add((FindingCode.R10, "full"), field, vals, s.text, fmt(expected), **kw)
        elif not met and abs(s.value - expected) > rules.proportional_slack * w.value:
            out.add((FindingCode.R10, "ratio"), field, vals, s.text, fmt(expected), **kw)
        return
    level = _achievement(a_text) if a is None else None
    if level is None:
        return
    bands = {"achieved": rules.achieved_band, "partial": rules.partial_band}
    band = bands.get(level, rules.not_achieved_band)
    share = s.value / w.value
    if not (band.low <= share < band.high or share == band.high == 1):
        span = f"{fmt(band.low * w.value)}–{fmt(band.high * w.value)}"
        low, high = fmt(band.low * 100), fmt(band.high * 100)
        out.add(
            (FindingCode.R10, "band"),
            field,
            vals,
            s.text,
            span,
            level=level,
            low=low,
            high=high,
            **kw,
        )


def r11_level1_weights(rec: SelfEvaluation, weights: list[Decimal], out: Collector) -> None:
    """R11 (info): first-level weights in principle 产出 50 / 效益 30 / 满意度 10."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for ind, w in zip(rec.indicators, weights, strict=True):
        sums[level1(ind.level1.text)] += w
    want = out.rules.level1_weights
    if all(sums.get(k, Decimal(0)) == v for k, v in want.items()):
        return
    got = " / ".join(f"{k} {fmt(sums.get(k, Decimal(0)))}" for k in want)
    out.add(
        FindingCode.R11, "indicators", [], got, " / ".join(f"{k} {fmt(v)}" for k, v in want.items())
    )


def r12_deviation_reason(rec: SelfEvaluation, rate: Decimal | None, out: Collector) -> None:
    """R12 (warning): an execution rate below 90% should carry a 偏差原因.

    The form has no 偏差原因 cell for the funds rows, so an indicator's 偏差原因 that speaks of
    the budget (预算, 执行, 资金 …) counts as the explanation.
    """
    threshold = out.rules.deviation_rate_threshold
    if rate is None or rate >= threshold:
        return
    reasons = [normalise_text(i.deviation_reason.text or "") for i in rec.indicators]
    if any(k in r for r in reasons for k in BUDGET_WORDS):
        return
    v, want = rec.funds.total.execution_rate, f"≥ {threshold}% or a 偏差原因"
    kw = {"rate": fmt(rate), "threshold": threshold}
    out.add(FindingCode.R12, "funds.total.execution_rate", [v], v.text or fmt(rate), want, **kw)
