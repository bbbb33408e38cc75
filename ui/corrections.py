"""Corrections that follow a finding. No Streamlit here.

``unit_conversion(data)``: an amount printed in 元 under a 万元 header (R9, 全年执行数 ÷
全年预算数 between 10³ and 10⁵) is converted in one action. The validators' finding gives the
converted figure (its ``expected``); the conversion takes every such flagged amount, and on a
row's sub-rows (当年财政拨款, 上年结转资金, 其他资金 under 年度资金总额) the same column's
amounts that exceed the converted row total (a part cannot exceed its whole, so these are in
元 too) are divided by 10,000. ``preview`` re-runs the validators on the converted record so
the clerk sees the recomputed execution rates and scores before saving.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from jixiao.store.review import revalidate
from schemas.catalogue import FUND_ROW_ZH
from schemas.fields import FUND_AMOUNT_COLUMNS, FUND_ROWS, FUND_SUB_ROWS
from schemas.findings import FindingCode
from schemas.paths import get_value, set_value


def _dec(text: Any) -> Decimal | None:
    if text is None:
        return None
    t = str(text).strip().replace(",", "").replace(" ", "")
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _scaled(text: Any) -> str | None:
    """``text`` ÷ 10,000, printed with at most 2 decimals."""
    v = _dec(text)
    if v is None:
        return None
    out = (v / Decimal(10_000)).quantize(Decimal("0.01"))
    return f"{out:f}"


def is_unit_finding(f: dict[str, Any]) -> bool:
    """An R9 finding saying an amount is in 元 under a 万元 header (its ``expected`` is the
    converted figure)."""
    field = str(f.get("field") or "")
    return (
        f.get("code") == FindingCode.R9
        and field.startswith("funds.")
        and field.rsplit(".", 1)[-1] in FUND_AMOUNT_COLUMNS
        and _dec(f.get("expected")) is not None
        and _dec(f.get("printed")) is not None
    )


def unit_conversion(data: dict[str, Any]) -> dict[str, str]:
    """path → converted value of every amount to convert from 元 to 万元 (empty: none)."""
    out: dict[str, str] = {}
    for f in data.get("findings") or []:
        if not is_unit_finding(f):
            continue
        path = str(f["field"])
        out[path] = f"{_dec(f['expected']):f}"
        _, row, col = path.split(".")
        whole = _dec(out[path])
        for sub in FUND_SUB_ROWS.get(row, ()):
            sub_path = f"funds.{sub}.{col}"
            v = _dec(get_value(data, sub_path))
            if sub_path not in out and v is not None and whole is not None and v > whole:
                scaled = _scaled(v)
                if scaled is not None:
                    out[sub_path] = scaled
    return out


@dataclass
class Preview:
    changes: dict[str, str]  # path → new value
    before: dict[str, str | None]  # path → current value
    findings: list[dict[str, Any]]  # the findings after the change
    n_errors_before: int
    n_errors_after: int
    figures: list[str] = field(default_factory=list)  # recomputed rate and score per row


def preview(data: dict[str, Any], changes: dict[str, str], rule_set: str | None) -> Preview:
    """The record's findings if ``changes`` were saved (nothing is written)."""
    trial = copy.deepcopy(data)
    for path, value in changes.items():
        set_value(trial, path, value)
    after = revalidate(trial, rule_set, set(changes))
    return Preview(
        changes=dict(changes),
        before={p: _text(get_value(data, p)) for p in changes},
        findings=after,
        n_errors_before=sum(1 for f in data.get("findings") or [] if f.get("severity") == "error"),
        n_errors_after=sum(1 for f in after if f.get("severity") == "error"),
        figures=recomputed(trial, {p.split(".")[1] for p in changes}),
    )


def recomputed(data: dict[str, Any], rows: set[str]) -> list[str]:
    """Per funds row: the execution rate recomputed from the (converted) amounts beside the
    printed one, and for a row with a 分值 the budget score 分值 × min(rate, 100 %)."""
    out = []
    for row in FUND_ROWS:
        if row not in rows:
            continue
        full = _dec(get_value(data, f"funds.{row}.full_year_budget"))
        ex = _dec(get_value(data, f"funds.{row}.executed"))
        if full is None or ex is None or full == 0:
            continue
        rate = ex / full * 100
        line = (
            f"{FUND_ROW_ZH.get(row, row)}：执行率 {ex} ÷ {full} × 100 = {rate.quantize(Decimal('0.01'))}%"
            f"（印为 {_text(get_value(data, f'funds.{row}.execution_rate')) or '空'}）"
        )
        weight = _dec(get_value(data, f"funds.{row}.weight"))
        if weight is not None:
            score = weight * min(rate, Decimal(100)) / 100
            line += (
                f"；得分 {weight} × {min(rate, Decimal(100)).quantize(Decimal('0.01'))}% = "
                f"{score.quantize(Decimal('0.01'))}"
                f"（印为 {_text(get_value(data, f'funds.{row}.score')) or '空'}）"
            )
        out.append(line)
    return out


def _text(v: Any) -> str | None:
    return None if v is None else str(v)
