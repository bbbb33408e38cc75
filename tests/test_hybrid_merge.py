"""Hybrid merge: the model's reading fills what layout left empty and never overwrites."""

from __future__ import annotations

from extractor.llm.merge import fill_missing
from schemas.records import SelfEvalIndicator, SelfEvaluation, TargetDeclaration
from schemas.values import Provenance, Value


def _v(text: str, cell: str) -> Value:
    return Value(text=text, prov=Provenance(page=1, cell_ids=[cell]))


def test_fills_empty_fields_and_keeps_layout_values() -> None:
    layout = SelfEvaluation(project_name=_v("信息化运维项目", "p1.t1.r1.c2"))
    layout.funds.total.executed = _v("39.46", "p1.t1.r5.c4")
    model = SelfEvaluation(project_name=_v("主管部门", "p1.t1.r2.c1"))  # a wrong reading
    model.funds.total.executed = _v("40.00", "p1.t1.r5.c3")
    model.funds.total.full_year_budget = _v("45.00", "p1.t1.r5.c3")
    merged, n = fill_missing(layout, model)
    assert n == 1
    assert merged.project_name.text == "信息化运维项目"
    assert merged.funds.total.executed.text == "39.46"
    assert merged.funds.total.full_year_budget.text == "45.00"
    assert merged.funds.total.full_year_budget.prov.source == "llm"  # type: ignore[union-attr]
    assert layout.funds.total.full_year_budget.text is None  # the input is not changed


def test_indicator_rows_only_when_layout_found_none_or_the_same_rows() -> None:
    layout = SelfEvaluation()
    model = SelfEvaluation(
        indicators=[SelfEvalIndicator(name=_v("培训人次", "p1.t1.r9.c3"), score=_v("5", "x"))]
    )
    merged, n = fill_missing(layout, model)
    assert n == 2 and merged.indicators[0].name.text == "培训人次"
    # Different row counts: the rows cannot be paired, nothing of the indicators is taken.
    layout2 = SelfEvaluation(indicators=[SelfEvalIndicator(), SelfEvalIndicator()])
    merged2, n2 = fill_missing(layout2, model)
    assert n2 == 0 and all(not i.name.text for i in merged2.indicators)


def test_another_form_type_contributes_nothing() -> None:
    merged, n = fill_missing(SelfEvaluation(), TargetDeclaration(project_name=_v("x项目", "c")))
    assert n == 0 and merged.project_name.text is None


def test_a_field_layout_found_empty_stays_empty() -> None:
    """An empty cell under the 偏差原因 header is the printed answer, not a gap."""
    layout = SelfEvaluation(
        indicators=[SelfEvalIndicator(deviation_reason=Value(prov=Provenance(cell_ids=["c9"])))]
    )
    model = SelfEvaluation(indicators=[SelfEvalIndicator(deviation_reason=_v("达成指标", "c7"))])
    merged, n = fill_missing(layout, model)
    assert n == 0 and merged.indicators[0].deviation_reason.text is None
