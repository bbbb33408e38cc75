"""Rule sets: registry, lookup by id or family, grade bands, tolerances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from extractor.checks.rules import (
    DEFAULT_RULE_SET,
    RULE_SETS,
    RoundingMode,
    UnknownRuleSetError,
    get_rule_set,
)


def test_registry_has_the_expected_sets() -> None:
    families = {rs.family for rs in RULE_SETS.values()}
    assert {"cn-default", "cn-shanghai-municipal", "cn-beijing-district", "cn-hubei"} <= families
    for key, rs in RULE_SETS.items():
        assert key == rs.id and "/" in rs.id and rs.version


def test_lookup_by_id_and_by_family() -> None:
    assert get_rule_set("cn-default/2023.1") is DEFAULT_RULE_SET
    assert get_rule_set("cn-default") is DEFAULT_RULE_SET  # jixiao.settings default
    assert get_rule_set(" cn-hubei ").budget_weight == Decimal(20)


def test_unknown_name_lists_what_exists() -> None:
    with pytest.raises(UnknownRuleSetError) as e:
        get_rule_set("cn-atlantis")
    msg = str(e.value)
    assert "cn-atlantis" in msg
    for rs_id in RULE_SETS:
        assert rs_id in msg
    with pytest.raises(LookupError):
        get_rule_set("")


@pytest.mark.parametrize(
    ("score", "grade"),
    [("100", "优"), ("90", "优"), ("89.99", "良"), ("80", "良"), ("79.99", "中"),
     ("60", "中"), ("59.99", "差"), ("0", "差")],
)  # fmt: skip
def test_national_grade_bands(score: str, grade: str) -> None:
    for rs in RULE_SETS.values():
        assert rs.grade_for(Decimal(score)) == grade


def test_grade_aliases() -> None:
    rs = DEFAULT_RULE_SET
    assert rs.canonical_grade("优秀") == "优"
    assert rs.canonical_grade("良好") == "良"
    assert rs.canonical_grade("甲") is None


def test_rounding_conventions_are_stated_per_set() -> None:
    assert set(get_rule_set("cn-default").rounding) == {RoundingMode.HALF_UP, RoundingMode.TRUNCATE}
    assert get_rule_set("cn-shanghai-municipal").rounding == (RoundingMode.TRUNCATE,)
    bj = get_rule_set("cn-beijing-district")
    assert bj.rounding == (RoundingMode.HALF_UP,) and bj.score_decimals == 1
    for rs in RULE_SETS.values():
        assert rs.tolerance_for(2) == Decimal("0.01")
        assert rs.tolerance_for(1) == Decimal("0.05")
        assert rs.describe_rounding()


def test_r9_thresholds() -> None:
    rs = DEFAULT_RULE_SET
    assert (rs.unit_ratio_min, rs.unit_ratio_max) == (Decimal(1000), Decimal(100000))


def test_rule_sets_are_frozen() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_RULE_SET.budget_weight = Decimal(20)  # type: ignore[misc]
