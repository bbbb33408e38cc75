"""Strict models of the two forms. Field names follow ``shared/golden/FORMAT.md``.

Every leaf is a ``Value``: the printed string, its parsed ``Quantity`` where it is a number,
and its provenance. Parsing never changes the printed string.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.numbers import Quantity, parse_quantity
from schemas.values import Value


def _v() -> Value:
    return Value()


def _f(zh: str, *labels: str) -> Any:
    """A field with its catalogue metadata: the Chinese name and the printed labels (regexes
    over the normalised label text, ``schemas.catalogue.label_key``; the first is the
    standard label, the others synonyms real forms print). ``schemas.catalogue`` reads them."""
    return Field(default_factory=_v, json_schema_extra={"zh": zh, "labels": list(labels)})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class FundRow(_Strict):
    initial_budget: Value = _f("年初预算数", r"年初预算")
    full_year_budget: Value = _f(
        "全年预算数", r"全年预算", r"调整后预算", r"^预算数$", r"^预算金额$", r"^资金情况$"
    )
    executed: Value = _f(
        "全年执行数", r"全年执行", r"执行数", r"实际支出", r"^支出数$", r"^资金(使用|支出)情况$"
    )
    weight: Value = _f("分值", r"^分值", r"^分数", r"^权重")
    execution_rate: Value = _f("执行率", r"执行率")
    score: Value = _f("得分", r"^得分")


def _row(zh: str, *labels: str) -> Any:
    return Field(default_factory=FundRow, json_schema_extra={"zh": zh, "labels": list(labels)})


class SelfEvalFunds(_Strict):
    """Rows of the funds grid; labels are searched in the row's label cell."""

    total: FundRow = _row("年度资金总额", r"资金总额", r"^合计$", r"^总计$", r"^年度金额$")
    current_year: FundRow = _row("当年财政拨款", r"当年财政拨款", r"财政拨款", r"补助.*资金$")
    carryover: FundRow = _row("上年结转资金", r"上年结转")
    other: FundRow = _row("其他资金", r"^其他资金$", r"^其他$")


class SelfEvalIndicator(_Strict):
    level1: Value = _f("一级指标", r"^一级指标$", r"^一级$")
    level2: Value = _f("二级指标", r"^二级指标$", r"^二级$")
    name: Value = _f(
        "三级指标",
        r"^三级指标$",
        r"^指标名称$",
        r"^三级$",
        r"^绩效指标名称$",
        r"^指标内容$",
        r"^具体指标$",
    )
    target: Value = _f(
        "年度指标值",
        r"指标值$",
        r"^目标值$",
        r"^年度目标值$",
        r"^年初目标值$",
        r"^年度数值$",
        r"^预期目标值$",
        r"^计划值$",
    )
    actual: Value = _f(
        "实际完成值",
        r"实际完成值",
        r"^实际值$",
        r"^完成值$",
        r"^实际完成$",
        r"^全年实际值$",
        r"^实际完成情况$",
    )
    weight: Value = _f("分值", r"^分值", r"^权重", r"^分数")
    score: Value = _f("得分", r"^得分$", r"^评分$", r"^自评得分$")
    deviation_reason: Value = _f("偏差原因分析及改进措施", r"偏差原因", r"原因分析", r"改进措施")


class TargetIndicator(_Strict):
    """Labels as ``SelfEvalIndicator`` (the catalogue reads them there)."""

    level1: Value = Field(default_factory=_v)
    level2: Value = Field(default_factory=_v)
    name: Value = Field(default_factory=_v)
    target: Value = Field(default_factory=_v)


class TargetDeclFunds(_Strict):
    """Key-value labels of the declaration's funds block (value in the next cell)."""

    total: Value = _f("项目资金总额", r"^项目资金总额$", r"^资金总额$")
    annual_request: Value = _f(
        "年度资金申请总额",
        r"^年度资金申请(总额|数)?$",
        r"^(年度|当年)资金总额$",
        r"^项目预算金额$",
        r"^年度预算(金额|数)$",
    )
    fiscal: Value = _f("财政资金", r"^财政资金$", r"^财政拨款$")
    current_year: Value = _f("当年财政拨款", r"^(当年|本年)财政拨款$")
    carryover: Value = _f("上年结转资金", r"^上年结转(资金)?$")
    other: Value = _f("其他资金", r"^其他资金$", r"^其他收入$", r"^其他$")


class _Common(_Strict):
    """Key-value labels of the header (value in the next cell to the right)."""

    year: Value = _f("年度")
    project_name: Value = _f(
        "项目名称",
        r"^项目名称$",
        r"^项目支出名称$",
        r"^专项名称$",
        r"^专项资金名称$",
        r"^(一级|二级)项目名称$",
    )
    department: Value = _f(
        "主管部门",
        r"^主管部门$",
        r"^主管单位$",
        r"^预算部门$",
        r"^预算单位$",
        r"^项目主管部门$",
        r"^主管预算部门$",
        r"^(省|市|县|区)级主管部门$",
        r"^主管部门及(代码|编码)$",
        r"^主管(部门|单位)名称$",
    )
    implementing_unit: Value = _f("实施单位", r"^(项目|预算)?(实施|执行)单位(名称)?$")
    money_unit: Value = _f("金额单位")
    project_leader: Value = _f(
        "项目负责人", r"^项目负责人$", r"^负责人$", r"^项目负责人及(联系)?(电话|方式)$"
    )
    contact_phone: Value = _f("联系电话", r"^联系电话$", r"^联系方式$", r"^电话$")
    pages: list[int] = Field(default_factory=list)


class SelfEvaluation(_Common):
    form_type: Literal["self_evaluation"] = "self_evaluation"
    funds: SelfEvalFunds = Field(default_factory=SelfEvalFunds)
    goal_expected: Value = _f(
        "年度总体目标·预期目标", r"^预期目标$", r"^年度总体目标$", r"^绩效目标$"
    )
    goal_actual: Value = _f("年度总体目标·实际完成情况", r"^实际完成(情况)?$", r"^完成情况$")
    indicators: list[SelfEvalIndicator] = Field(default_factory=list)
    total_weight: Value = _f("总分·分值")
    total_score: Value = _f(
        "总分·得分", r"^总分$", r"^合计$", r"^总计$", r"^总得分$", r"^得分合计$"
    )
    grade: Value = _f("评分等级", r"^(评分|绩效|自评|评价)等级$")
    # The budget block's points where printed only inside a label (预算执行情况(20分)).
    budget_points: Value = _f("预算执行率分值(标签内)")


class TargetDeclaration(_Common):
    form_type: Literal["target_declaration"] = "target_declaration"
    project_nature: Value = _f("项目性质", r"^项目性质$")
    project_category: Value = _f("项目类别", r"^项目类(别|型)$")
    plan_start: Value = _f(
        "计划开始日期", r"^(计划)?开始(日期|时间)$", r"^项目起止时间$", r"^项目期$", r"^实施期限?$"
    )
    plan_end: Value = _f("计划完成日期", r"^(计划)?(完成|结束)(日期|时间)$")
    funds: TargetDeclFunds = Field(default_factory=TargetDeclFunds)
    goal_overall: Value = _f(
        "项目总体目标", r"^(项目)?总体目标", r"^中长期目标", r"^中期目标$", r"^项目总体情况$"
    )
    goal_annual: Value = _f("年度总体目标", r"^年度(总体)?目标", r"^(年度)?绩效目标$")
    indicators: list[TargetIndicator] = Field(default_factory=list)


Record = Annotated[SelfEvaluation | TargetDeclaration, Field(discriminator="form_type")]


def quantity(v: Value) -> Quantity | None:
    """The parsed form of a value's printed text (None when blank)."""
    return parse_quantity(v.text)


def iter_values(model: BaseModel, prefix: str = "") -> list[tuple[str, Value]]:
    """Every ``Value`` in a record with its dotted path (``indicators.3.score``)."""
    out: list[tuple[str, Value]] = []
    for name in type(model).model_fields:
        obj = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(obj, Value):
            out.append((path, obj))
        elif isinstance(obj, BaseModel):
            out.extend(iter_values(obj, path + "."))
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                if isinstance(item, BaseModel):
                    out.extend(iter_values(item, f"{path}.{i}."))
    return out
