"""Modes compared: the hybrid-no-worse rule, the independent grounding audit, and the
``jixiao eval --compare`` runner on a real golden PDF with a fake model (no network)."""

from __future__ import annotations

import pytest

from evals import load_golden
from evals.compare import ModeRun, check_modes, modes_to_json, render_modes
from evals.scores import EvalReport, FieldScore
from extractor.checks.grounding import audit_grounding
from extractor.llm.asker import Asker
from extractor.pipeline import extract_document
from jixiao.evalrun import run_mode
from jixiao.settings import Settings
from tests.conftest import GOLDEN, golden_required
from tests.llm_helpers import STANDARD, label_model


def _report(funds: tuple[int, int], level1: tuple[int, int]) -> EvalReport:
    r = EvalReport(variant="digital")
    r.groups["funds"] = FieldScore(correct=funds[0], total=funds[1])
    r.indicator_fields["level1"] = FieldScore(correct=level1[0], total=level1[1])
    return r


def test_hybrid_worse_than_layout_fails() -> None:
    layout = ModeRun(mode="layout", report=_report((10, 10), (5, 5)))
    same = ModeRun(mode="hybrid", report=_report((10, 10), (5, 5)))
    worse = ModeRun(mode="hybrid", report=_report((10, 10), (4, 5)))
    assert check_modes([layout, same]) == []
    failures = check_modes([layout, worse])
    assert len(failures) == 1 and "indicators.level1" in failures[0]


def test_an_ungrounded_value_in_any_mode_fails() -> None:
    layout = ModeRun(mode="layout", report=_report((1, 1), (1, 1)))
    llm = ModeRun(mode="llm", report=_report((1, 1), (1, 1)), ungrounded=["x.pdf record 0: …"])
    failures = check_modes([layout, llm])
    assert failures and failures[0].startswith("llm: 1 ungrounded")


@pytest.mark.golden
def test_audit_catches_a_value_changed_after_extraction() -> None:
    golden_required()
    cells: dict[str, str] = {}
    result = extract_document(GOLDEN / "tz-gsl-2023-self-eval.pdf", cells_out=cells)
    records = [r.record for r in result.records]
    assert cells and audit_grounding(records, cells) == []
    records[1].funds.total.executed.text = "999.99"  # type: ignore[union-attr]
    problems = audit_grounding(records, cells)
    assert len(problems) == 1 and "999.99" in problems[0] and problems[0].startswith("record 1")


@pytest.mark.golden
def test_compare_runs_three_modes_with_a_fake_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    golden_required()
    cases = [c for c in load_golden(GOLDEN, "digital") if c.name.startswith("tz-")]
    fake = label_model(STANDARD)
    settings = Settings(cache_dir=tmp_path)
    runs = [
        run_mode(
            cases,
            settings,
            m,
            (lambda: Asker(fake.client(), "m")) if m != "layout" else (lambda: None),
        )  # type: ignore[arg-type]
        for m in ("layout", "llm", "hybrid")
    ]
    assert [r.mode for r in runs] == ["layout", "llm", "hybrid"]
    assert runs[0].model_calls == 0 and runs[1].model_calls > 0
    assert runs[1].model_calls == len(fake.requests) - runs[2].model_calls
    assert check_modes(runs) == []
    # The fake model knows only the sh-eitc labels: llm reads less here, hybrid keeps layout.
    assert runs[1].report.groups["funds"].accuracy < runs[2].report.groups["funds"].accuracy == 1
    js = modes_to_json(runs)
    assert js["failures"] == [] and set(js["modes"]) == {"layout", "llm", "hybrid"}  # type: ignore[arg-type]
    assert render_modes(runs).row_count > 10
