"""Header semantics: which printed label means which field. Driven by meaning, not position.

Each entry is (field, pattern) matched against the cell text after NFKC and whitespace
removal, with a leading 其中 and trailing colons dropped. Order matters where one label
contains another (实际完成值 before 指标值).
"""

from __future__ import annotations

import re
from typing import Protocol

from schemas.numbers import normalise_text

Pattern = tuple[str, re.Pattern[str]]


def _p(field: str, rx: str) -> Pattern:
    return field, re.compile(rx)


# Key-value labels: the value is the next cell to the right.
KEY_LABELS: list[Pattern] = [
    _p("project_name", r"^项目名称$"),
    _p("department", r"^(主管部门|主管单位|预算部门|主管部门\(单位\)|主管部门及代码)$"),
    _p("implementing_unit", r"^(项目)?(实施|执行)单位$"),
    _p("project_leader", r"^项目负责人$"),
    _p("contact_phone", r"^(联系电话|联系方式)$"),
    _p("project_nature", r"^项目性质$"),
    _p("project_category", r"^项目类(别|型)$"),
    _p("plan_start", r"^(计划)?开始(日期|时间)$"),
    _p("plan_end", r"^(计划)?(完成|结束)(日期|时间)$"),
    _p("grade", r"^(评分|绩效|自评|评价)等级$"),
]

# Target declaration funds: key-value labels too.
DECL_FUND_LABELS: list[Pattern] = [
    _p("annual_request", r"^年度资金申请(总额|数)?$"),
    _p("total", r"^项目资金总额$|^资金总额$"),
    _p("fiscal", r"^财政资金$"),
    _p("current_year", r"^当年财政拨款$"),
    _p("carryover", r"^上年结转(资金)?$"),
    _p("other", r"^其他资金$"),
]

# Self-evaluation funds table: column headers and row labels.
FUND_COLUMNS: list[Pattern] = [
    _p("initial_budget", r"年初预算"),
    _p("full_year_budget", r"全年预算|调整后预算"),
    _p("executed", r"执行数|实际支出|全年执行"),
    _p("execution_rate", r"执行率"),
    _p("weight", r"^(分值|分数|权重)"),
    _p("score", r"^得分"),
]
FUND_ROWS: list[Pattern] = [
    _p("current_year", r"当年财政拨款|财政拨款"),
    _p("carryover", r"上年结转"),
    _p("other", r"其他资金"),
    _p("total", r"资金总额|^合计$|^总计$"),
]

# Goals headers.
SELF_GOALS: list[Pattern] = [
    _p("goal_expected", r"^预期目标$"),
    _p("goal_actual", r"^实际完成(情况)?$"),
]
DECL_GOALS: list[Pattern] = [
    _p("goal_overall", r"^(项目)?总体目标|^中长期目标"),
    _p("goal_annual", r"^年度(总体)?目标"),
]

# Indicator table headers.
INDICATOR_COLUMNS: list[Pattern] = [
    _p("level1", r"^一级指标$"),
    _p("level2", r"^二级指标$"),
    _p("name", r"^(三级指标|指标名称|绩效指标名称)$"),
    _p("actual", r"实际完成值|^实际值$|^完成值$|^实际完成$"),
    _p("target", r"指标值$|^目标值$|^年度目标值$"),
    _p("weight", r"^(分值|权重|分数)"),
    _p("score", r"^得分$"),
    _p("deviation_reason", r"偏差原因|原因分析|改进措施"),
]

TOTAL_ROWS: list[Pattern] = [_p("total_row", r"^(总分|合计|总计|总得分)$")]
FUNDS_BLOCK = re.compile(r"^项目资金|^资金投入|^年度资金")


# Every label category the mapper asks about, by name (the LLM path answers per category).
PATTERNS: dict[str, list[Pattern]] = {
    "key": KEY_LABELS,
    "decl_funds": DECL_FUND_LABELS,
    "fund_columns": FUND_COLUMNS,
    "fund_rows": FUND_ROWS,
    "self_goals": SELF_GOALS,
    "decl_goals": DECL_GOALS,
    "indicator_columns": INDICATOR_COLUMNS,
    "total_row": TOTAL_ROWS,
}


class Labeler(Protocol):
    """Says which field a printed label means within a category, or None."""

    def __call__(self, text: str, category: str) -> str | None: ...


def regex_labeler(text: str, category: str) -> str | None:
    """The deterministic labeler: the patterns above."""
    return match(text, PATTERNS[category])


def label_key(text: str) -> str:
    s = normalise_text(text)
    s = re.sub(r"^其中[:：]?", "", s)
    return s.rstrip(":：")


def match(text: str, patterns: list[Pattern]) -> str | None:
    key = label_key(text)
    if not key:
        return None
    for field, rx in patterns:
        if rx.search(key):
            return field
    return None


def is_any_label(text: str, label: Labeler = regex_labeler) -> bool:
    return any(
        label(text, cat) is not None
        for cat in ("key", "decl_funds", "indicator_columns", "self_goals")
    )
