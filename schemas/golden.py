"""Conversion between records and the golden JSON shape of ``shared/golden/FORMAT.md``.

``to_golden`` emits a record the way ``jixiao extract --format golden`` prints it (plus
``findings`` and ``provenance``); ``from_golden`` builds a record from an answer key (no
provenance), which the validator tests use to check rules on hand-made records.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.findings import Finding
from schemas.records import (
    FundRow,
    SelfEvalFunds,
    SelfEvalIndicator,
    SelfEvaluation,
    TargetDeclaration,
    TargetDeclFunds,
    TargetIndicator,
    iter_values,
)
from schemas.values import Value

Record = SelfEvaluation | TargetDeclaration

_COMMON = (
    "project_name",
    "department",
    "implementing_unit",
    "money_unit",
    "project_leader",
    "contact_phone",
)


def _text(v: Value) -> str | None:
    return v.text if v.text not in (None, "") else None


def _dump_model(m: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in type(m).model_fields:
        obj = getattr(m, name)
        if isinstance(obj, Value):
            out[name] = _text(obj)
        elif isinstance(obj, BaseModel):
            out[name] = _dump_model(obj)
    return out


def _year(v: Value) -> int | str | None:
    t = _text(v)
    if t is None:
        return None
    return int(t) if t.isdigit() else t


def to_golden(
    record: Record,
    findings: list[Finding] | None = None,
    *,
    with_provenance: bool = True,
) -> dict[str, Any]:
    out: dict[str, Any] = {"form_type": record.form_type, "year": _year(record.year)}
    for name in _COMMON:
        out[name] = _text(getattr(record, name))
    if isinstance(record, SelfEvaluation):
        out["funds"] = _dump_model(record.funds)
        out["goal_expected"] = _text(record.goal_expected)
        out["goal_actual"] = _text(record.goal_actual)
        out["indicators"] = [_dump_model(i) for i in record.indicators]
        out["total_weight"] = _text(record.total_weight)
        out["total_score"] = _text(record.total_score)
        out["grade"] = _text(record.grade)
    else:
        for name in ("project_nature", "project_category", "plan_start", "plan_end"):
            out[name] = _text(getattr(record, name))
        out["funds"] = _dump_model(record.funds)
        out["goal_overall"] = _text(record.goal_overall)
        out["goal_annual"] = _text(record.goal_annual)
        out["indicators"] = [_dump_model(i) for i in record.indicators]
    out["pages"] = list(record.pages)
    if findings is not None:
        out["findings"] = [f.model_dump(mode="json", exclude_none=True) for f in findings]
    if with_provenance:
        prov: dict[str, Any] = {}
        for path, v in iter_values(record):
            if v.prov is not None and (v.text not in (None, "") or v.prov.cell_ids):
                prov[path] = v.prov.model_dump(mode="json", exclude_none=True)
        out["provenance"] = prov
    return out


def _val(x: Any) -> Value:
    if x is None:
        return Value()
    return Value(text=str(x))


def _load_model(cls: type[BaseModel], d: dict[str, Any] | None) -> Any:
    d = d or {}
    return cls(**{k: _val(d.get(k)) for k in cls.model_fields})


def from_golden(d: dict[str, Any]) -> Record:
    common = {name: _val(d.get(name)) for name in _COMMON}
    common["year"] = _val(d.get("year"))
    if d["form_type"] == "self_evaluation":
        funds = d.get("funds") or {}
        return SelfEvaluation(
            **common,
            funds=SelfEvalFunds(
                **{k: _load_model(FundRow, funds.get(k)) for k in SelfEvalFunds.model_fields}
            ),
            goal_expected=_val(d.get("goal_expected")),
            goal_actual=_val(d.get("goal_actual")),
            indicators=[_load_model(SelfEvalIndicator, i) for i in d.get("indicators") or []],
            total_weight=_val(d.get("total_weight")),
            total_score=_val(d.get("total_score")),
            grade=_val(d.get("grade")),
        )
    return TargetDeclaration(
        **common,
        project_nature=_val(d.get("project_nature")),
        project_category=_val(d.get("project_category")),
        plan_start=_val(d.get("plan_start")),
        plan_end=_val(d.get("plan_end")),
        funds=_load_model(TargetDeclFunds, d.get("funds")),
        goal_overall=_val(d.get("goal_overall")),
        goal_annual=_val(d.get("goal_annual")),
        indicators=[_load_model(TargetIndicator, i) for i in d.get("indicators") or []],
    )
