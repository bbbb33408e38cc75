"""The narrow questions the model answers, as strict pydantic response models.

The model never writes a value. It is shown a list of short texts copied from the table cells
and says, per field, which of them is that field's printed label (copied exactly: the schema
makes each answer an enum of the given texts). Code then reads the values from the cells
under those labels, so every value stays grounded in a cell. A text that is not in the list,
or a "label" that is a number, fails validation and goes back to the model through
instructor's re-ask.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from schemas.numbers import normalise_text, parse_decimal

# answer name -> (help for the model, [(mapper category, mapper field), ...])
FieldSpec = tuple[str, list[tuple[str, str]]]

GROUPS: dict[str, dict[str, FieldSpec]] = {
    "header": {
        "project_name": ("项目名称 (project name)", [("key", "project_name")]),
        "department": ("主管部门 / 主管单位 (supervising department)", [("key", "department")]),
        "implementing_unit": ("实施单位 (implementing unit)", [("key", "implementing_unit")]),
        "project_leader": ("项目负责人", [("key", "project_leader")]),
        "contact_phone": ("联系电话", [("key", "contact_phone")]),
        "project_nature": ("项目性质", [("key", "project_nature")]),
        "project_category": ("项目类别", [("key", "project_category")]),
        "plan_start": ("计划开始日期", [("key", "plan_start")]),
        "plan_end": ("计划完成日期", [("key", "plan_end")]),
        "grade": ("评分等级 (grade row label)", [("key", "grade")]),
    },
    "funds": {
        "total_funds": (
            "年度资金总额 / 项目资金总额 (total funds)",
            [("decl_funds", "total"), ("fund_rows", "total")],
        ),
        "annual_request": ("年度资金申请总额", [("decl_funds", "annual_request")]),
        "fiscal_funds": ("其中：财政资金", [("decl_funds", "fiscal")]),
        "current_year": (
            "其中：当年财政拨款",
            [("decl_funds", "current_year"), ("fund_rows", "current_year")],
        ),
        "carryover": ("上年结转资金", [("decl_funds", "carryover"), ("fund_rows", "carryover")]),
        "other_funds": ("其他资金", [("decl_funds", "other"), ("fund_rows", "other")]),
        "initial_budget": ("年初预算数 column", [("fund_columns", "initial_budget")]),
        "full_year_budget": ("全年预算数 column", [("fund_columns", "full_year_budget")]),
        "executed": ("全年执行数 column", [("fund_columns", "executed")]),
        "execution_rate": ("执行率 column", [("fund_columns", "execution_rate")]),
    },
    "goals": {
        "goal_expected": (
            "预期目标 (column header over the expected-goal text)",
            [("self_goals", "goal_expected")],
        ),
        "goal_actual": (
            "实际完成情况 (column header over the achieved text)",
            [("self_goals", "goal_actual")],
        ),
        "goal_overall": ("项目总体目标 (column header)", [("decl_goals", "goal_overall")]),
        "goal_annual": ("年度总体目标 (column header)", [("decl_goals", "goal_annual")]),
    },
    "indicators": {
        "level1": ("一级指标 column", [("indicator_columns", "level1")]),
        "level2": ("二级指标 column", [("indicator_columns", "level2")]),
        "indicator_name": ("三级指标 / 指标名称 column", [("indicator_columns", "name")]),
        "target_value": ("年度指标值 column", [("indicator_columns", "target")]),
        "actual_value": ("实际完成值 column", [("indicator_columns", "actual")]),
        "weight": (
            "分值 / 分数 / 权重 column",
            [("fund_columns", "weight"), ("indicator_columns", "weight")],
        ),
        "score": ("得分 column", [("fund_columns", "score"), ("indicator_columns", "score")]),
        "deviation_reason": (
            "偏差原因分析及改进措施 column",
            [("indicator_columns", "deviation_reason")],
        ),
        "total_row": ("总分 / 合计 (total row label)", [("total_row", "total_row")]),
    },
}

SELF, DECL = "self_evaluation", "target_declaration"
# Answer fields printed on one form only; every other field may appear on both. A question
# about a self-evaluation never offers 项目性质 or 计划开始日期: a small model fills every
# field it is offered, so offering fields the form cannot have invites wrong labels.
ONLY_ON: dict[str, str] = {
    **dict.fromkeys(
        ("project_nature", "project_category", "plan_start", "plan_end", "annual_request"),
        DECL,
    ),
    **dict.fromkeys(("fiscal_funds", "goal_overall", "goal_annual"), DECL),
    **dict.fromkeys(
        ("grade", "initial_budget", "full_year_budget", "executed", "execution_rate"), SELF
    ),
    **dict.fromkeys(
        ("goal_expected", "goal_actual", "actual_value", "score", "deviation_reason"), SELF
    ),
    **dict.fromkeys(("weight", "total_row"), SELF),
}


def fields_for(group: str, forms: set[str] | None = None) -> dict[str, FieldSpec]:
    """The fields of ``group`` that can be printed on any of ``forms`` (all when None)."""
    return {
        name: spec
        for name, spec in GROUPS[group].items()
        if forms is None or ONLY_ON.get(name) is None or ONLY_ON[name] in forms
    }


_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_candidate(text: str) -> bool:
    """A short non-numeric text with Chinese in it: something that could be a label."""
    t = normalise_text(text)
    return 1 < len(t) <= 20 and bool(_CJK.search(t)) and parse_decimal(t) is None


class LabelAnswer(BaseModel):
    """Base of every answer: each field lists texts copied from the given ones (at most two).

    The JSON schema makes each answer an enum of the given texts, so a grammar-constrained
    server cannot even write another string; the validator checks it again for endpoints
    that do not constrain decoding.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> LabelAnswer:
        ctx: dict[str, Any] = info.context or {}
        given = {normalise_text(t) for t in ctx.get("texts", [])}
        for name in type(self).model_fields:
            for item in getattr(self, name):
                text = item.value if isinstance(item, Enum) else item
                if normalise_text(text) not in given:
                    raise ValueError(
                        f"{name}: {text!r} is not one of the given texts; copy a label exactly"
                    )
                if parse_decimal(text) is not None:
                    raise ValueError(f"{name}: {text!r} is a number, not a label")
        return self


def answer_model(
    group: str, texts: list[str] | None = None, forms: set[str] | None = None
) -> type[LabelAnswer]:
    """The response model for one question; with ``texts``, answers are an enum of them;
    with ``forms``, only the fields those forms print are asked."""
    item: Any = str
    if texts:
        # One enum in $defs that every field references: the schema (which the server puts
        # into the prompt) lists the texts once, not once per field.
        members = {f"t{i}": t for i, t in enumerate(dict.fromkeys(texts))}
        given: Any = Enum("GivenText", members, type=str)  # type: ignore[misc]
        item = given
    fields: dict[str, Any] = {
        name: (list[item], Field(default_factory=list, max_length=2, description=help_))
        for name, (help_, _) in fields_for(group, forms).items()
    }
    model: type[LabelAnswer] = create_model(f"LabelAnswer_{group}", __base__=LabelAnswer, **fields)
    return model


def field_help(group: str, forms: set[str] | None = None) -> str:
    return "\n".join(f"- {name}: {help_}" for name, (help_, _) in fields_for(group, forms).items())


def listed(texts: list[str]) -> str:
    return "\n".join(f"- {t}" for t in texts)


def labels_from_answer(group: str, answer: LabelAnswer) -> dict[str, dict[str, str]]:
    """canonical text -> {mapper category: mapper field} from one answer.

    A text given as the label of two fields of one question is ambiguous: it is dropped
    (the record then lacks that field, and hybrid mode keeps the mapper's reading)."""
    given: dict[str, list[str]] = {}
    for name in type(answer).model_fields:
        for text in getattr(answer, name):
            key = normalise_text(text.value if isinstance(text, Enum) else text)
            given.setdefault(key, []).append(name)
    out: dict[str, dict[str, str]] = {}
    for key, names in given.items():
        if len(set(names)) != 1:
            continue
        for category, field in GROUPS[group][names[0]][1]:
            out.setdefault(key, {})[category] = field
    return out


class ModelLabeler:
    """A labeler from the model's answers, optionally falling back to the regex patterns."""

    def __init__(self, labels: dict[str, dict[str, str]], fallback: Any = None) -> None:
        self.labels = labels
        self.fallback = fallback

    def __call__(self, text: str, category: str) -> str | None:
        hit = self.labels.get(normalise_text(text), {}).get(category)
        if hit is not None:
            return hit
        return self.fallback(text, category) if self.fallback is not None else None
