"""Strict models of the two forms. Field names follow ``shared/golden/FORMAT.md``.

Every leaf is a ``Value``: the printed string, its parsed ``Quantity`` where it is a number,
and its provenance. Parsing never changes the printed string.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.numbers import Quantity, parse_quantity
from schemas.values import Value


def _v() -> Value:
    return Value()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class FundRow(_Strict):
    initial_budget: Value = Field(default_factory=_v)
    full_year_budget: Value = Field(default_factory=_v)
    executed: Value = Field(default_factory=_v)
    weight: Value = Field(default_factory=_v)
    execution_rate: Value = Field(default_factory=_v)
    score: Value = Field(default_factory=_v)


class SelfEvalFunds(_Strict):
    total: FundRow = Field(default_factory=FundRow)
    current_year: FundRow = Field(default_factory=FundRow)
    carryover: FundRow = Field(default_factory=FundRow)
    other: FundRow = Field(default_factory=FundRow)


class SelfEvalIndicator(_Strict):
    level1: Value = Field(default_factory=_v)
    level2: Value = Field(default_factory=_v)
    name: Value = Field(default_factory=_v)
    target: Value = Field(default_factory=_v)
    actual: Value = Field(default_factory=_v)
    weight: Value = Field(default_factory=_v)
    score: Value = Field(default_factory=_v)
    deviation_reason: Value = Field(default_factory=_v)


class TargetIndicator(_Strict):
    level1: Value = Field(default_factory=_v)
    level2: Value = Field(default_factory=_v)
    name: Value = Field(default_factory=_v)
    target: Value = Field(default_factory=_v)


class TargetDeclFunds(_Strict):
    total: Value = Field(default_factory=_v)
    annual_request: Value = Field(default_factory=_v)
    fiscal: Value = Field(default_factory=_v)
    current_year: Value = Field(default_factory=_v)
    carryover: Value = Field(default_factory=_v)
    other: Value = Field(default_factory=_v)


class _Common(_Strict):
    year: Value = Field(default_factory=_v)
    project_name: Value = Field(default_factory=_v)
    department: Value = Field(default_factory=_v)
    implementing_unit: Value = Field(default_factory=_v)
    money_unit: Value = Field(default_factory=_v)
    project_leader: Value = Field(default_factory=_v)
    contact_phone: Value = Field(default_factory=_v)
    pages: list[int] = Field(default_factory=list)


class SelfEvaluation(_Common):
    form_type: Literal["self_evaluation"] = "self_evaluation"
    funds: SelfEvalFunds = Field(default_factory=SelfEvalFunds)
    goal_expected: Value = Field(default_factory=_v)
    goal_actual: Value = Field(default_factory=_v)
    indicators: list[SelfEvalIndicator] = Field(default_factory=list)
    total_weight: Value = Field(default_factory=_v)
    total_score: Value = Field(default_factory=_v)
    grade: Value = Field(default_factory=_v)


class TargetDeclaration(_Common):
    form_type: Literal["target_declaration"] = "target_declaration"
    project_nature: Value = Field(default_factory=_v)
    project_category: Value = Field(default_factory=_v)
    plan_start: Value = Field(default_factory=_v)
    plan_end: Value = Field(default_factory=_v)
    funds: TargetDeclFunds = Field(default_factory=TargetDeclFunds)
    goal_overall: Value = Field(default_factory=_v)
    goal_annual: Value = Field(default_factory=_v)
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
