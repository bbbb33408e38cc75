"""Conversion between records and the golden JSON shape of ``shared/golden/FORMAT.md``.

``to_golden`` emits a record the way ``jixiao extract --format golden`` prints it (plus
``findings`` and ``provenance``); ``from_golden`` builds a record from an answer key (no
provenance), which the validator tests use to check rules on hand-made records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from schemas.fields import (
    HEADER_TEXT_FIELDS,
    SELF_EVALUATION,
    SELF_GOAL_FIELDS,
    TARGET_GOAL_FIELDS,
    TARGET_HEADER_EXTRA,
    TOTALS_FIELDS,
)
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
from schemas.values import Provenance, Value

Record = SelfEvaluation | TargetDeclaration


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


def _texts(record: Record, names: tuple[str, ...]) -> dict[str, str | None]:
    return {name: _text(getattr(record, name)) for name in names}


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
    out.update(_texts(record, HEADER_TEXT_FIELDS))
    if isinstance(record, SelfEvaluation):
        out["funds"] = _dump_model(record.funds)
        out.update(_texts(record, SELF_GOAL_FIELDS))
        out["indicators"] = [_dump_model(i) for i in record.indicators]
        out.update(_texts(record, TOTALS_FIELDS))
        if record.budget_points.present:  # an extra key, only where the form prints it
            out["budget_points"] = record.budget_points.text
    else:
        out.update(_texts(record, TARGET_HEADER_EXTRA))
        out["funds"] = _dump_model(record.funds)
        out.update(_texts(record, TARGET_GOAL_FIELDS))
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


def _vals(d: dict[str, Any], *names: str) -> dict[str, Value]:
    return {name: _val(d.get(name)) for name in names}


def from_golden(d: dict[str, Any]) -> Record:
    common = _vals(d, *HEADER_TEXT_FIELDS, "year")
    if d["form_type"] == SELF_EVALUATION:
        funds = d.get("funds") or {}
        return SelfEvaluation(
            **common,
            **_vals(d, *SELF_GOAL_FIELDS, *TOTALS_FIELDS, "budget_points"),
            funds=SelfEvalFunds(
                **{k: _load_model(FundRow, funds.get(k)) for k in SelfEvalFunds.model_fields}
            ),
            indicators=[_load_model(SelfEvalIndicator, i) for i in d.get("indicators") or []],
        )
    return TargetDeclaration(
        **common,
        **_vals(d, *TARGET_HEADER_EXTRA, *TARGET_GOAL_FIELDS),
        funds=_load_model(TargetDeclFunds, d.get("funds")),
        indicators=[_load_model(TargetIndicator, i) for i in d.get("indicators") or []],
    )


def record_from_data(data: Mapping[str, Any]) -> Record:
    """The pydantic record of a stored golden-shape record (``to_golden`` with provenance),
    its pages and provenance attached by path."""
    record = from_golden(dict(data))
    record.pages = [int(p) for p in data.get("pages") or []]
    prov = data.get("provenance") or {}
    for path, v in iter_values(record):
        p = prov.get(path)
        if isinstance(p, dict):
            v.prov = Provenance.model_validate(p)
    return record
