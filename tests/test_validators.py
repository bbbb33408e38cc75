"""Validators (RULES.md): the clean baseline, the funds rules (R1 rate, R2 budget score, R3
rounding, R4 funds sum, R9 units), rule sets, target declarations, the golden set. The
indicator and total rules are in ``test_validators_scoring.py``.

Hand-built records (``tests/validator_cases.py``) start from one clean self-evaluation (no
finding at all) and change the fewest printed values needed to break exactly one rule.
"""

from __future__ import annotations

import copy
import json

import pytest

from extractor.checks.validators import validate_record
from schemas.golden import from_golden
from tests.conftest import GOLDEN as GOLDEN_DIR
from tests.validator_cases import base, check, fund_row, kinds, serious, set_budget

# ---------------------------------------------------------------- clean baseline


def test_clean_record_has_no_findings() -> None:
    assert check(base()) == []


@pytest.mark.parametrize("name", ["cn-default", "cn-shanghai-municipal", "cn-beijing-district"])
def test_clean_record_is_clean_under_every_10_point_rule_set(name: str) -> None:
    assert check(base(), name) == []


def test_validate_never_modifies_the_record() -> None:
    d = set_budget(base(), "100.00", "950,000.00", "950000.00", "99224.33", "97")
    rec = from_golden(d)
    before = rec.model_dump()
    assert validate_record(rec)
    assert rec.model_dump() == before


# ---------------------------------------------------------------- R1 execution rate


def test_r1_rate_not_executed_over_full_year_budget() -> None:
    d = base()
    for key in ("total", "current_year"):
        d["funds"][key]["executed"] = "96.00"
    f = check(d)
    assert kinds(f) == {("R1", "error")}
    r1 = next(x for x in f if x.field == "funds.total.execution_rate")
    assert (r1.printed, r1.expected) == ("95.00", "96.00")
    assert "95.00" in r1.message and "96" in r1.message and "95.00" in r1.message_zh


def test_r1_uses_full_year_budget_never_initial_budget() -> None:
    d = set_budget(base(), "100.00", "95.00", "79.17", "7.92", "97.92")  # 95 / 120 (年初)
    f = check(d)
    r1 = [x for x in f if x.code == "R1"]
    assert r1 and all(x.expected == "95.00" for x in r1)
    assert "年初预算数" in r1[0].message
    assert ("R2", "error") not in kinds(f)  # the score follows the printed rate


def test_r1_executed_on_zero_budget() -> None:
    d = base()
    d["funds"]["current_year"].update(executed="90.00", execution_rate="90.00")
    d["funds"]["carryover"]["executed"] = "5.00"  # total 95 = 90 + 5 + 0 still holds
    f = check(d)
    assert kinds(f) == {("R1", "error")}
    assert f[0].field == "funds.carryover.execution_rate"


@pytest.mark.parametrize("rate", ["0.00", "-", None, "0"])
def test_r1_zero_budget_zero_executed_is_fine(rate: str | None) -> None:
    d = base()
    d["funds"]["carryover"]["execution_rate"] = rate
    assert check(d) == []


def test_r1_accepts_percent_sign_and_thousands_separators() -> None:
    d = set_budget(base(), "1,000.00", "950.00", "95.00%", "9.50", "99.50")
    d["funds"]["total"]["initial_budget"] = d["funds"]["current_year"]["initial_budget"] = "1,200"
    assert check(d) == []


# ---------------------------------------------------------------- R2 budget score


def test_r2_score_not_weight_times_rate() -> None:
    d = base()
    d["funds"]["total"]["score"] = "10.00"
    d["total_score"] = "100.00"
    f = check(d)
    assert kinds(f) == {("R2", "error")}
    assert (f[0].field, f[0].printed, f[0].expected) == ("funds.total.score", "10.00", "9.50")


def test_r2_caps_the_rate_at_100_percent() -> None:
    d = set_budget(base(), "100.00", "101.27", "101.27", "10.00", "100.00")
    f = check(d)
    assert kinds(f) == {("EXECUTED_OVER_BUDGET", "warning")}


def test_r2_uses_the_printed_rate_so_r1_and_r2_are_separate() -> None:
    d = set_budget(base(), "100.00", "95.00", "90.00", "9.00", "99.00")
    assert kinds(check(d)) == {("R1", "error")}


def test_r2_absurd_score_above_weight() -> None:
    d = base()
    d["funds"]["total"]["score"] = "9500.00"
    d["total_score"] = "99.50"
    f = check(d)
    assert ("R2", "error") in kinds(f)
    r2 = next(x for x in f if x.code == "R2")
    assert "exceeds" in r2.message and "9.50" in r2.message


# ---------------------------------------------------------------- R3 rounding


@pytest.mark.parametrize(
    ("rate", "ok"),
    [("99.44", True), ("99.45", True), ("99.4", True), ("99.42", False), ("99.50", False)],
)
def test_r3_truncation_and_rounding_accepted_real_discrepancy_rejected(rate: str, ok: bool) -> None:
    # 994.47 / 1,000.00 × 100 = 99.447: truncated 99.44, rounded 99.45.
    d = set_budget(base(), "1,000.00", "994.47", rate, "9.94", "99.94")
    d["funds"]["total"]["initial_budget"] = d["funds"]["current_year"]["initial_budget"] = "1,000"
    f = check(d)
    if ok:
        assert not [x for x in f if x.code == "R1"]
    else:
        assert ("R1", "error") in kinds(f)


def test_r3_truncated_score_accepted() -> None:
    # 10 × 99.44% = 9.944 → 9.94 either way; 10 × 99.47% = 9.947 → truncated 9.94, rounded 9.95.
    # Both are accepted (no error); where the region is unknown a truncated value that
    # rounding would print otherwise is a TRUNCATED warning, under the Shanghai set nothing.
    d = set_budget(base(), "100.00", "99.47", "99.47", "9.95", "99.95")
    assert check(d) == []
    d = set_budget(base(), "100.00", "99.47", "99.47", "9.94", "99.94")
    f = check(d)
    assert kinds(f) == {("TRUNCATED", "warning")}
    assert (f[0].field, f[0].printed, f[0].expected) == ("funds.total.score", "9.94", "9.95")
    assert check(d, "cn-shanghai-municipal") == []


def test_truncated_rate_is_a_warning_only_where_the_region_is_unknown() -> None:
    # 994.47 / 1,000.00 × 100 = 99.447: printed 99.44 (truncated), rounding gives 99.45.
    d = set_budget(base(), "1,000.00", "994.47", "99.44", "9.94", "99.94")
    d["funds"]["total"]["initial_budget"] = d["funds"]["current_year"]["initial_budget"] = "1,000"
    f = [x for x in check(d) if x.field == "funds.total.execution_rate"]
    assert [(x.code, x.severity, x.expected) for x in f] == [("TRUNCATED", "warning", "99.45")]
    assert not [x for x in check(d, "cn-shanghai-municipal") if x.code == "TRUNCATED"]


def test_r3_score_rounded_to_one_decimal() -> None:
    d = set_budget(base(), "100.00", "95.40", "95.40", "9.5", "99.5")  # 9.54 → 9.5
    assert check(d) == []


# ---------------------------------------------------------------- R4 funds sum


def test_r4_total_is_not_the_sum_of_sources() -> None:
    d = base()
    d["funds"]["current_year"]["initial_budget"] = "110.00"
    f = check(d)
    assert kinds(f) == {("R4", "error")}
    assert (f[0].field, f[0].printed, f[0].expected) == (
        "funds.total.initial_budget",
        "120.00",
        "110.00",
    )


def test_r4_blank_sub_rows_count_as_zero_when_consistent() -> None:
    d = base()
    for key in ("carryover", "other"):
        d["funds"][key] = fund_row(None, None, None, "-", None, "-")
    assert check(d) == []


def test_r4_blank_sub_rows_inconsistent_is_not_an_error() -> None:
    d = base()
    d["funds"]["carryover"] = fund_row(None, None, None, "-", None, "-")
    d["funds"]["current_year"]["initial_budget"] = "100.00"
    f = check(d)
    assert kinds(f) == {("R4", "info")}


def test_r4_dash_and_non_amount_sub_cells_never_error() -> None:
    d = base()
    d["funds"]["other"] = fund_row("-", "-", "-", "-", "-", "-")
    assert check(d) == []
    d["funds"]["carryover"]["initial_budget"] = "见附件"
    assert serious(check(d)) == set()


# ---------------------------------------------------------------- R9 units


def test_r9_yuan_under_wanyuan_header() -> None:
    d = set_budget(base(), "100.00", "950,000.00", "950000.00", "10.00", "100.00")
    f = check(d)
    assert kinds(f) == {("R9", "error")}
    assert {x.field for x in f} == {"funds.total.executed", "funds.current_year.executed"}
    assert all(x.expected == "95.00" for x in f)


def test_r9_wanyuan_figure_under_yuan_header() -> None:
    d = set_budget(base(), "100.00", "950,000.00", "950000.00", "10.00", "100.00")
    d["money_unit"] = "元"
    f = check(d)
    assert kinds(f) == {("R9", "error")}
    assert f[0].field == "funds.total.full_year_budget"


def test_r9_ratio_just_outside_the_band_is_not_r9() -> None:
    d = set_budget(base(), "100.00", "99,000.00", "99000.00", "10.00", "100.00")  # ratio 990
    assert ("R9", "error") not in kinds(check(d))


def test_r9_percentage_in_an_amount_column() -> None:
    d = set_budget(base(), "100.00", "100%", "100.00", "10.00", "100.00")
    f = check(d)
    assert kinds(f) == {("R9", "error")}
    assert {x.printed for x in f} == {"100%"}


def test_r1_rate_contradicts_an_executed_share() -> None:
    # 全年执行数 "100%" but 执行率 75.36% = 全年预算数 10.55 ÷ 年初预算数 14: against 年初.
    d = set_budget(base(), "10.55", "100%", "75.36%", "7.5", "97.5")
    d["funds"]["total"]["initial_budget"] = d["funds"]["current_year"]["initial_budget"] = "14"
    d["funds"]["carryover"]["initial_budget"] = d["funds"]["other"]["initial_budget"] = "0"
    f = check(d)
    assert serious(f) == {("R9", "error"), ("R1", "error"), ("R12", "warning")}
    r1 = next(x for x in f if x.field == "funds.total.execution_rate")
    assert (r1.printed, r1.expected) == ("75.36%", "100%") and "年初预算数" in r1.message


def test_r9_explicit_unit_other_than_the_header() -> None:
    d = base()
    d["funds"]["total"]["initial_budget"] = "120.00元"
    assert ("R9", "error") in kinds(check(d))


def test_missing_unit_is_a_warning() -> None:
    d = base()
    d["money_unit"] = None
    assert kinds(check(d)) == {("MISSING_UNIT", "warning")}


# ---------------------------------------------------------------- rule sets


def test_budget_weight_20_under_hubei() -> None:
    d = base()
    d["funds"]["total"].update(weight="20.00", score="19.00")
    d["indicators"][0].update(weight="15.00", score="15.00")
    d["total_score"] = "99.00"
    assert ("BUDGET_WEIGHT", "warning") in kinds(check(d))
    assert serious(check(d, "cn-hubei")) == set()
    assert ("BUDGET_WEIGHT", "warning") in kinds(check(base(), "cn-hubei"))


def test_blank_budget_weight_takes_the_rule_set_value() -> None:
    d = base()
    d["funds"]["total"].update(weight="-", score="19.00")
    d["indicators"][0].update(weight="15.00", score="15.00")
    d["total_score"] = "99.00"
    default, hubei = check(d), check(d, "cn-hubei")
    assert {("R2", "error"), ("R5", "error")} <= kinds(default)
    assert serious(hubei) == {("MISSING_VALUE", "warning")}


def test_truncation_versus_rounding_at_one_decimal() -> None:
    # 10 × 99.60% = 9.96: truncated 9.9, rounded 10.0.
    d = set_budget(base(), "100.00", "99.60", "99.60", "9.9", "99.9")
    assert check(d, "cn-shanghai-municipal") == []
    # Region unknown: both conventions accepted (no error), the truncation pointed out.
    assert kinds(check(d)) == {("TRUNCATED", "warning")}
    assert kinds(check(d, "cn-beijing-district")) == {("R2", "error")}


def test_truncation_rejected_where_the_set_rounds_to_integers() -> None:
    d = set_budget(base(), "100.00", "99.60", "99.60", "9", "99")
    assert check(d, "cn-shanghai-municipal") == []
    assert ("R2", "error") in kinds(check(d, "cn-hubei"))


# ---------------------------------------------------------------- target declaration


def td() -> dict:
    return {
        "form_type": "target_declaration",
        "year": 2023,
        "project_name": "党建经费",
        "money_unit": "元",
        "funds": {
            "total": "10,000.00",
            "annual_request": "10,000.00",
            "fiscal": "10,000.00",
            "current_year": "8,000.00",
            "carryover": "2,000.00",
            "other": "0.00",
        },
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": "活动", "target": "=10(场)"},
            {
                "level1": "满意度指标",
                "level2": "服务对象满意度指标",
                "name": "满意度",
                "target": "≥90%",
            },
        ],
    }


def test_target_declaration_clean() -> None:
    assert check(td()) == []
    d = td()
    d["funds"]["other"] = None
    assert check(d) == []


def test_target_declaration_annual_request_is_the_sum_of_sources() -> None:
    d = td()
    d["funds"]["carryover"] = "1,000.00"
    f = check(d)
    assert kinds(f) == {("R4", "error")}
    assert f[0].field == "funds.annual_request"


def test_target_declaration_fiscal_part_exceeds_total() -> None:
    d = td()
    d["funds"]["fiscal"] = "12,000.00"
    assert kinds(check(d)) == {("FUNDS_PART_EXCEEDS_TOTAL", "error")}


def test_target_declaration_annual_above_project_total_is_a_warning() -> None:
    d = td()
    d["funds"]["total"] = d["funds"]["fiscal"] = "9,000.00"
    assert kinds(check(d)) == {("ANNUAL_EXCEEDS_TOTAL", "warning")}


def test_target_declaration_percentage_amount() -> None:
    d = td()
    d["funds"]["other"] = "0%"
    assert kinds(check(d)) == {("R9", "error")}


# ---------------------------------------------------------------- the golden set


def _golden_records() -> list[tuple[str, dict]]:
    if not GOLDEN_DIR.is_dir():
        return []
    out = []
    for path in sorted(GOLDEN_DIR.glob("*.golden.json")):
        for i, rec in enumerate(json.loads(path.read_text(encoding="utf-8"))["records"]):
            out.append((f"{path.name.removesuffix('.golden.json')}#{i}", rec))
    return out


GOLDEN = _golden_records()

# Tags the answer keys put on anomalies → the codes that must report them.
TAG_CODES = {
    "R1:": {"R1", "R9"},  # R1 is uncomputable (so skipped) when 全年执行数 is printed as a %
    # R2 is judged on the printed rate (so R1 and R2 report separate faults): a score that
    # follows a wrong printed rate is reported as that rate's R1.
    "R2:": {"R2", "R1"},
    "R6:": {"R6"},
    "R9:": {"R9"},
    "(W no grade)": {"MISSING_GRADE"},
    "(W no total score)": {"MISSING_TOTAL"},
}


@pytest.mark.golden
@pytest.mark.parametrize(("rid", "rec"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_record(rid: str, rec: dict) -> None:
    findings = validate_record(from_golden(rec))
    severities = {f.severity.value for f in findings}
    codes = {f.code for f in findings}
    print(rid, sorted(kinds(findings)))
    if rec["source_anomalies"]:
        assert severities & {"error", "warning"}, rid
    else:
        assert "error" not in severities, [f.message for f in findings if f.severity == "error"]
    for anomaly in rec["source_anomalies"]:
        for tag, want in TAG_CODES.items():
            if tag in anomaly:
                assert codes & want, f"{rid}: {anomaly!r} not reported as {want}"


@pytest.mark.golden
def test_golden_records_copy_is_untouched() -> None:
    for _, rec in GOLDEN:
        snapshot = copy.deepcopy(rec)
        validate_record(from_golden(rec))
        assert rec == snapshot
