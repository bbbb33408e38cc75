"""The one walker of dotted field paths over a golden-shape record (``schemas.golden``).

A path names one printed value: ``year``, ``funds.total.executed``, ``funds.annual_request``,
``indicators.3.name``; ``indicators[3].name`` is read the same. Indicator indexes count from
0 everywhere a path or a machine-readable column is written; only the Chinese labels a person
reads count from 1 (``indicators.0.name`` → 指标1·三级指标). ``value_paths`` lists a record's
paths in printed order, ``get_value``/``set_value`` read and write one, ``label_of`` and
``section_of`` name it from the label catalogue (``schemas.catalogue``), ``column_of`` is its
name as a column of the flat exports (``funds_total_executed``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from schemas.catalogue import (
    DECL_FUND_ZH,
    FUND_COLUMN_ZH,
    FUND_ROW_ZH,
    INDICATOR_ZH,
    RECORD_ZH,
)
from schemas.fields import TOTALS_FIELDS
from schemas.golden import from_golden
from schemas.records import iter_values

_INDEX = re.compile(r"\[(\d+)\]")


def parts(path: str) -> list[str]:
    """The steps of a path: ``indicators[3].name`` and ``indicators.3.name`` → 3 steps."""
    return _INDEX.sub(r".\1", path).split(".")


def value_paths(data: Mapping[str, Any]) -> list[str]:
    """Every field path of a golden-shape record, in printed order (``indicators.3.score`` …)."""
    return [p for p, _ in iter_values(from_golden(dict(data)))]


def get_value(data: Any, path: str) -> Any:
    """The value at ``path``, or None where any step is missing (or not an object/list)."""
    obj: Any = data
    for part in parts(path):
        if isinstance(obj, list):
            if not part.isdigit():
                return None
            i = int(part)
            obj = obj[i] if i < len(obj) else None
        elif isinstance(obj, Mapping):
            obj = obj.get(part)
        else:
            return None
        if obj is None:
            return None
    return obj


def set_value(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a leaf of a golden-shape record; missing objects on the way are created."""
    steps = parts(path)
    obj: Any = data
    for i, part in enumerate(steps[:-1]):
        if isinstance(obj, list):
            obj = obj[int(part)]
            continue
        if obj.get(part) is None:
            obj[part] = [] if steps[i + 1].isdigit() else {}
        obj = obj[part]
    if isinstance(obj, list):
        obj[int(steps[-1])] = value
    else:
        obj[steps[-1]] = value


def label_of(path: str) -> str:
    """The Chinese label of a path: ``funds.total.executed`` → 年度资金总额·全年执行数,
    ``indicators.0.name`` → 指标1·三级指标 (an unknown path comes back as it is)."""
    steps = parts(path)
    if steps[0] == "funds" and len(steps) > 1:
        if len(steps) == 3:
            row, col = steps[1], steps[2]
            return f"{FUND_ROW_ZH.get(row, row)}·{FUND_COLUMN_ZH.get(col, col)}"
        return DECL_FUND_ZH.get(steps[1], steps[1])
    if steps[0] == "indicators" and len(steps) == 3 and steps[1].isdigit():
        return f"指标{int(steps[1]) + 1}·{INDICATOR_ZH.get(steps[2], steps[2])}"
    return RECORD_ZH.get(path, path)


def section_of(path: str) -> str:
    """The catalogue section a path is in: header, funds, goals, indicators, totals."""
    head = parts(path)[0]
    if head in ("funds", "indicators"):
        return head
    if head.startswith("goal_"):
        return "goals"
    if head in TOTALS_FIELDS:
        return "totals"
    return "header"


def column_of(path: str) -> str:
    """A path as a column name of the flat exports: dots become ``_``
    (``funds.total.executed`` → ``funds_total_executed``)."""
    return "_".join(parts(path))
