"""Validators on the indicator table and the 总分 row (R5-R8, R10-R12), blanks and text, the
indicator taxonomy and numbering, and what a finding carries. Records as in
``tests/validator_cases.py``."""

from __future__ import annotations

from extractor.checks.rules import get_rule_set
from extractor.checks.validators import validate_record
from schemas.golden import from_golden
from schemas.records import SelfEvaluation, TargetDeclaration
from schemas.values import Provenance, Value
from tests.validator_cases import base, check, kinds, serious, set_budget

# ---------------------------------------------------------------- R5 weights


def test_r5_weights_do_not_add_up_to_100() -> None:
    d = base()
    d["indicators"][0].update(weight="20.00", score="20.00")
    d["total_score"] = "94.50"
    f = check(d)
    assert serious(f) == {("R5", "error")}
    assert {x.code for x in f} == {"R5", "R11"}  # 产出 45: the info note, not a fault
    r5 = next(x for x in f if x.code == "R5")
    assert (r5.printed, r5.expected) == ("95.00", "100")


def test_r5_printed_total_weight_not_the_sum() -> None:
    d = base()
    d["total_weight"] = "90"
    f = check(d)
    assert kinds(f) == {("R5", "error")}
    assert f[0].field == "total_weight" and f[0].expected == "100.00"


# ---------------------------------------------------------------- R6 total score


def test_r6_total_is_not_the_sum_of_scores() -> None:
    d = base()
    d["total_score"] = "98.00"
    f = check(d)
    assert kinds(f) == {("R6", "error")}
    assert (f[0].field, f[0].printed, f[0].expected) == ("total_score", "98.00", "99.50")


def test_r6_integer_total_accepted() -> None:
    d = set_budget(base(), "100.00", "100.00", "100.00", "10.00", "100")
    assert check(d) == []


# ---------------------------------------------------------------- R7 grade


def test_r7_grade_outside_its_band() -> None:
    d = base()
    d["grade"] = "良"
    f = check(d)
    assert kinds(f) == {("R7", "error")}
    assert (f[0].printed, f[0].expected) == ("良", "优")


def test_r7_grade_aliases_accepted() -> None:
    d = base()
    d["grade"] = "优秀"
    assert check(d) == []


def test_missing_grade_is_a_warning_with_the_expected_band() -> None:
    d = base()
    d["grade"] = None
    f = check(d)
    assert kinds(f) == {("MISSING_GRADE", "warning")}
    assert f[0].expected == "优"


def test_unknown_grade_is_a_warning() -> None:
    d = base()
    d["grade"] = "甲"
    assert kinds(check(d)) == {("UNKNOWN_GRADE", "warning")}


def test_missing_total_row_is_a_warning_and_grade_uses_recomputed_total() -> None:
    d = base()
    d["total_weight"] = d["total_score"] = None
    f = check(d)
    assert kinds(f) == {("MISSING_TOTAL", "warning")}
    assert f[0].expected == "99.50"
    d["grade"] = "中"
    assert ("R7", "error") in kinds(check(d))


# ---------------------------------------------------------------- R8 score ≤ weight


def test_r8_score_above_weight() -> None:
    d = base()
    d["indicators"][3]["score"] = "11.00"
    d["total_score"] = "100.50"
    f = check(d)
    assert kinds(f) == {("R8", "error")}
    assert f[0].field == "indicators.3.score"


# ---------------------------------------------------------------- R10 (warning)


def test_r10_target_met_but_points_deducted() -> None:
    d = base()
    d["indicators"][0]["score"] = "20.00"
    d["total_score"] = "94.50"
    assert kinds(check(d)) == {("R10", "warning")}


def test_r10_target_missed_but_full_score() -> None:
    d = base()
    d["indicators"][1]["actual"] = "80%"
    f = check(d)
    assert kinds(f) == {("R10", "warning")}
    assert f[0].expected is not None and f[0].expected.startswith("21.05")


def test_r10_target_missed_and_prorated_score_is_fine() -> None:
    d = base()
    d["indicators"][1].update(actual="80%", score="21.00")
    d["total_score"] = "95.50"
    assert check(d) == []


def test_r10_qualitative_bands() -> None:
    d = base()
    d["indicators"][2].update(actual="部分达成指标并具有一定效果", score="30.00")
    assert kinds(check(d)) == {("R10", "warning")}
    d["indicators"][2]["score"] = "20.00"
    d["total_score"] = "89.50"
    d["grade"] = "良"
    assert check(d) == []


# ---------------------------------------------------------------- R11 (info), R12 (warning)


def test_r11_first_level_weights_are_info_only() -> None:
    d = base()
    d["indicators"][2].update(weight="20.00", score="20.00")
    d["indicators"][0].update(weight="35.00", score="35.00")
    f = check(d)
    assert kinds(f) == {("R11", "info")}


def test_r12_low_rate_needs_a_deviation_reason() -> None:
    d = set_budget(base(), "100.00", "80.00", "80.00", "8.00", "98.00")
    assert kinds(check(d)) == {("R12", "warning")}
    d["indicators"][0]["deviation_reason"] = "部分预算资金因项目延期未支付"
    assert check(d) == []


# ---------------------------------------------------------------- blanks, dashes, text


def test_blank_or_dash_scores_skip_the_sums() -> None:
    d = base()
    d["indicators"][0]["score"] = "-"
    d["total_score"] = "12345"
    f = check(d)
    assert kinds(f) == {("MISSING_VALUE", "warning"), ("UNCHECKED", "info")}
    # The skipped rule says which rows it could not use.
    assert any(x.code == "UNCHECKED" and "R6 skipped: indicators 0 " in x.message for x in f)


def test_non_numeric_values_are_warnings_never_errors() -> None:
    d = base()
    d["indicators"][1]["weight"] = "二十五"
    d["funds"]["total"]["execution_rate"] = "较好"
    d["total_score"] = "满分"
    f = check(d)
    assert serious(f) == {("NON_NUMERIC", "warning")}


def test_empty_records_do_not_crash() -> None:
    for rec in (SelfEvaluation(), TargetDeclaration()):
        f = validate_record(rec)
        assert all(x.severity.value != "error" for x in f)


def test_absurd_magnitudes_do_not_crash() -> None:
    huge = "9" * 40
    d = set_budget(base(), "1.00", huge, huge + ".00", "10.00", "100.00")
    validate_record(from_golden(d))


# ---------------------------------------------------------------- indicator structure


def test_level2_under_the_wrong_level1() -> None:
    d = base()
    d["indicators"][1]["level2"] = "可持续影响指标"
    assert kinds(check(d)) == {("LEVEL_MISMATCH", "warning")}


def test_indicator_numbering_duplicates_and_gaps() -> None:
    d = base()
    d["indicators"][0]["name"] = "指标1：培训场次"
    d["indicators"][1].update(level2="数量指标", name="指标1：验收合格率")
    assert kinds(check(d)) == {("DUPLICATE_INDICATOR_NUMBER", "warning")}
    d["indicators"][1]["name"] = "指标3：验收合格率"
    assert kinds(check(d)) == {("INDICATOR_NUMBER_GAP", "warning")}
    d["indicators"][1]["name"] = "指标2：验收合格率"
    assert check(d) == []


# ---------------------------------------------------------------- finding contents


def test_finding_carries_cells_rule_set_and_both_languages() -> None:
    d = base()
    d["total_score"] = "98.00"
    rec = from_golden(d)
    assert isinstance(rec, SelfEvaluation)
    rec.total_score = Value(text="98.00", prov=Provenance(page=1, cell_ids=["p1.t0.r20c6"]))
    rec.funds.total.score = Value(text="9.50", prov=Provenance(cell_ids=["p1.t0.r4c6"]))
    (f,) = validate_record(rec, get_rule_set("cn-shanghai-municipal"))
    assert f.code == "R6" and f.rule_set == "cn-shanghai-municipal/2023.1"
    assert f.cells == ["p1.t0.r20c6", "p1.t0.r4c6"]
    assert "98.00" in f.message and "99.50" in f.message
    assert "98.00" in f.message_zh and "99.50" in f.message_zh and "总分" in f.message_zh
